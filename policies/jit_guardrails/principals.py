"""Effective permissions of JIT requesters and the approval workflow's identity, across every assignment.

`jit-requester-role-least-privilege` judges one role definition at a time; this stack policy adds up every
role each principal holds in the stack (its groups' roles included) with the rules core's permission model,
so a second role, a `notActions` that another role does not repeat, or a built-in such as Virtual Machine
Contributor is seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .docs import policy_url
from .identity import ROLE_ASSIGNMENT_TYPE, ROLE_DEFINITION_TYPE, last_segment
from .props import as_list, is_type, is_unknown, raise_if_unverified, text
from .rules.permissions import ACCESS_WIDENING_ACTIONS, PermissionModel, Role, blocks_from_permissions
from .stack import require_any
from .vm_network import state

WORKFLOW_TYPE = "azure-native:logic:Workflow"
GROUP_MEMBER_TYPE = "azuread:index/groupMember:GroupMember"


def _definition_keys(resource: PolicyResource, props: Mapping[str, Any]) -> list[str]:
    keys = [resource.urn]
    for value in (text(props.get(key)) for key in ("roleDefinitionId", "id", "name")):
        if value:
            keys.append(last_segment(value))
    return keys


def _principal_key(assignment: PolicyResource, props: Mapping[str, Any]) -> str:
    principal = text(props.get("principalId"))
    if principal:
        return principal.lower()
    # Not known yet (an identity created in this deployment): the resource it comes from names it.
    urns = [d.urn for d in assignment.property_dependencies.get("principalId", [])]
    return "|".join(sorted(urns)) or f"principal of {assignment.name}"


def build_model(resources: list[PolicyResource]) -> tuple[PermissionModel, dict[str, str], set[str], list[str]]:
    """The permission model of a stack: (model, principal -> a label, workflow identities, unknown fields)."""
    model = PermissionModel()
    labels: dict[str, str] = {}
    workflows: set[str] = set()
    unknown: list[str] = []
    workflow_urns = {r.urn for r in resources if is_type(r.resource_type, WORKFLOW_TYPE)}
    # Its identity's principal id, where the state carries it (the offline engine passes no property dependencies).
    workflow_ids: set[str] = set()
    for resource in resources:
        if resource.urn in workflow_urns:
            identity = state(resource).get("identity")
            principal = text(identity.get("principalId")) if isinstance(identity, Mapping) else None
            workflow_ids |= {principal.lower()} if principal else set()
    for resource in resources:
        if is_type(resource.resource_type, ROLE_DEFINITION_TYPE):
            props = state(resource)
            permissions = as_list(props.get("permissions"))
            if any(is_unknown(p) for p in permissions):
                unknown.append(f"role definition '{resource.name}': permissions")
            name = text(props.get("roleName")) or resource.name
            custom = Role(f"custom role '{name}'", blocks_from_permissions(permissions))
            for key in _definition_keys(resource, props):
                model.add_role(key, custom)
    for resource in resources:
        props = state(resource)
        if is_type(resource.resource_type, ROLE_ASSIGNMENT_TYPE):
            principal = _principal_key(resource, props)
            linked = [d.urn for d in resource.property_dependencies.get("roleDefinitionId", [])]
            definition = text(props.get("roleDefinitionId"))
            role_keys = [u for u in linked if u.lower() in model.roles]
            if not role_keys and definition:
                role_keys = [last_segment(definition)]
            if not role_keys:
                unknown.append(f"role assignment '{resource.name}': roleDefinitionId")
                continue
            for key in role_keys:
                model.assign(principal, key)
            labels.setdefault(principal, f"principal {props.get('principalId') or principal} ({resource.name})")
            sources = {d.urn for d in resource.property_dependencies.get("principalId", [])}
            if sources & workflow_urns or principal in workflow_ids:
                workflows.add(principal)
        elif is_type(resource.resource_type, GROUP_MEMBER_TYPE):
            group, member = text(props.get("groupObjectId")), text(props.get("memberObjectId"))
            if group and member:
                model.add_member(last_segment(group), member)
            else:
                unknown.append(f"group membership '{resource.name}': groupObjectId/memberObjectId")
    return model, labels, workflows, unknown


def check_effective_permissions(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Validate the stack for `jit-principal-effective-permissions`."""
    require_any(args, "role assignment", ROLE_ASSIGNMENT_TYPE)
    model, labels, workflows, unknown = build_model(list(args.resources))
    principals = set(model.assignments) | set(model.groups)
    for principal in sorted(principals):
        is_requester = model.holds_requester_role(principal)
        if not (is_requester or principal in workflows):
            continue
        # Roles defined outside the stack (a requester role from another stack, a built-in outside the model) are
        # judged where they are defined; reporting each of them here would flag every split deployment.
        widening = model.widening_actions(principal)
        if not widening:
            continue
        who = (
            "the approval workflow's identity"
            if principal in workflows
            else "a JIT requester (it holds a requester role)"
        )
        found = "; ".join(
            f"{ACCESS_WIDENING_ACTIONS[action]} ({action}, granted by {', '.join(roles)})"
            for action, roles in widening.items()
        )
        report_violation(
            f"{labels.get(principal, 'principal ' + principal)} is {who}, and the roles it holds in this stack add "
            f"up to more than requesting access: it can {found}. Whoever can do that opens management ports "
            "without JIT.",
            None,
        )
    raise_if_unverified(unknown)


jit_principal_effective_permissions = StackValidationPolicy(
    name="jit-principal-effective-permissions",
    description="A principal that can request JIT access (or the approval workflow's identity) must not, across "
    "all its role assignments and groups, be able to write NSG rules, NSGs, NICs, subnets, JIT policies or "
    "role assignments.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_effective_permissions,
    severity=Severity.CRITICAL,
    remediation_steps="Remove the extra role assignment (the principal's own or its group's), or add the action to "
    "the role's notActions in the permission block that grants it, so requesters and the approval workflow hold "
    "only the JIT requester role.",
    url=policy_url("jit-principal-effective-permissions"),
)

POLICIES = [jit_principal_effective_permissions]
