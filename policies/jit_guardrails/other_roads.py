"""Other resources that open a management port to the internet without touching an NSG rule.

- Azure Virtual Network Manager security admin rules (`network.AdminRule`): evaluated before every NSG; an
  `AlwaysAllow` rule is final, so no NSG (JIT's deny rules included) can close the port again.
- Azure Firewall DNAT rules (classic `AzureFirewall.natRuleCollections`, or a firewall policy's
  `FirewallPolicyRuleCollectionGroup` with a `FirewallPolicyNatRuleCollection`): forward a public port to a
  VM's management port, from the sources the rule lists.

Each rule is translated into the NSG rule it amounts to and judged by `network.assess_rule`, so the source
and port detectors are the same ones the NSG policies use.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from .network import MANAGEMENT_PORTS_SCHEMA, PUBLIC_SOURCE_DEFAULTS, assess_rule
from .ports import NON_PORT_PROTOCOLS
from .props import as_list, is_type, is_unknown, plain, raise_if_unverified, resource_name, settings, text
from .sources import SOURCE_CONFIG_SCHEMA

ADMIN_RULE_TYPE = "azure-native:network:AdminRule"
AZURE_FIREWALL_TYPE = "azure-native:network:AzureFirewall"
RULE_COLLECTION_GROUP_TYPES = (
    "azure-native:network:FirewallPolicyRuleCollectionGroup",
    "azure-native:network:FirewallPolicyRuleCollectionGroupDraft",
)


def flat(item: Any) -> dict[str, Any]:
    """An ARM object in the SDK's flat shape (ARM's own shape nests the fields under `properties`)."""
    if not isinstance(item, Mapping):
        return {}
    nested = item.get("properties")
    return {**nested, **item} if isinstance(nested, Mapping) else dict(item)


def _protocol(protocols: Any) -> Any:
    """One NSG protocol for a list of firewall or AVNM protocols: `*` if any of them carries ports."""
    values = as_list(protocols)
    if any(is_unknown(p) for p in values):
        return next(p for p in values if is_unknown(p))
    names = [p.strip().lower() for p in values if isinstance(p, str) and p.strip()]
    if names and all(name in NON_PORT_PROTOCOLS for name in names):
        return "Icmp"
    return "*"


def admin_rule_as_nsg_rule(props: Mapping[str, Any]) -> dict[str, Any]:
    """The NSG rule an AVNM security admin rule amounts to (AlwaysAllow and Allow both count as Allow).

    Missing sources or ports mean "any" in AVNM (Microsoft Learn, "Security admin rules"), so they stay missing
    and `assess_rule` treats them as `*`.
    """
    access = props.get("access")
    if isinstance(access, str) and access.strip().lower() == "alwaysallow":
        access = "Allow"
    sources = props.get("sources")
    prefixes = [s if is_unknown(s) else flat(s).get("addressPrefix") for s in as_list(sources)]
    rule = {
        "access": access,
        "direction": props.get("direction"),
        "protocol": "*" if str(props.get("protocol", "")).strip().lower() == "any" else props.get("protocol"),
        "destinationPortRanges": props.get("destinationPortRanges"),
        "sourceAddressPrefixes": sources if is_unknown(sources) else prefixes,
    }
    if not as_list(sources):
        rule["sourceAddressPrefix"] = "*"
    return rule


def dnat_rule_as_nsg_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The NSG rule a firewall DNAT rule amounts to: its sources reach `translatedPort` on the backend.

    Without `translatedPort` the destination ports are what is forwarded. Sources given only as IP groups
    (`sourceIpGroups`) are explicit address lists outside the rule, so they are not judged here.
    """
    port = rule.get("translatedPort")
    ports = [port] if port is not None else as_list(rule.get("destinationPorts"))
    sources = as_list(rule.get("sourceAddresses"))
    if not sources and as_list(rule.get("sourceIpGroups")):
        sources = []
    elif not sources:
        sources = ["*"]
    return {
        "access": "Allow",
        "direction": "Inbound",
        "protocol": _protocol(rule.get("protocols", rule.get("ipProtocols"))),
        "destinationPortRanges": ports or ["*"],
        "sourceAddressPrefixes": sources,
    }


