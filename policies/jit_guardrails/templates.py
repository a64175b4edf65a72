"""ARM templates (`resources.Deployment`, any scope) and the generic `resources.Resource`: same rules, other door.

Both create NSG rules, NSGs or Defender pricings that the NSG and Defender policies never see, because
their Pulumi type is a deployment or a generic resource. Here each embedded resource is judged with those
policies' own detectors: `network.assess_rule` for every NSG rule (standalone or inline), the inline-rule
rule of `nsg-no-inline-rules`, and `defender.plan_problems` for the VirtualMachines pricing.
"""

from __future__ import annotations

import json
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

from .arm_templates import arm_type_of_generic, walk
from .defender import plan_problems
from .docs import policy_url
from .network import MANAGEMENT_PORTS_SCHEMA, PUBLIC_SOURCE_DEFAULTS, assess_rule
from .other_roads import (
    AZURE_FIREWALL_TYPE,
    RULE_COLLECTION_GROUP_TYPES,
    admin_rule_as_nsg_rule,
    dnat_rule_as_nsg_rule,
    dnat_rules,
    flat,
)
from .props import as_list, is_type, is_unknown, plain, raise_if_unverified, settings, text
from .sources import SOURCE_CONFIG_SCHEMA

DEPLOYMENT_TYPES = (
    "azure-native:resources:Deployment",
    "azure-native:resources:DeploymentAtScope",
    "azure-native:resources:DeploymentAtSubscriptionScope",
    "azure-native:resources:DeploymentAtManagementGroupScope",
    "azure-native:resources:DeploymentAtTenantScope",
)
GENERIC_RESOURCE_TYPE = "azure-native:resources:Resource"

RULE_ARM_TYPE = "microsoft.network/networksecuritygroups/securityrules"
NSG_ARM_TYPE = "microsoft.network/networksecuritygroups"
PRICING_ARM_TYPE = "microsoft.security/pricings"
ADMIN_RULE_ARM_TYPE = "microsoft.network/networkmanagers/securityadminconfigurations/rulecollections/rules"
FIREWALL_ARM_TYPE = "microsoft.network/azurefirewalls"
RULE_GROUP_ARM_TYPE = "microsoft.network/firewallpolicies/rulecollectiongroups"


