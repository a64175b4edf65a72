"""ARM template expressions (`[concat(...)]`, `[parameters('x')]`, `[split(field('y'), '/')]`, ...) for the
local Azure Policy evaluator in `azure_policy_eval.py`.

A policy rule's string operands may be `[...]` template expressions; this module parses ARM's expression
grammar (calls, 'strings', integers, `.property`, `[index]`) and evaluates it with the template functions
our definitions use. Anything else is refused with `PolicyLanguageError`, never guessed.

Semantics, from Microsoft's documentation:

- Template functions: https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions
- Policy functions (`field()`, `current()`, `parameters()`):
  https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule

* A function that fails at evaluation time (`int('x')`, an index outside an array) raises
  `TemplateFunctionError`; Azure turns a failed evaluation into an implicit deny, and so does `evaluate()`.
* ARM `if()` evaluates only the chosen branch (documented); `and()`/`or()` evaluate every argument here
  because Azure does not document short-circuiting, so a rule that would fail without it fails here too.
* Function names are case-insensitive, as in ARM.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol


# The evaluator's two errors live here, at the bottom of the import chain; azure_policy_eval re-exports them.
class PolicyLanguageError(Exception):
    """The rule is malformed or uses something this evaluator does not model: fix the rule or the evaluator."""


class TemplateFunctionError(Exception):
    """A modelled construct failed at evaluation time; Azure treats the evaluation as an implicit deny."""


class ExpressionContext(Protocol):
    """What the policy functions read from the evaluation: parameter values, fields, count iterations."""

    parameters: Mapping[str, Any]

    def field(self, name: Any) -> Any: ...

    def current(self, *args: Any) -> Any: ...


def evaluate_expression(text: str, context: ExpressionContext) -> Any:
    """The value of a template expression, given without its enclosing brackets."""
    return _evaluate_expression(_Parser(text).parse(), context)


def read_property(value: Any, key: str) -> Any:
    """A payload object's property, matched case-insensitively as Azure does; null when missing."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise PolicyLanguageError(f"cannot read property {key!r} of a {type(value).__name__}")
    if key in value:
        return value[key]
    matches = [k for k in value if isinstance(k, str) and k.lower() == key.lower()]
    if len(matches) > 1:
        raise PolicyLanguageError(f"property {key!r} is ambiguous: {matches}")
    return value[matches[0]] if matches else None


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+)|(?P<name>[A-Za-z][A-Za-z0-9]*)"
    r"|(?P<punct>[(),.\[\]]))"
)


class _Parser:
    """Recursive descent over ARM's expression grammar: calls, 'strings', integers, `.property`, `[index]`."""

    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.at = text, [], 0
        position = 0
        while text[position:].strip():
            match = _TOKEN.match(text, position)
            if match is None:
                raise PolicyLanguageError(f"cannot parse expression [{text}] at {text[position:]!r}")
            self.tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()

    def take(self, punct: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens) or (punct is not None and self.tokens[self.at][1] != punct):
            raise PolicyLanguageError(f"expression [{self.text}]: expected {punct or 'more'}")
        self.at += 1
        return self.tokens[self.at - 1]

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def parse(self) -> tuple:
        node = self.expression()
        if self.at != len(self.tokens):
            raise PolicyLanguageError(f"expression [{self.text}]: unexpected {self.tokens[self.at][1]!r}")
        return node

    def expression(self) -> tuple:
        kind, text = self.take()
        if kind == "string":
            node: tuple = ("literal", text[1:-1].replace("''", "'"))
        elif kind == "number":
            node = ("literal", int(text))
        elif kind == "name":
            # ARM has no bare identifiers: `true` is the function `true()`.
            self.take("(")
            args = []
            while self.peek() != ")":
                if args:
                    self.take(",")
                args.append(self.expression())
            self.take(")")
            node = ("call", text, args)
        else:
            raise PolicyLanguageError(f"expression [{self.text}]: unexpected {text!r}")
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if kind != "name":
                    raise PolicyLanguageError(f"expression [{self.text}]: a property name must follow '.'")
                node = ("property", node, name)
            else:
                node = ("index", node, self.expression())
                self.take("]")
        return node


def _evaluate_expression(node: tuple, context: ExpressionContext) -> Any:
    if node[0] == "literal":
        return node[1]
    if node[0] in ("property", "index"):
        target = _evaluate_expression(node[1], context)
        key = node[2] if node[0] == "property" else _evaluate_expression(node[2], context)
        if isinstance(target, list) and isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < len(target):
                raise TemplateFunctionError(f"index {key} is outside an array of {len(target)}")
            return target[key]
        if isinstance(target, Mapping) and isinstance(key, str):
            if read_property(target, key) is None:
                raise TemplateFunctionError(f"the object has no property {key!r}")
            return read_property(target, key)
        raise TemplateFunctionError(f"cannot access {key!r} on {target!r}")
    _, written, args = node
    name = written.lower()
    if name == "if":  # ARM evaluates only the branch the condition selects
        if len(args) != 3:
            raise PolicyLanguageError("if() takes a condition and two values")
        chosen = _evaluate_expression(args[0], context)
        if not isinstance(chosen, bool):
            raise TemplateFunctionError(f"if() needs a boolean condition, got {chosen!r}")
        return _evaluate_expression(args[1] if chosen else args[2], context)
    if name not in _FUNCTIONS:
        raise PolicyLanguageError(f"template function {written}() is not modelled")
    low, high, function = _FUNCTIONS[name]
    if not low <= len(args) <= high:
        raise PolicyLanguageError(f"{written}() takes {low}..{high} arguments, got {len(args)}")
    return function(context, *[_evaluate_expression(arg, context) for arg in args])


