"""Reading Azure Policy definitions by what they do: the deny-wildcard guardrail, and policies that open ports.

A definition is recognised by behaviour, never by its name or by which aliases its text mentions (issue 21:
a DeployIfNotExists policy that *adds* an SSH rule from `*` mentions the same aliases as the guardrail that
forbids it). Policy language reference: Microsoft Learn, "Azure Policy definition structure" (policy rule,
effects, parameters) and "Azure Policy definitions deployIfNotExists / modify effect".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .ports import DEFAULT_MANAGEMENT_PORTS, covered_ports, parse_port_spec
from .props import as_list, text
from .rules.sources import is_wildcard

OPENING_EFFECTS = frozenset({"deployifnotexists", "modify"})
_PARAMETER = re.compile(r"^\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]$", re.IGNORECASE)
_RULE_TYPE = "microsoft.network/networksecuritygroups/securityrules"
_NSG_TYPE = "microsoft.network/networksecuritygroups"


def _conditions(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every positive leaf condition (`{"field": ..., "equals": ...}`) of an `if` tree, count `where` clauses
    included. Conditions under `not` are left out: `not (source in ['*'])` matches the opposite rules."""
    if isinstance(node, list):
        for item in node:
            yield from _conditions(item)
    elif isinstance(node, Mapping):
        for key in ("allOf", "anyOf", "where"):
            yield from _conditions(node.get(key))
        count = node.get("count")
        if isinstance(count, Mapping):
            yield from _conditions(count)
        if "field" in node or "value" in node:
            yield node


def _field(condition: Mapping[str, Any]) -> str:
    return str(condition.get("field", "")).lower()


def _values(condition: Mapping[str, Any]) -> list[str]:
    found = []
    for operator in ("equals", "in", "like", "contains"):
        found += [str(v).strip().lower() for v in as_list(condition.get(operator)) if isinstance(v, (str, int))]
    return found


def _is_wildcard(value: str) -> bool:
    # `like '*/0'` in a policy condition stands for every /0 prefix.
    return is_wildcard(value) or value.endswith("/0")


def effects(props: Mapping[str, Any]) -> set[str]:
    """The effects the definition can have (lower case): a literal, or every value its effect parameter allows."""
    rule = props.get("policyRule")
    then = rule.get("then") if isinstance(rule, Mapping) else None
    effect = then.get("effect") if isinstance(then, Mapping) else None
    if not isinstance(effect, str):
        return set()
    match = _PARAMETER.match(effect.strip())
    if not match:
        return {effect.strip().lower()}
    parameters = props.get("parameters")
    spec = parameters.get(match.group(1)) if isinstance(parameters, Mapping) else None
    if not isinstance(spec, Mapping):
        return {"unknown"}
    allowed = [str(v).lower() for v in as_list(spec.get("allowedValues")) if isinstance(v, str)]
    default = spec.get("defaultValue")
    return set(allowed) or ({str(default).lower()} if isinstance(default, str) else {"unknown"})


def is_deny_wildcard_definition(props: Mapping[str, Any]) -> bool:
    """Whether a definition is the deny-wildcard guardrail: it only denies (or audits), deploys nothing, and its
    `if` matches inbound Allow NSG rules from a wildcard source to a port, or JIT port rules with a wildcard source.
    """
    rule = props.get("policyRule")
    if not isinstance(rule, Mapping) or not isinstance(rule.get("then"), Mapping):
        return False
    found = effects(props)
    if "deny" not in found or not found <= {"deny", "audit"} or rule["then"].get("details") is not None:
        return False
    conditions = list(_conditions(rule.get("if")))

    def has(field_part: str, accept: Any) -> bool:
        return any(field_part in _field(c) and any(accept(v) for v in _values(c)) for c in conditions)

    nsg = (
        has("securityrules", lambda v: v == "inbound")
        and has("securityrules", lambda v: v == "allow")
        and has("sourceaddressprefix", _is_wildcard)
        and any("destinationportrange" in _field(c) or "destinationportrange" in str(c).lower() for c in conditions)
    )
    jit = has("jitnetworkaccesspolicies", _is_wildcard) and any(
        "allowedsourceaddressprefix" in _field(c) for c in conditions
    )
    return nsg or jit


