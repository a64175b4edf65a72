"""A strict local evaluator of the Azure Policy rule language, for testing our custom definitions offline.

Azure evaluates a definition's `policyRule` against a resource's request payload; nothing here can call
Azure, so tests run the same JSON through this evaluator. It models only what our definitions use and
refuses everything else with `PolicyLanguageError`: an unknown key, operator, alias or template function,
and every case whose Azure semantics are undocumented. It never guesses, so it never passes silently.

This module holds the rule itself: `evaluate()` and its `Verdict`, parameter resolution, authoring limits,
the alias table, conditions (`allOf`/`anyOf`/`not`, `field`/`value`/`count`, `[*]` selection, `current()`)
and the condition operators. The `[...]` template expressions in operands (`[parameters('x')]`,
`[concat(...)]`, `[int(...)]`, ...) are parsed and evaluated by `arm_expressions.py`.

Semantics, from Microsoft's documentation:

- Rule structure, conditions, `count`, `current()`, policy functions, limits:
  https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule
- `[*]` aliases and `count`: https://learn.microsoft.com/azure/governance/policy/how-to/author-policies-for-arrays
- Template functions: https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions

* Conditions compare strings case-insensitively (`equals`, `in`, `like`, `contains`, ...; the docs'
  InvariantCultureIgnoreCase). Modelled for ASCII; other text is refused.
* A `field` naming an `[*]` alias outside a `count` selects every array member, and the condition is true
  only if it holds for **all** of them (logical and between elements). An empty or missing array selects
  an empty collection, so such a condition is vacuously true; our definitions use `count` for arrays and
  never rely on this.
* `count.field` enumerates the members of an `[*]` alias (`a[*].b[*]` flattens). In each iteration
  `where` sees the resource *as if the current member were the only one*: the counted alias and every
  alias below it resolve against that member, `field()` of the counted alias returns a one-element array,
  and `current('<alias>')` returns the member or its property. `count.value` enumerates a literal or
  parameter array and `current('<name>')` returns its member; `current()` without a name is only allowed
  when the count is not inside another count. A count compares as a number.
* A single value never equals an array or object (the arrays article's `field()` example).
* A missing property selects null: `equals`, `in`, `like`, `contains` are false for it and their negations
  true, `exists` is false; `field('<missing>')` returns "" (the arrays article's table).
* `less`/`greater`/... between mismatched types, and failing template functions (`int('x')`), are
  evaluation failures; Azure turns a failed evaluation into an implicit deny, and so does `evaluate()`
  (the verdict says why). `allOf`/`anyOf` evaluate every child here because Azure does not document
  short-circuiting, so a rule that would fail without it fails here too; ARM `and()`/`or()` likewise, and
  `if()` evaluates only the chosen branch (documented) - see `arm_expressions.py`.
* An alias is `<resource type>/<property path>` and only applies to resources of that type: on any other
  resource it selects null (or an empty collection), as a `mode: All` rule sees every resource type.
* `mode` must be `All`; the effects `Deny`, `Audit` and `Disabled` are modelled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Both errors are part of this module's interface too: tests import them from here.
from tests.support.arm_expressions import (
    PolicyLanguageError,
    TemplateFunctionError,
    evaluate_expression,
    read_property,
)

NSG = "Microsoft.Network/networkSecurityGroups"
JIT = "Microsoft.Security/locations/jitNetworkAccessPolicies"
_RULE_PROPERTIES = (
    "direction",
    "access",
    "protocol",
    "priority",
    "sourceAddressPrefix",
    "sourceAddressPrefixes",
    "sourceAddressPrefixes[*]",
    "destinationPortRange",
    "destinationPortRanges",
    "destinationPortRanges[*]",
    "destinationAddressPrefix",
)
_JIT_PORT_PROPERTIES = (
    "",
    ".number",
    ".protocol",
    ".allowedSourceAddressPrefix",
    ".allowedSourceAddressPrefixes",
    ".allowedSourceAddressPrefixes[*]",
    ".maxRequestAccessDuration",
)
# The aliases our definitions use, with their payload paths as Azure's alias catalogue lists them
# (`az provider show --namespace Microsoft.Network --expand resourceTypes/aliases`). Note the inline
# rules' extra `properties` level. Anything else is refused.
DEFAULT_ALIASES: dict[str, str] = {
    **{f"{NSG}/securityRules/{p}": f"properties.{p}" for p in _RULE_PROPERTIES},
    **{f"{NSG}/securityRules[*].{p}": f"properties.securityRules[*].properties.{p}" for p in _RULE_PROPERTIES},
    f"{NSG}/securityRules[*].name": "properties.securityRules[*].name",
    f"{NSG}/securityRules[*]": "properties.securityRules[*]",
    f"{NSG}/securityRules": "properties.securityRules",
    f"{JIT}/virtualMachines[*]": "properties.virtualMachines[*]",
    f"{JIT}/virtualMachines[*].id": "properties.virtualMachines[*].id",
    **{
        f"{JIT}/virtualMachines[*].ports[*]{p}": f"properties.virtualMachines[*].ports[*]{p}"
        for p in _JIT_PORT_PROPERTIES
    },
}
_TOP_LEVEL_FIELDS = ("type", "name", "kind", "location", "id")
_EFFECTS = {"deny": "Deny", "audit": "Audit", "disabled": "Disabled"}
_PARAMETER_TYPES = {"string": str, "array": list, "integer": int, "boolean": bool, "object": dict}
_OPERATORS = (
    "equals",
    "notEquals",
    "like",
    "notLike",
    "contains",
    "notContains",
    "in",
    "notIn",
    "less",
    "lessOrEquals",
    "greater",
    "greaterOrEquals",
    "exists",
)
_COUNT_OPERATORS = ("equals", "notEquals", "less", "lessOrEquals", "greater", "greaterOrEquals")
_MAX_VALUE_COUNTS = 10
_MAX_FIELD_COUNTS_PER_ARRAY = 5
_MAX_VALUE_COUNT_ITERATIONS = 100


@dataclass(frozen=True)
class Verdict:
    """What Azure would do with one resource request under one assignment."""

    matched: bool
    """The `if` condition was true (the effect applies)."""
    effect: str
    """The resolved effect: Deny, Audit or Disabled."""
    failure: str | None = None
    """Why evaluation failed, if it did (Azure: an implicit deny)."""

    @property
    def denied(self) -> bool:
        """The request would be refused."""
        if self.effect == "Disabled":
            return False
        return self.failure is not None or (self.matched and self.effect == "Deny")

    @property
    def audited(self) -> bool:
        """The resource would be allowed but reported non-compliant."""
        return self.failure is None and self.matched and self.effect == "Audit"


def evaluate(
    definition: Mapping[str, Any],
    resource: Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
) -> Verdict:
    """Evaluate a policy definition (its ARM `properties`, or the whole object) against a request payload.

    `parameters` are the assignment's values, plain or wrapped as `{"value": ...}` the way ARM sends them.
    """
    props = definition.get("properties", definition)
    if str(props.get("mode", "")).lower() != "all":
        raise PolicyLanguageError(f"mode {props.get('mode')!r} is not modelled; only 'All' is")
    rule = props.get("policyRule")
    if not isinstance(rule, Mapping) or set(rule) != {"if", "then"}:
        raise PolicyLanguageError("policyRule must be an object with exactly 'if' and 'then'")
    then = rule["then"]
    if not isinstance(then, Mapping) or set(then) != {"effect"}:
        raise PolicyLanguageError("only a 'then' block holding just an 'effect' is modelled")
    check_limits(rule["if"])
    context = _Context(resource, resolve_parameters(props.get("parameters") or {}, parameters or {}), aliases)
    effect_value = context.operand(then["effect"])
    effect = _EFFECTS.get(str(effect_value).lower())
    if effect is None:
        raise PolicyLanguageError(f"effect {effect_value!r} is not modelled (Deny, Audit, Disabled)")
    if effect == "Disabled":
        return Verdict(matched=False, effect=effect)
    try:
        return Verdict(matched=context.condition(rule["if"]), effect=effect)
    except TemplateFunctionError as error:
        return Verdict(matched=True, effect=effect, failure=str(error))


def evaluate_condition(
    condition: Mapping[str, Any],
    resource: Mapping[str, Any],
    *,
    parameter_values: Mapping[str, Any] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> bool:
    """Evaluate one condition; an evaluation failure raises `TemplateFunctionError` instead of denying."""
    check_limits(condition)
    return _Context(resource, dict(parameter_values or {}), aliases).condition(condition)


def resolve_parameters(declared: Mapping[str, Any], assigned: Mapping[str, Any]) -> dict[str, Any]:
    """The parameter values a rule sees: assigned, else the default; typed and within allowedValues."""
    names = {name.lower(): name for name in declared}
    values: dict[str, Any] = {}
    for name, raw in assigned.items():
        if name.lower() not in names:
            raise PolicyLanguageError(f"the assignment sets parameter {name!r}, which the definition does not declare")
        values[names[name.lower()]] = raw["value"] if isinstance(raw, Mapping) and set(raw) == {"value"} else raw
    for name, spec in declared.items():
        if name not in values:
            if "defaultValue" not in spec:
                raise PolicyLanguageError(f"parameter {name!r} has no value and no defaultValue")
            values[name] = spec["defaultValue"]
        expected = _PARAMETER_TYPES.get(str(spec.get("type", "")).lower())
        value = values[name]
        if expected is None:
            raise PolicyLanguageError(f"parameter {name!r} has unmodelled type {spec.get('type')!r}")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise PolicyLanguageError(f"parameter {name!r} must be {spec['type']}, got {value!r}")
        allowed = spec.get("allowedValues")
        for member in (value if isinstance(value, list) else [value]) if allowed is not None else []:
            if member not in allowed:
                raise PolicyLanguageError(f"parameter {name!r}: {member!r} is not in allowedValues {allowed}")
    return values


def check_limits(condition: Any) -> None:
    """The authoring limits Azure enforces when a definition is created (the rule page's limits table)."""
    counts: list[Mapping[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if isinstance(node.get("count"), Mapping):
                counts.append(node["count"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(condition)
    if sum("value" in count for count in counts) > _MAX_VALUE_COUNTS:
        raise PolicyLanguageError(f"more than {_MAX_VALUE_COUNTS} value count expressions in one rule")
    per_array: dict[str, int] = {}
    for count in counts:
        if isinstance(count.get("field"), str):
            key = count["field"].lower()
            per_array[key] = per_array.get(key, 0) + 1
            if per_array[key] > _MAX_FIELD_COUNTS_PER_ARRAY:
                raise PolicyLanguageError(f"more than {_MAX_FIELD_COUNTS_PER_ARRAY} field counts over {count['field']}")


def _segments(path: str) -> tuple[str, ...]:
    return tuple("*" if part == "[*]" else part for part in re.findall(r"\[\*\]|[^.\[\]]+", path))


@dataclass
class _Frame:
    """One enclosing count iteration: a field count binds an array path, a value count binds a name."""

    kind: str
    key: Any
    member: Any
    iterations: int


class _Context:
    """The resource, parameter values and enclosing count iterations one evaluation sees."""

    def __init__(
        self, resource: Mapping[str, Any], parameters: dict[str, Any], aliases: Mapping[str, str] | None
    ) -> None:
        if not isinstance(resource.get("type"), str):
            raise PolicyLanguageError("the resource payload needs a 'type'")
        self.resource = resource
        self.parameters = parameters
        self.aliases = {k.lower(): v for k, v in (DEFAULT_ALIASES if aliases is None else aliases).items()}
        self.frames: list[_Frame] = []

    def condition(self, node: Any) -> bool:
        if not isinstance(node, Mapping) or not node:
            raise PolicyLanguageError(f"a condition must be a non-empty object, got {node!r}")
        keys = set(node)
        for logical in ("allOf", "anyOf"):
            if logical in keys:
                children = node[logical]
                if keys != {logical} or not isinstance(children, list) or not children:
                    raise PolicyLanguageError(f"'{logical}' must be alone in its object and hold a non-empty list")
                results = [self.condition(child) for child in children]
                return all(results) if logical == "allOf" else any(results)
        if "not" in keys:
            if keys != {"not"}:
                raise PolicyLanguageError("'not' must be alone in its object")
            return not self.condition(node["not"])
        subjects = keys & {"field", "value", "count"}
        operators = keys - subjects
        if len(subjects) != 1 or len(operators) != 1 or not operators <= set(_OPERATORS):
            raise PolicyLanguageError(f"unsupported condition keys {sorted(keys)}")
        (subject,), (operator,) = subjects, operators
        target = self.operand(node[operator])
        if subject == "count":
            if operator not in _COUNT_OPERATORS:
                raise PolicyLanguageError(f"a count compares with one of {_COUNT_OPERATORS}, not {operator!r}")
            return compare(operator, self.count(node["count"]), target)
        if subject == "value":
            return compare(operator, self.operand(node["value"]), target)
        selection, collection = self.select(*self.alias_path(self.operand(node["field"])))
        if not collection:
            return compare(operator, selection[0], target)
        return all(compare(operator, value, target) for value in selection)

    def count(self, spec: Any) -> int:
        if not isinstance(spec, Mapping):
            raise PolicyLanguageError("'count' must be an object")
        outer_iterations = next((f.iterations for f in reversed(self.frames) if f.kind == "value"), 1)
        if "field" in spec:
            if not set(spec) <= {"field", "where"}:
                raise PolicyLanguageError(f"unsupported field count keys {sorted(spec)}")
            alias = self.operand(spec["field"])
            if not isinstance(alias, str) or not alias.endswith("[*]"):
                raise PolicyLanguageError(f"count.field must be an [*] alias, got {alias!r}")
            key, applies = self.alias_path(alias)
            members, _ = self.select(key, applies)
            kind, iterations = "field", outer_iterations
        elif "value" in spec:
            if not set(spec) <= {"value", "name", "where"}:
                raise PolicyLanguageError(f"unsupported value count keys {sorted(spec)}")
            members = self.operand(spec["value"])
            if not isinstance(members, list):
                raise PolicyLanguageError(f"count.value must be an array, got {members!r}")
            name = spec.get("name")
            if name is None and self.frames:
                raise PolicyLanguageError("a value count inside another count needs a 'name'")
            if name is not None and not re.fullmatch(r"[A-Za-z0-9]+", str(name)):
                raise PolicyLanguageError(f"count.name {name!r} must be English letters and digits")
            kind, key, iterations = "value", str(name or "default").lower(), outer_iterations * len(members)
            if iterations > _MAX_VALUE_COUNT_ITERATIONS:
                raise TemplateFunctionError(f"value count iterations ({iterations}) exceed 100")
        else:
            raise PolicyLanguageError("a count needs 'field' or 'value'")
        if "where" not in spec:
            return len(members)
        total = 0
        for member in members:
            self.frames.append(_Frame(kind, key, member, iterations))
            try:
                total += self.condition(spec["where"])
            finally:
                self.frames.pop()
        return total

    def alias_path(self, name: Any) -> tuple[tuple[str, ...], bool]:
        """The payload path of a field, and whether it applies to this resource's type."""
        if not isinstance(name, str):
            raise PolicyLanguageError(f"a field name must be a string, got {name!r}")
        if name.lower() in _TOP_LEVEL_FIELDS:
            return (name.lower(),), True
        path = self.aliases.get(name.lower())
        if path is None:
            raise PolicyLanguageError(f"alias {name!r} is not modelled; add it (and its path) to the alias table")
        # An alias is `<resource type>/<property path>`; on a resource of another type it selects nothing.
        alias_type = name.rsplit("/", 1)[0]
        return _segments(path), alias_type.lower() == self.resource["type"].lower()

    def bindings(self) -> dict[tuple[str, ...], Any]:
        return {frame.key: frame.member for frame in self.frames if frame.kind == "field"}

    def select(self, path: tuple[str, ...], applies: bool = True) -> tuple[list[Any], bool]:
        """The values a path selects and whether they are a collection (an unbound `[*]` on the way)."""
        if not applies:
            return ([], True) if "*" in path else ([None], False)
        bindings = self.bindings()
        start, values = 0, [self.resource]
        for end in range(len(path), 0, -1):
            if path[end - 1] == "*" and path[:end] in bindings:
                start, values = end, [bindings[path[:end]]]
                break
        for bound in bindings:
            for cut in range(1, len(bound)):
                if bound[cut - 1] == "*" and path[:cut] == bound[:cut] and start < cut:
                    # e.g. virtualMachines[*].id inside a count over virtualMachines[*].ports[*]
                    raise PolicyLanguageError(f"{'.'.join(path)} reaches into the counted array only part way")
        collection = False
        for segment in path[start:]:
            if segment != "*":
                values = [read_property(value, segment) for value in values]
                continue
            collection = True
            expanded: list[Any] = []
            for value in values:
                if isinstance(value, list):
                    expanded.extend(value)
                elif value is not None:
                    raise PolicyLanguageError(f"[*] over a {type(value).__name__} in {'.'.join(path)}")
            values = expanded
        return values, collection

    def current(self, *args: Any) -> Any:
        if not self.frames:
            raise PolicyLanguageError("current() is only available inside count.where")
        if not args:
            if len(self.frames) != 1:
                raise PolicyLanguageError("current() without a name is not allowed inside a nested count")
            return self.frames[0].member
        if len(args) != 1 or not isinstance(args[0], str):
            raise PolicyLanguageError(f"current() takes one name, got {args!r}")
        for frame in reversed(self.frames):
            if frame.kind == "value" and frame.key == args[0].lower():
                return frame.member
        (path, _), bindings = self.alias_path(args[0]), self.bindings()
        for end in range(len(path), 0, -1):
            if path[:end] in bindings:
                value = bindings[path[:end]]
                for segment in path[end:]:
                    if segment == "*":
                        raise PolicyLanguageError(f"current({args[0]!r}) reaches past the counted member")
                    value = read_property(value, segment)
                return value
        raise PolicyLanguageError(f"current({args[0]!r}) names no enclosing count")

    def field(self, name: Any) -> Any:
        path, applies = self.alias_path(name)
        values, collection = self.select(path, applies)
        if collection or "*" in path:  # an array alias always gives an array, even for the counted member
            return list(values)
        return "" if values[0] is None else values[0]

    def operand(self, raw: Any) -> Any:
        """A literal, or the value of a `[...]` template expression (`[[` escapes a literal bracket)."""
        if isinstance(raw, str) and raw.startswith("[["):
            return raw[1:]
        if isinstance(raw, str) and raw.startswith("[") and raw.endswith("]"):
            return evaluate_expression(raw[1:-1], self)
        return raw


# -- conditions -----------------------------------------------------------------------------------------


def _text(value: str) -> str:
    if not value.isascii():
        raise PolicyLanguageError(f"case-insensitive comparison of non-ASCII text {value!r} is not modelled")
    return value.lower()


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return _text(left) == _text(right)
    if isinstance(left, bool) or isinstance(right, bool):
        # The rule page's own example compares a boolean function result with "true".
        as_text = [str(v).lower() if isinstance(v, bool) else v for v in (left, right)]
        if all(isinstance(v, str) for v in as_text):
            return _text(as_text[0]) == _text(as_text[1])
    elif isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    elif isinstance(left, (list, dict)) != isinstance(right, (list, dict)):
        # Documented: a counted member compared with field() of itself (a one-element array) is not equal.
        return False
    raise PolicyLanguageError(f"comparing {left!r} with {right!r} (mixed or complex types) is not modelled")


def _like(value: str, pattern: str) -> bool:
    if pattern.count("*") > 1:
        raise PolicyLanguageError(f"like pattern {pattern!r} has more than one wildcard")
    regex = ".*".join(re.escape(_text(part)) for part in pattern.split("*"))
    return re.fullmatch(regex, _text(value), flags=re.DOTALL) is not None


def compare(operator: str, left: Any, right: Any) -> bool:
    """One condition operator applied to a single selected value (null when missing) and its target."""
    if operator == "exists":
        if isinstance(right, str) and right.lower() in ("true", "false"):
            right = right.lower() == "true"
        if not isinstance(right, bool):
            raise PolicyLanguageError(f"exists takes true or false, got {right!r}")
        return (left is not None) == right
    if operator in ("in", "notIn"):
        if not isinstance(right, list):
            raise PolicyLanguageError(f"{operator} needs an array, got {right!r}")
        found = left is not None and any(_equal(left, member) for member in right)
        return found if operator == "in" else not found
    if operator in ("equals", "notEquals"):
        same = left is not None and _equal(left, right)
        return same if operator == "equals" else not same
    if operator in ("like", "notLike", "contains", "notContains"):
        negated = operator.startswith("not")
        if not isinstance(right, str):
            raise PolicyLanguageError(f"{operator} needs a string target, got {right!r}")
        if "ontains" in operator and "*" in right:
            raise PolicyLanguageError("a contains/notContains value cannot hold the wildcard '*'")
        if left is None:
            return negated
        if not isinstance(left, str):
            raise PolicyLanguageError(f"{operator} on a {type(left).__name__} is not modelled")
        hit = _like(left, right) if "ike" in operator else _text(right) in _text(left)
        return hit != negated
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
        if isinstance(left, str) and isinstance(right, str):
            raise PolicyLanguageError("culture-aware string ordering (less/greater on strings) is not modelled")
        raise TemplateFunctionError(f"{operator} between {left!r} and {right!r}: the types do not match")
    return {
        "less": left < right,
        "lessOrEquals": left <= right,
        "greater": left > right,
        "greaterOrEquals": left >= right,
    }[operator]