def judge(arm_type: str, name: Any, properties: Any, config: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(problems, unknown fields) of one ARM resource, by its full ARM type; other types have neither."""
    properties = properties if isinstance(properties, Mapping) else {}
    problems: list[str] = []
    unknown: list[str] = []
    if arm_type == RULE_ARM_TYPE:
        verdict = assess_rule(properties, config)
        problems += [f"security rule {verdict.problem}"] if verdict.problem else []
        unknown += verdict.unknown
    elif arm_type == NSG_ARM_TYPE and properties.get("securityRules") is not None:
        problems.append(
            "NSG declares inline securityRules: every deployment PUTs exactly that list, deleting JIT's rules"
        )
        for index, rule in enumerate(as_list(properties.get("securityRules"))):
            verdict = assess_rule(flat(rule), config)
            problems += [f"inline rule securityRules[{index}] {verdict.problem}"] if verdict.problem else []
            unknown += [f"securityRules[{index}].{key}" for key in verdict.unknown]
    elif arm_type == PRICING_ARM_TYPE:
        if is_unknown(name):
            unknown.append("name (which Defender plan it sets)")
        elif isinstance(name, str) and name.strip().rsplit("/", 1)[-1].lower() == "virtualmachines":
            found, missing = plan_problems(flat(properties))
            problems += [f"Defender for Servers pricing: {'; '.join(found)}"] if found else []
            unknown += missing
    elif arm_type in (ADMIN_RULE_ARM_TYPE, FIREWALL_ARM_TYPE, RULE_GROUP_ARM_TYPE):
        found, missing = _other_roads(arm_type, properties, config)
        problems += found
        unknown += missing
    return problems, unknown


def _other_roads(
    arm_type: str, properties: Mapping[str, Any], config: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """AVNM admin rules and firewall DNAT rules inside a template, judged like the typed resources."""
    if arm_type == ADMIN_RULE_ARM_TYPE:
        if "flag" in properties:
            return [], []  # a Default admin rule: its fields come from the Microsoft rule it names
        verdict = assess_rule(admin_rule_as_nsg_rule(properties), config)
        return ([f"security admin rule {verdict.problem}"] if verdict.problem else []), verdict.unknown
    token = AZURE_FIREWALL_TYPE if arm_type == FIREWALL_ARM_TYPE else RULE_COLLECTION_GROUP_TYPES[0]
    problems: list[str] = []
    unknown: list[str] = []
    for where, rule in dnat_rules(token, properties):
        verdict = assess_rule(dnat_rule_as_nsg_rule(flat(rule)), config)
        problems += [f"DNAT rule {where} {verdict.problem}"] if verdict.problem else []
        unknown += [f"{where}.{key}" for key in verdict.unknown]
    return problems, unknown


def _config(args: ResourceValidationArgs) -> dict[str, Any]:
    return settings(args.get_config(), PUBLIC_SOURCE_DEFAULTS)


def check_deployment(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `arm-deployment-guardrails`."""
    if not is_type(args.resource_type, *DEPLOYMENT_TYPES):
        args.not_applicable("not an ARM template deployment")
    props = plain(args.props)
    name = text(props.get("deploymentName")) or args.name
    if is_unknown(props.get("properties")):
        raise_if_unverified([f"deployment '{name}': properties"])
    properties = flat(props.get("properties"))
    if properties.get("templateLink") is not None and properties.get("template") is None:
        report_violation(
            f"Deployment '{name}' deploys a linked template (templateLink), which the pack cannot read, so NSG rules "
            "or Defender pricings in it cannot be checked (fail closed).",
            None,
        )
        return
    template = properties.get("template")
    if isinstance(template, str) and not is_unknown(template):
        try:
            template = json.loads(template)  # `template=json.dumps(...)` is accepted by the SDK too
        except json.JSONDecodeError:
            report_violation(
                f"Deployment '{name}': its template is text that is not JSON, so it cannot be checked.", None
            )
            return
    if is_unknown(template) or is_unknown(properties.get("parameters")):
        raise_if_unverified([f"deployment '{name}': template/parameters"])
    config = _config(args)
    pending: list[str] = []
    reported = False
    for resource in walk(template, properties.get("parameters")):
        problems, unknown = judge(resource.arm_type, resource.name, resource.properties, config)
        label = f"Deployment '{name}' {resource.where} ({resource.arm_type}"
        label += f" '{resource.name}')" if text(resource.name) else ")"
        for problem in problems:
            report_violation(f"{label}: {problem}.", None)
            reported = True
        if unknown and resource.unresolved:
            report_violation(
                f"{label}: the field(s) {', '.join(unknown)} depend on template expressions the pack cannot evaluate "
                f"({', '.join(resource.unresolved)}), so it fails closed: only [parameters('x')] (with a value or "
                "default) and [variables('x')] are resolved.",
                None,
            )
            reported = True
        elif unknown:
            pending += [f"{resource.where}: {key}" for key in unknown]
        if resource.arm_type == "?" and resource.unresolved:
            report_violation(
                f"Deployment '{name}' {resource.where}: its type {resource.unresolved[0]} cannot be evaluated, so "
                "the pack cannot tell what it creates (fail closed).",
                None,
            )
            reported = True
    raise_if_unverified(pending, reported)


def check_generic_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `generic-resource-guardrails`."""
    if not is_type(args.resource_type, GENERIC_RESOURCE_TYPE):
        args.not_applicable("not a generic resources.Resource")
    props = plain(args.props)
    arm_type = arm_type_of_generic(props)
    if arm_type is None:
        raise_if_unverified(["resourceProviderNamespace/parentResourcePath/resourceType"])
        return
    name = props.get("resourceName")
    if is_unknown(props.get("properties")) and arm_type in (RULE_ARM_TYPE, NSG_ARM_TYPE, PRICING_ARM_TYPE):
        raise_if_unverified(["properties"])
    problems, unknown = judge(arm_type, name, props.get("properties"), _config(args))
    for problem in problems:
        report_violation(
            f"Generic resource '{text(name) or args.name}' ({arm_type}): {problem}.",
            None,
        )
    raise_if_unverified([f"properties.{key}" for key in unknown], bool(problems))


_CONFIG = PolicyConfigSchema(properties={"managementPorts": MANAGEMENT_PORTS_SCHEMA, **SOURCE_CONFIG_SCHEMA})

arm_deployment_guardrails = ResourceValidationPolicy(
    name="arm-deployment-guardrails",
    description="An ARM template deployed through resources.Deployment (any scope) must not contain an NSG rule "
    "that opens a management port to the internet, an NSG with inline rules, or a Defender for Servers pricing "
    "below Standard/P2; linked templates and unresolvable expressions in those fields fail closed.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_deployment,
    severity=Severity.CRITICAL,
    remediation_steps="Declare the template's NSG rules and Defender pricing as their own Pulumi resources "
    "(standalone network.SecurityRule, security.Pricing) so every guardrail judges them, or fix them in the "
    "template; pass the template inline (`template=json.load(...)`), and give the fields that decide the verdict "
    "literal values, [parameters('x')] or [variables('x')].",
    url=policy_url("arm-deployment-guardrails"),
    config_schema=_CONFIG,
)

generic_resource_guardrails = ResourceValidationPolicy(
    name="generic-resource-guardrails",
    description="A generic resources.Resource creating an NSG rule, an NSG or a Defender pricing is judged like "
    "the typed resource: no management port open to the internet, no inline rules, Standard/P2 for servers.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_generic_resource,
    severity=Severity.CRITICAL,
    remediation_steps="Declare the resource with its typed Pulumi resource (network.SecurityRule, "
    "network.NetworkSecurityGroup without inline rules, security.Pricing) and fix it there.",
    url=policy_url("generic-resource-guardrails"),
    config_schema=_CONFIG,
)

POLICIES = [arm_deployment_guardrails, generic_resource_guardrails]
