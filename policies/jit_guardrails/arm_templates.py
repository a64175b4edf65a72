"""Reading ARM templates embedded in a Pulumi program: resources, with what can be resolved resolved.

A template deployed through `resources.Deployment` creates its resources behind Pulumi's back: the pack
only sees the template. This module lists the template's resources (nested `resources`, symbolic-name
templates and nested inline deployments included) with their full ARM type and their properties, where
`[parameters('x')]` and `[variables('x')]` are replaced by the deployment's parameter values, the
template's defaults or its variables. Every other expression (`[concat(...)]`, `[copyIndex()]`, Key Vault
references ...) is left as Pulumi's unknown value and recorded, so a security-relevant field that holds one
fails closed in the caller (Microsoft Learn, "Template functions": only these two are evaluated here).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from .props import as_list, is_unknown, text

_REFERENCE = re.compile(r"^\s*(parameters|variables)\s*\(\s*'([^']*)'\s*\)\s*$", re.IGNORECASE)
MAX_DEPTH = 10  # nested deployments and variables referring to variables


@dataclass
class Scope:
    """What expressions of one template can refer to: parameter values and variables (lower-case names)."""

    parameters: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)

    def resolve(self, value: Any, depth: int = 0) -> Any:
        """The value with references resolved; anything else in brackets becomes unknown and is recorded."""
        if isinstance(value, Mapping):
            return {key: self.resolve(item, depth) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item, depth) for item in value]
        if not isinstance(value, str) or is_unknown(value):
            return value
        stripped = value.strip()
        if stripped.startswith("[["):
            return stripped[1:]  # ARM's escape for a literal that starts with a bracket
        if not (stripped.startswith("[") and stripped.endswith("]")):
            return value
        match = _REFERENCE.match(stripped[1:-1])
        if match and depth < MAX_DEPTH:
            kind, name = match.group(1).lower(), match.group(2).lower()
            table = self.parameters if kind == "parameters" else self.variables
            if name in table:
                return self.resolve(table[name], depth + 1)
        self.unresolved.append(stripped)
        return UNKNOWN_STRING_VALUE


def template_scope(template: Mapping[str, Any], parameters: Any) -> Scope:
    """The scope of a template deployed with these `parameters` (`{name: {"value": ...}}`)."""
    scope = Scope()
    given = parameters if isinstance(parameters, Mapping) else {}
    given = {str(k).lower(): v for k, v in given.items()}
    declared = template.get("parameters")
    for name, spec in (declared if isinstance(declared, Mapping) else {}).items():
        supplied = given.get(name.lower())
        if isinstance(supplied, Mapping) and "value" in supplied:
            scope.parameters[name.lower()] = supplied["value"]
        elif isinstance(spec, Mapping) and "defaultValue" in spec:
            scope.parameters[name.lower()] = spec["defaultValue"]
    variables = template.get("variables")
    scope.variables = {str(k).lower(): v for k, v in (variables if isinstance(variables, Mapping) else {}).items()}
    return scope


@dataclass
class TemplateResource:
    """One resource a template creates: full ARM type (lower case), resolved name and properties."""

    arm_type: str
    name: Any
    properties: dict[str, Any]
    where: str
    unresolved: list[str]


def _resources(template: Mapping[str, Any]) -> list[tuple[str, Any]]:
    items = template.get("resources")
    if isinstance(items, Mapping):  # languageVersion 2.0: symbolic names
        return [(f"resources.{key}", item) for key, item in items.items()]
    return [(f"resources[{index}]", item) for index, item in enumerate(as_list(items))]


def walk(template: Any, parameters: Any, where: str = "template", depth: int = 0) -> Iterator[TemplateResource]:
    """Every resource of the template, nested children and inline nested deployments included."""
    if not isinstance(template, Mapping) or depth > MAX_DEPTH:
        return
    scope = template_scope(template, parameters)
    yield from _walk_list(template, scope, where, "", depth)


def _walk_list(
    holder: Mapping[str, Any], scope: Scope, where: str, parent_type: str, depth: int
) -> Iterator[TemplateResource]:
    for path, item in _resources(holder):
        if not isinstance(item, Mapping):
            continue
        before = len(scope.unresolved)
        raw_type = scope.resolve(item.get("type"))
        arm_type = raw_type.strip().lower() if isinstance(raw_type, str) and not is_unknown(raw_type) else "?"
        if parent_type and arm_type != "?" and "." not in arm_type.split("/", 1)[0]:
            arm_type = f"{parent_type}/{arm_type}"  # a child declared inside its parent: `securityRules`
        name = scope.resolve(item.get("name"))
        properties = scope.resolve(item.get("properties") or {})
        here = f"{where}.{path}"
        yield TemplateResource(arm_type, name, properties, here, scope.unresolved[before:])
        yield from _walk_list(item, scope, here, arm_type, depth)
        if arm_type == "microsoft.resources/deployments" and isinstance(properties, Mapping):
            inner = str((properties.get("expressionEvaluationOptions") or {}).get("scope", "")).lower() == "inner"
            raw = item.get("properties")
            nested = raw.get("template") if isinstance(raw, Mapping) else None
            if inner:
                yield from walk(nested, properties.get("parameters"), f"{here}.properties.template", depth + 1)
            elif isinstance(nested, Mapping):
                yield from _walk_list(nested, scope, f"{here}.properties.template", "", depth + 1)


def arm_type_of_generic(props: Mapping[str, Any]) -> str | None:
    """The full ARM type a `resources.Resource` creates: namespace/parent types/type, lower case."""
    namespace, kind = text(props.get("resourceProviderNamespace")), props.get("resourceType")
    parent = props.get("parentResourcePath")
    if namespace is None or not isinstance(kind, str) or is_unknown(kind) or is_unknown(parent):
        return None
    parent_types = [s for i, s in enumerate((text(parent) or "").strip("/").split("/")) if i % 2 == 0 and s]
    return "/".join([namespace, *parent_types, kind.strip("/")]).lower()