def _need(function: str, value: Any, *types: type) -> Any:
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise TemplateFunctionError(f"{function}() got {value!r}; it needs {' or '.join(t.__name__ for t in types)}")
    return value


def _parameter(context: ExpressionContext, name: Any) -> Any:
    _need("parameters", name, str)
    for key, value in context.parameters.items():
        if key.lower() == name.lower():
            return value
    raise PolicyLanguageError(f"parameters({name!r}): the definition declares no such parameter")


def _arm_equals(_: ExpressionContext, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        if left != right and left.lower() == right.lower():
            raise PolicyLanguageError("whether ARM equals() ignores case is not modelled")
        return left == right
    if type(left) is type(right) and isinstance(left, (int, bool)):
        return left == right
    raise PolicyLanguageError(f"equals({left!r}, {right!r}) across types is not modelled")


def _int(_: ExpressionContext, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    _need("int", value, str)
    if value != value.strip():
        raise PolicyLanguageError(f"int({value!r}) with surrounding whitespace is not modelled")
    if not re.fullmatch(r"-?\d+", value):
        raise TemplateFunctionError(f"int({value!r}): not an integer")
    return int(value)


def _string(_: ExpressionContext, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise PolicyLanguageError(f"string({value!r}) is not modelled")


def _end(function: str, value: Any, index: int) -> Any:
    _need(function, value, str, list)
    if not value:
        raise PolicyLanguageError(f"{function}() of an empty value is not modelled")
    return value[index]


def _split(_: ExpressionContext, value: Any, delimiter: Any) -> list[str]:
    _need("split", value, str)
    delimiters = [delimiter] if isinstance(delimiter, str) else _need("split", delimiter, list)
    if not delimiters or not all(isinstance(d, str) and d for d in delimiters):
        raise TemplateFunctionError(f"split() needs non-empty string delimiters, got {delimiter!r}")
    return re.split("|".join(re.escape(d) for d in delimiters), value)


def _ordering(name: str):
    def compare_integers(_: ExpressionContext, left: Any, right: Any) -> bool:
        if isinstance(left, str) and isinstance(right, str):
            raise PolicyLanguageError(f"{name}() on strings is not modelled")
        _need(name, left, int)
        _need(name, right, int)
        return {
            "less": left < right,
            "lessorequals": left <= right,
            "greater": left > right,
            "greaterorequals": left >= right,
        }[name]

    return compare_integers


def _logical(name: str):
    def combine(_: ExpressionContext, *values: Any) -> bool:
        for value in values:
            _need(name, value, bool)
        return all(values) if name == "and" else any(values)

    return combine


def _empty(_: ExpressionContext, value: Any) -> bool:
    return value is None or len(_need("empty", value, str, list, dict)) == 0


def _contains(_: ExpressionContext, container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return _need("contains", item, str) in container  # ARM's contains() is case-sensitive
    if isinstance(container, list):
        return any(_arm_equals(_, member, item) for member in container)
    raise PolicyLanguageError(f"contains() on {container!r} is not modelled")


def _concat(_: ExpressionContext, *values: Any) -> Any:
    if all(isinstance(v, str) for v in values):
        return "".join(values)
    if all(isinstance(v, list) for v in values):
        return [member for value in values for member in value]
    raise PolicyLanguageError(f"concat() of mixed types {values!r} is not modelled")


def _case(upper: bool):
    def convert(_: ExpressionContext, value: Any) -> str:
        text = _need("toUpper" if upper else "toLower", value, str)
        if not text.isascii():
            raise PolicyLanguageError(f"case conversion of non-ASCII text {text!r} is not modelled")
        return text.upper() if upper else text.lower()

    return convert


_MANY = 64
_FUNCTIONS: dict[str, tuple[int, int, Any]] = {
    "parameters": (1, 1, _parameter),
    "field": (1, 1, lambda context, name: context.field(name)),
    "current": (0, 1, lambda context, *name: context.current(*name)),
    "equals": (2, 2, _arm_equals),
    "less": (2, 2, _ordering("less")),
    "lessorequals": (2, 2, _ordering("lessorequals")),
    "greater": (2, 2, _ordering("greater")),
    "greaterorequals": (2, 2, _ordering("greaterorequals")),
    "and": (2, _MANY, _logical("and")),
    "or": (2, _MANY, _logical("or")),
    "not": (1, 1, lambda _, value: not _need("not", value, bool)),
    "true": (0, 0, lambda _: True),
    "false": (0, 0, lambda _: False),
    "int": (1, 1, _int),
    "string": (1, 1, _string),
    "split": (2, 2, _split),
    "first": (1, 1, lambda _, value: _end("first", value, 0)),
    "last": (1, 1, lambda _, value: _end("last", value, -1)),
    "empty": (1, 1, _empty),
    "coalesce": (1, _MANY, lambda _, *values: next((v for v in values if v is not None), None)),
    "contains": (2, 2, _contains),
    "length": (1, 1, lambda _, value: len(_need("length", value, str, list, dict))),
    "concat": (1, _MANY, _concat),
    "tolower": (1, 1, _case(upper=False)),
    "toupper": (1, 1, _case(upper=True)),
}
