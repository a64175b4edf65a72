"""NSG policies: no management port open to the internet, no inline rules (which would delete JIT's rules).

Both judge raw azure-native resources (standalone `SecurityRule` and `NetworkSecurityGroup` with inline
rules, any API version) and the classic `azure` provider's equivalents, not only our components.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .docs import policy_url
from .ports import DEFAULT_MANAGEMENT_PORTS, covered_ports, parse_port_spec, protocol_carries_ports
from .props import as_list, is_type, is_unknown, plain, raise_if_unverified, resource_name, settings, text
from .sources import SOURCE_CONFIG_SCHEMA, internet_wide_findings, limits_from, source_defaults

RULE_TYPES = ("azure-native:network:SecurityRule", "azure:network/networkSecurityRule:NetworkSecurityRule")
NSG_TYPES = ("azure-native:network:NetworkSecurityGroup", "azure:network/networkSecurityGroup:NetworkSecurityGroup")

MANAGEMENT_PORTS_SCHEMA = {
    "type": "array",
    "items": {"type": "integer", "minimum": 0, "maximum": 65535},
    "minItems": 1,
    "default": list(DEFAULT_MANAGEMENT_PORTS),
    "description": "Ports that must never be reachable from the internet.",
}
PUBLIC_SOURCE_DEFAULTS = {"managementPorts": list(DEFAULT_MANAGEMENT_PORTS), **source_defaults()}


@dataclass
class RuleAssessment:
    """The verdict on one NSG rule: a problem (definite violation), unknown fields, or neither (fine)."""

    problem: str | None = None
    unknown: list[str] = field(default_factory=list)


def _flat_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    # ARM's own shape nests the fields under `properties`; the SDK's input shape is flat.
    nested = rule.get("properties")
    return {**nested, **rule} if isinstance(nested, Mapping) else dict(rule)


def assess_rule(rule: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> RuleAssessment:
    """Does this NSG rule let the internet reach a management port? Missing fields fail closed."""
    config = settings(config, PUBLIC_SOURCE_DEFAULTS)
    rule = _flat_rule(rule)
    unknown = []
    for key, harmless in (("access", ("deny",)), ("direction", ("outbound",))):
        value = rule.get(key)
        if is_unknown(value):
            unknown.append(key)
        elif isinstance(value, str) and value.strip().lower() in harmless:
            return RuleAssessment()
    protocol = rule.get("protocol")
    if is_unknown(protocol):
        unknown.append("protocol")
    elif not protocol_carries_ports(protocol):
        return RuleAssessment()

    port_specs = [rule.get("destinationPortRange"), *as_list(rule.get("destinationPortRanges"))]
    unknown += [f"destinationPortRange{'s' if i else ''}" for i, s in enumerate(port_specs) if is_unknown(s)]
    known_specs = [s for s in port_specs if s is not None and not is_unknown(s)]
    implied_any = not known_specs and not any(is_unknown(s) for s in port_specs)
    management = [int(port) for port in config["managementPorts"]]  # the engine sends numbers as floats
    ports = covered_ports(["*"] if implied_any else known_specs, management)

    sources = [rule.get("sourceAddressPrefix"), *as_list(rule.get("sourceAddressPrefixes"))]
    unknown += [f"sourceAddressPrefix{'es' if i else ''}" for i, s in enumerate(sources) if is_unknown(s)]
    findings = internet_wide_findings(
        [s for s in sources if isinstance(s, str) and not is_unknown(s)], limits_from(config)
    )
    if not ports or not findings:
        blocked_by_unknown = (ports or any(is_unknown(s) for s in port_specs)) and (
            findings or any(is_unknown(s) for s in sources)
        )
        return RuleAssessment(unknown=unknown if blocked_by_unknown else [])
    if any(key in unknown for key in ("access", "direction", "protocol")):
        return RuleAssessment(unknown=unknown)
    # A known internet source to a known management port decides it, whatever other list elements hold.
    port_text = ", ".join(str(p) for p in ports)
    fields = ["none given, so any port"] if implied_any else [f"'{s}'" for s in known_specs if parse_port_spec(s)]
    protocol_text = text(protocol) or "not set, so *"
    return RuleAssessment(
        problem=(
            f"allows inbound traffic (protocol {protocol_text}) from {'; '.join(findings)} to management "
            f"port{'s' if len(ports) > 1 else ''} {port_text} (destination ports {', '.join(fields)})"
        )
    )


def check_public_management_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `nsg-no-public-management-source`."""
    if not is_type(args.resource_type, *RULE_TYPES, *NSG_TYPES):
        args.not_applicable("not an NSG or a security rule")
    config = settings(args.get_config(), PUBLIC_SOURCE_DEFAULTS)
    props = plain(args.props)
    unknown: list[str] = []
    reported = False
    if is_type(args.resource_type, *RULE_TYPES):
        name = resource_name(props, "securityRuleName", args.name)
        verdict = assess_rule(props, config)
        if verdict.problem:
            report_violation(f"Security rule '{name}' {verdict.problem}.", None)
            reported = True
        unknown += [f"security rule '{name}': {key}" for key in verdict.unknown]
    elif is_type(args.resource_type, *NSG_TYPES):
        rules = props.get("securityRules")
        for index, rule in enumerate(as_list(rules)):
            where = f"securityRules[{index}]"
            if is_unknown(rule):
                unknown.append(f"inline rule {where}")
            if not isinstance(rule, Mapping):
                continue
            label = f"Inline rule {where} ('{text(_flat_rule(rule).get('name')) or 'unnamed'}')"
            verdict = assess_rule(rule, config)
            if verdict.problem:
                report_violation(
                    f"{label} of NSG '{resource_name(props, 'networkSecurityGroupName', args.name)}' "
                    f"{verdict.problem}.",
                    None,
                )
                reported = True
            unknown += [f"{where}: {key}" for key in verdict.unknown]
    raise_if_unverified(unknown, reported)


