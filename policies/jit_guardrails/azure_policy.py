"""Azure Policy in the stack: the deny-wildcard guardrail is enforced, and no definition opens management ports.

Definitions are judged by what they do (`policy_rules.py`): a DeployIfNotExists or Modify definition that
adds or widens inbound rules on management ports is a backdoor that no JIT policy can close, and it must
never be mistaken for the guardrail (issue 21).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .docs import policy_url
from .policy_rules import effects, is_deny_wildcard_definition, opened_management_ports
from .ports import DEFAULT_MANAGEMENT_PORTS
from .props import as_list, is_type, is_unknown, plain, raise_if_unverified, resource_name, settings, text
from .stack import require_any

POLICY_ASSIGNMENT_TYPE = "azure-native:authorization:PolicyAssignment"
POLICY_DEFINITION_TYPES = (
    "azure-native:authorization:PolicyDefinition",
    "azure-native:authorization:PolicyDefinitionAtManagementGroup",
)
DEFAULT_DENY_WILDCARD_DEFINITIONS = ("Deny-MgmtPorts-From-Internet",)


def last_segment(arm_id: str) -> str:
    """The name at the end of an ARM id (a policy definition name), lower case."""
    return arm_id.strip().rstrip("/").rsplit("/", 1)[-1].lower()


def _definition_names(resource: PolicyResource, props: Mapping[str, Any]) -> set[str]:
    names = {resource.name.lower()}
    for key in ("policyDefinitionName", "name"):
        value = text(props.get(key))
        if value:
            names.add(value.lower())
    return names


def check_deny_wildcard_enforced(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `deny-wildcard-policy-enforced`."""
    require_any(args, "Azure Policy assignments", POLICY_ASSIGNMENT_TYPE)
    config = settings(args.get_config(), {"definitionNames": list(DEFAULT_DENY_WILDCARD_DEFINITIONS)})
    names = {str(n).lower() for n in as_list(config["definitionNames"])}
    definitions: set[str] = set()
    opening: set[str] = set()
    for resource in args.resources:
        props = plain(resource.props)
        if not is_type(resource.resource_type, *POLICY_DEFINITION_TYPES):
            continue
        if is_deny_wildcard_definition(props):
            definitions.add(resource.urn)
            names |= _definition_names(resource, props)
        elif effects(props) & {"deployifnotexists", "modify"}:
            opening |= {resource.urn, *_definition_names(resource, props)}
    names -= opening  # a definition named like the guardrail but deploying rules is never advised to enforce
    unknown = []
    for resource in args.resources:
        if not is_type(resource.resource_type, POLICY_ASSIGNMENT_TYPE):
            continue
        props = plain(resource.props)
        mode, definition_id = props.get("enforcementMode"), props.get("policyDefinitionId")
        if mode is None or (not is_unknown(mode) and str(mode).strip().lower() != "donotenforce"):
            continue
        linked = [
            d.urn
            for deps in (resource.property_dependencies.get("policyDefinitionId", []), resource.dependencies)
            for d in deps
        ]
        if any(urn in opening for urn in linked):
            continue
        matches = any(urn in definitions for urn in linked) or (
            isinstance(definition_id, str) and not is_unknown(definition_id) and last_segment(definition_id) in names
        )
        if is_unknown(mode) or (not matches and is_unknown(definition_id)):
            unknown.append(f"policy assignment '{resource.name}': enforcementMode/policyDefinitionId")
        elif matches:
            report_violation(
                f"Policy assignment '{resource.name}' of the deny-wildcard-source definition has enforcementMode "
                "'DoNotEnforce', so NSG rules and JIT policies that open management ports to the internet are not "
                "blocked.",
                resource.urn,
            )
    raise_if_unverified(unknown)


def check_no_port_opening(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `policy-definition-no-port-opening`."""
    if not is_type(args.resource_type, *POLICY_DEFINITION_TYPES):
        args.not_applicable("not an Azure Policy definition")
    props = plain(args.props)
    if is_unknown(props.get("policyRule")) or is_unknown(props.get("parameters")):
        raise_if_unverified(["policyRule/parameters"])
    ports = settings(args.get_config(), {"managementPorts": list(DEFAULT_MANAGEMENT_PORTS)})["managementPorts"]
    ports = tuple(int(p) for p in as_list(ports) if isinstance(p, (int, float)) and not isinstance(p, bool))
    name = text(props.get("displayName")) or resource_name(props, "policyDefinitionName", args.name)
    kind = " or ".join(sorted(e for e in effects(props) if e in ("deployifnotexists", "modify")))
    for opening in opened_management_ports(props, ports or DEFAULT_MANAGEMENT_PORTS):
        report_violation(
            f"Policy definition '{name}' ({kind}) {opening}. Azure applies it to every matching resource in its "
            "assignment scope, so it opens management ports without any JIT request.",
            None,
        )


deny_wildcard_policy_enforced = StackValidationPolicy(
    name="deny-wildcard-policy-enforced",
    description="Assignments of the deny-wildcard-source Azure Policy should be enforced, not DoNotEnforce.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=check_deny_wildcard_enforced,
    severity=Severity.MEDIUM,
    remediation_steps="Set the assignment's enforcement_mode to 'Default'. To only report while existing rules are "
    "cleaned up, set the definition's effect parameter to 'Audit' instead of switching enforcement off.",
    url=policy_url("deny-wildcard-policy-enforced"),
    config_schema=PolicyConfigSchema(
        properties={
            "definitionNames": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DEFAULT_DENY_WILDCARD_DEFINITIONS),
                "description": "Names of deny-wildcard definitions outside the stack (those in it are recognised by "
                "what their rule does).",
            }
        }
    ),
)

policy_definition_no_port_opening = ResourceValidationPolicy(
    name="policy-definition-no-port-opening",
    description="An Azure Policy definition with a deployIfNotExists or modify effect must not create or widen "
    "inbound rules on management ports.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_no_port_opening,
    severity=Severity.CRITICAL,
    remediation_steps="Remove the security rule (or the securityRules operation) from the definition's deployment "
    "template or modify operations. Open management ports per request with JIT (`jit request`) instead.",
    url=policy_url("policy-definition-no-port-opening"),
    config_schema=PolicyConfigSchema(
        properties={
            "managementPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "minItems": 1,
                "default": list(DEFAULT_MANAGEMENT_PORTS),
                "description": "Ports a policy definition must never open.",
            }
        }
    ),
)

POLICIES = [deny_wildcard_policy_enforced, policy_definition_no_port_opening]
