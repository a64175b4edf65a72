"""Authorization: a least-privilege JIT requester role and no privileged roles for automation identities.

(The deny-wildcard Azure Policy checks live in `azure_policy.py`.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
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
from .props import (
    arm_id_parts,
    as_list,
    is_type,
    is_unknown,
    plain,
    raise_if_unverified,
    resource_name,
    settings,
    text,
)
from .rules.roles import (
    DEFAULT_REQUESTER_ACTIONS,
    INITIATE_ACTION,
    PRIVILEGED_ROLES,
    grants,
    requester_action_problem,
)

ROLE_DEFINITION_TYPE = "azure-native:authorization:RoleDefinition"
ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment"


def can_initiate(permissions: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any permission block grants `initiate` (its actions match and its notActions do not)."""
    return grants(permissions, INITIATE_ACTION)


action_problem = requester_action_problem


def is_tenant_wide_scope(scope: str, allowed_management_groups: Iterable[str]) -> bool:
    """`/`, or a management group that may be the tenant root (its id is the tenant GUID) and is not allowed."""
    parts = arm_id_parts(scope)
    if scope.strip() == "/":
        return True
    group = parts.get("managementgroups")
    if group is None or parts.get("subscriptions"):
        return False
    if group in {g.strip().lower() for g in allowed_management_groups}:
        return False
    try:
        uuid.UUID(group)
    except ValueError:
        return False
    return True


def check_requester_role(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `jit-requester-role-least-privilege`."""
    if not is_type(args.resource_type, ROLE_DEFINITION_TYPE):
        return
    props = plain(args.props)
    config = settings(
        args.get_config(), {"allowedRequesterActions": list(DEFAULT_REQUESTER_ACTIONS), "allowedManagementGroups": []}
    )
    raw_blocks = as_list(props.get("permissions"))
    blocks = [b for b in raw_blocks if isinstance(b, Mapping)]
    unknown = ["permissions"] if any(is_unknown(b) for b in raw_blocks) else []
    if not can_initiate(blocks):
        if any(is_unknown(a) for b in blocks for a in as_list(b.get("actions"))):
            unknown.append("permissions[].actions")
        raise_if_unverified(unknown)
        return
    name = text(props.get("roleName")) or resource_name(props, "roleDefinitionId", args.name)
    problems = []
    for block in blocks:
        for action in as_list(block.get("actions")):
            if isinstance(action, str) and not is_unknown(action):
                problem = action_problem(action, config["allowedRequesterActions"])
                problems += [problem] if problem else []
            elif is_unknown(action):
                unknown.append("permissions[].actions")
        data_actions = [a for a in as_list(block.get("dataActions")) if a]
        if data_actions:
            problems.append(f"dataActions {data_actions} are not needed to request JIT access")
    for scope in as_list(props.get("assignableScopes")):
        if is_unknown(scope):
            unknown.append("assignableScopes")
        elif isinstance(scope, str) and is_tenant_wide_scope(scope, config["allowedManagementGroups"]):
            problems.append(
                f"assignable scope '{scope}' spans the whole tenant (root or a management group named "
                "with a GUID, as the tenant root group is)"
            )
    for problem in dict.fromkeys(problems):
        report_violation(
            f"Role '{name}' can initiate JIT access, so it must hold nothing but requester actions: {problem}.",
            None,
        )
    raise_if_unverified(unknown, bool(problems))


def last_segment(arm_id: str) -> str:
    """The name at the end of an ARM id (a role definition GUID, a policy definition name), lower case."""
    return arm_id.strip().rstrip("/").rsplit("/", 1)[-1].lower()


def check_privileged_automation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `no-privileged-role-for-automation`."""
    if not is_type(args.resource_type, ROLE_ASSIGNMENT_TYPE):
        return
    props = plain(args.props)
    forbidden = {
        last_segment(r)
        for r in settings(args.get_config(), {"forbiddenRoleDefinitionIds": list(PRIVILEGED_ROLES)})[
            "forbiddenRoleDefinitionIds"
        ]
    }
    principal_type, role_id = props.get("principalType"), props.get("roleDefinitionId")
    if is_unknown(role_id):
        raise_if_unverified(["roleDefinitionId"])
    if not isinstance(role_id, str) or last_segment(role_id) not in forbidden:
        return
    if is_unknown(principal_type):
        raise_if_unverified(["principalType"])
    if (
        isinstance(principal_type, str)
        and principal_type.strip()
        and principal_type.strip().lower() != "serviceprincipal"
    ):
        return
    role = PRIVILEGED_ROLES.get(last_segment(role_id), f"role {last_segment(role_id)}")
    who = (
        "a service principal (a managed identity or app)"
        if principal_type
        else "a principal whose principalType is not set, so it may be a managed identity"
    )
    report_violation(
        f"Role assignment '{args.name}' gives {role} to {who} ({props.get('principalId', 'unknown principal')}) "
        f"at {props.get('scope', 'its scope')}. An automation identity with {role} can open NSGs or grant itself "
        "access without JIT.",
        None,
    )


jit_requester_role_least_privilege = ResourceValidationPolicy(
    name="jit-requester-role-least-privilege",
    description="A custom role that can initiate JIT must hold only the allowed requester actions: no wildcard, "
    "no write or delete, no data actions, not assignable at / or a tenant root management group.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_requester_role,
    severity=Severity.CRITICAL,
    remediation_steps="Keep only the actions listed in this policy's allowedRequesterActions and assign the role at "
    "the resource groups of the protected VMs.",
    url=policy_url("jit-requester-role-least-privilege"),
    config_schema=PolicyConfigSchema(
        properties={
            "allowedRequesterActions": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DEFAULT_REQUESTER_ACTIONS),
                "description": "Actions a JIT requester role may hold (case-insensitive).",
            },
            "allowedManagementGroups": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "GUID-named management groups known not to be the tenant root.",
            },
        }
    ),
)

no_privileged_role_for_automation = ResourceValidationPolicy(
    name="no-privileged-role-for-automation",
    description="Service principals and managed identities must not be assigned Owner, Contributor, User Access "
    "Administrator, Network Contributor, RBAC Administrator or Security Admin.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_privileged_automation,
    severity=Severity.CRITICAL,
    remediation_steps="Assign the JIT requester role (or another narrow custom role) instead, and set principal_type.",
    url=policy_url("no-privileged-role-for-automation"),
    config_schema=PolicyConfigSchema(
        properties={
            "forbiddenRoleDefinitionIds": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(PRIVILEGED_ROLES),
                "description": "Role definition GUIDs automation identities must not hold.",
            }
        }
    ),
)

POLICIES = [jit_requester_role_least_privilege, no_privileged_role_for_automation]