def check_admin_rule(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `avnm-admin-rule-no-public-management`."""
    if not is_type(args.resource_type, ADMIN_RULE_TYPE):
        args.not_applicable("not an AVNM security admin rule")
    config = settings(args.get_config(), PUBLIC_SOURCE_DEFAULTS)
    props = plain(args.props)
    kind = props.get("kind")
    if isinstance(kind, str) and kind.strip().lower() != "custom":
        return  # `Default` rules take their fields from a Microsoft-provided rule named by `flag`
    verdict = assess_rule(admin_rule_as_nsg_rule(props), config)
    if verdict.problem:
        overrides = (
            "AlwaysAllow is final: no NSG, JIT's deny rules included, can close it again"
            if str(props.get("access", "")).strip().lower() == "alwaysallow"
            else "Allow hands the traffic to each VNet's NSGs, so every subnet or NIC without a closing NSG rule "
            "is open"
        )
        report_violation(
            f"Security admin rule '{resource_name(props, 'ruleName', args.name)}' {verdict.problem}. It applies to "
            f"every virtual network its network group holds; {overrides}.",
            None,
        )
    raise_if_unverified([f"admin rule: {key}" for key in verdict.unknown], bool(verdict.problem))


def dnat_rules(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(where, rule) for every DNAT rule of an AzureFirewall or a firewall policy rule collection group."""
    found: list[tuple[str, Any]] = []
    if is_type(resource_type, AZURE_FIREWALL_TYPE):
        for i, collection in enumerate(as_list(props.get("natRuleCollections"))):
            collection = flat(collection)
            action = flat(collection.get("action")).get("type")
            if isinstance(action, str) and action.strip().lower() == "snat":
                continue
            for j, rule in enumerate(as_list(collection.get("rules"))):
                found.append((f"natRuleCollections[{i}].rules[{j}]", rule))
    else:
        for i, collection in enumerate(as_list(props.get("ruleCollections"))):
            collection = flat(collection)
            kind = collection.get("ruleCollectionType")
            if isinstance(kind, str) and kind.strip().lower() != "firewallpolicynatrulecollection":
                continue
            for j, rule in enumerate(as_list(collection.get("rules"))):
                found.append((f"ruleCollections[{i}].rules[{j}]", rule))
    return found


def check_firewall_dnat(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `firewall-dnat-no-public-management`."""
    if not is_type(args.resource_type, AZURE_FIREWALL_TYPE, *RULE_COLLECTION_GROUP_TYPES):
        args.not_applicable("not an Azure Firewall or a firewall policy rule collection group")
    config = settings(args.get_config(), PUBLIC_SOURCE_DEFAULTS)
    props = plain(args.props)
    owner = text(props.get("azureFirewallName")) or text(props.get("ruleCollectionGroupName")) or args.name
    unknown: list[str] = []
    reported = False
    for where, rule in dnat_rules(args.resource_type, props):
        if is_unknown(rule):
            unknown.append(where)
            continue
        rule = flat(rule)
        verdict = assess_rule(dnat_rule_as_nsg_rule(rule), config)
        if verdict.problem:
            target = text(rule.get("translatedAddress")) or text(rule.get("translatedFqdn")) or "its backend"
            report_violation(
                f"DNAT rule {where} ('{text(rule.get('name')) or 'unnamed'}') of '{owner}' forwards to "
                f"{target}: it {verdict.problem}. DNAT traffic reaches the VM from the firewall's own address, so the "
                f"VM's NSG and JIT's rules no longer see who is connecting.",
                None,
            )
            reported = True
        unknown += [f"{where}: {key}" for key in verdict.unknown]
    raise_if_unverified(unknown, reported)


_CONFIG = PolicyConfigSchema(properties={"managementPorts": MANAGEMENT_PORTS_SCHEMA, **SOURCE_CONFIG_SCHEMA})

avnm_admin_rule_no_public_management = ResourceValidationPolicy(
    name="avnm-admin-rule-no-public-management",
    description="An Azure Virtual Network Manager security admin rule must not Allow or AlwaysAllow inbound "
    "traffic to a management port from the internet (AlwaysAllow overrides every NSG).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_admin_rule,
    severity=Severity.CRITICAL,
    remediation_steps="List only specific sources (a /32, your office egress) in the admin rule's `sources`, use "
    "access `Deny`, or remove the rule and open the port per request with JIT (`jit request`).",
    url=policy_url("avnm-admin-rule-no-public-management"),
    config_schema=_CONFIG,
)

firewall_dnat_no_public_management = ResourceValidationPolicy(
    name="firewall-dnat-no-public-management",
    description="An Azure Firewall (or firewall policy) DNAT rule must not forward traffic from the internet to "
    "a management port.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_firewall_dnat,
    severity=Severity.CRITICAL,
    remediation_steps="Remove the DNAT rule and reach the VM through Bastion or a JIT request, or restrict its "
    "`sourceAddresses` to specific addresses (a /32, your office egress).",
    url=policy_url("firewall-dnat-no-public-management"),
    config_schema=_CONFIG,
)

POLICIES = [avnm_admin_rule_no_public_management, firewall_dnat_no_public_management]