def check_no_inline_rules(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `nsg-no-inline-rules`."""
    if not is_type(args.resource_type, *NSG_TYPES):
        args.not_applicable("not a network security group")
    props = plain(args.props)
    if "securityRules" not in props or props["securityRules"] is None:
        return
    rules = props["securityRules"]
    if is_unknown(rules):
        count = "an unknown number of"
    elif isinstance(rules, list):
        count = str(len(rules)) if rules else "an empty list of"
    else:
        count = "malformed"
    report_violation(
        f"NSG '{resource_name(props, 'networkSecurityGroupName', args.name)}' declares {count} inline "
        "securityRules. With inline rules every update PUTs exactly that list, deleting the allow and deny rules "
        "JIT adds on each request (even an empty list does).",
        None,
    )


nsg_no_public_management_source = ResourceValidationPolicy(
    name="nsg-no-public-management-source",
    description="An inbound Allow NSG rule must not open a management port (SSH, RDP, WinRM) to the internet: "
    "*, Any, Internet, 0.0.0.0/0, ::/0, AzureCloud, or public prefixes wider than the configured size.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_public_management_source,
    severity=Severity.CRITICAL,
    remediation_steps="Allow only specific addresses (a /32, your office egress or the Bastion subnet), or keep the "
    "port closed and open it per request with JIT (`jit request`).",
    url=policy_url("nsg-no-public-management-source"),
    config_schema=PolicyConfigSchema(properties={"managementPorts": MANAGEMENT_PORTS_SCHEMA, **SOURCE_CONFIG_SCHEMA}),
)

nsg_no_inline_rules = ResourceValidationPolicy(
    name="nsg-no-inline-rules",
    description="NSGs must not declare inline securityRules: with JIT, every update would delete JIT's rules. "
    "Use standalone SecurityRule resources.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_no_inline_rules,
    severity=Severity.HIGH,
    remediation_steps="Remove `security_rules` from the NSG and declare each rule as a standalone "
    "`network.SecurityRule` with `network_security_group_name` set.",
    url=policy_url("nsg-no-inline-rules"),
)

POLICIES = [nsg_no_public_management_source, nsg_no_inline_rules]