def _flat(rule: Mapping[str, Any]) -> dict[str, Any]:
    nested = rule.get("properties")
    return {**nested, **rule} if isinstance(nested, Mapping) else dict(rule)


def _opening(rule: Mapping[str, Any], where: str, ports: tuple[int, ...]) -> str | None:
    """What an inbound Allow rule in a deployment template opens to management ports, or None."""
    rule = _flat(rule)
    for key, harmless in (("access", "deny"), ("direction", "outbound")):
        value = text(rule.get(key))
        if value is not None and value.lower() == harmless:
            return None
    specs = [rule.get("destinationPortRange"), *as_list(rule.get("destinationPortRanges"))]
    specs = [s for s in specs if s is not None]
    # An expression (`[parameters('port')]`) can be any port at deployment time: fail closed.
    opened = [s for s in specs if parse_port_spec(s) is None] or covered_ports(specs or ["*"], ports)
    if not opened:
        return None
    sources = [rule.get("sourceAddressPrefix"), *as_list(rule.get("sourceAddressPrefixes"))]
    shown = ", ".join(f"'{s}'" for s in sources if s is not None) or "any source (none given)"
    port_text = ", ".join(str(p) for p in opened)
    return f"{where} allows inbound traffic from {shown} to management port(s) {port_text}"


def _template_resources(node: Any, path: str, parent_type: str = "") -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(path, full lower-case type, resource) for each resource of a deployment template: nested deployments and
    child resources (`securityRules` inside an NSG's `resources`, whose type is relative to its parent) included."""
    if not isinstance(node, Mapping):
        return
    for index, resource in enumerate(as_list(node.get("resources"))):
        if not isinstance(resource, Mapping):
            continue
        where = f"{path}.resources[{index}]"
        kind = str(resource.get("type", "")).lower()
        kind = f"{parent_type}/{kind}" if parent_type and "/" not in kind else kind
        yield where, kind, resource
        properties = resource.get("properties")
        if isinstance(properties, Mapping):
            yield from _template_resources(properties.get("template"), f"{where}.properties.template")
        yield from _template_resources(resource, where, kind)


def opened_management_ports(props: Mapping[str, Any], ports: tuple[int, ...] = DEFAULT_MANAGEMENT_PORTS) -> list[str]:
    """What a deployIfNotExists or modify definition opens on management ports (empty: nothing, or another effect)."""
    if not effects(props) & OPENING_EFFECTS:
        return []
    rule = props.get("policyRule")
    then = rule.get("then") if isinstance(rule, Mapping) else None
    details = then.get("details") if isinstance(then, Mapping) else None
    if not isinstance(details, Mapping):
        return []
    found: list[str] = []
    deployment = details.get("deployment")
    properties = deployment.get("properties") if isinstance(deployment, Mapping) else None
    template = properties.get("template") if isinstance(properties, Mapping) else None
    for where, kind, resource in _template_resources(template, "deployment template"):
        name = text(resource.get("name")) or "unnamed"
        if kind == _RULE_TYPE:
            found += [m for m in [_opening(resource, f"its {where} (security rule '{name}')", ports)] if m]
        elif kind == _NSG_TYPE:
            body = resource.get("properties")
            for index, inline in enumerate(as_list(body.get("securityRules") if isinstance(body, Mapping) else None)):
                if isinstance(inline, Mapping):
                    label = f"its {where} (NSG '{name}', securityRules[{index}])"
                    found += [m for m in [_opening(inline, label, ports)] if m]
    for index, operation in enumerate(as_list(details.get("operations"))):
        if not isinstance(operation, Mapping):
            continue
        field = str(operation.get("field", "")).lower()
        kind = str(operation.get("operation", "")).lower()
        if "securityrules" not in field or kind == "remove":
            continue
        value = operation.get("value")
        widening = (field.endswith(("/access", ".access")) and str(value).lower() == "allow") or field.endswith(
            ("/direction", ".direction")
        )
        widening = widening or "sourceaddressprefix" in field
        if "destinationportrange" in field:
            specs = as_list(value)
            widening = any(parse_port_spec(s) is None for s in specs) or bool(covered_ports(specs, ports))
        if widening:
            found.append(f"its operations[{index}] ({kind or 'operation'}) sets {operation.get('field')} to {value!r}")
    return found
