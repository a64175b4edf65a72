"""A least-privilege custom role for people (and the approval workflow) who request JIT VM access.

The actions are exactly Microsoft's "request access" set from "Permissions needed to configure and use
JIT" (learn.microsoft.com/azure/defender-for-cloud/just-in-time-access-overview): initiate, read the JIT
policies, read the VM, its NICs and public IPs. Nothing that writes or deletes: a requester who could write
NSG rules could open ports without JIT. The opt-in portal variant adds the two reads the portal's Connect
blade needs (`Set-JitLeastPrivilegedRole.ps1` in Azure/Microsoft-Defender-for-Cloud).

Role definition and assignment names are GUIDs derived from their scope and contents, so every run of
the program asks Azure for the same role and the same assignments instead of creating duplicates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization

from azure_jit_access import type_tokens
from azure_jit_access.aliases import with_alias_pruning
from azure_jit_access.rules.arm_ids import GUID_PATTERN, RESOURCE_GROUP_PATTERN, SUBSCRIPTION_PATTERN
from azure_jit_access.rules.names import role_assignment_name, role_definition_name
from azure_jit_access.rules.roles import PORTAL_ACTIONS, REQUESTER_ACTIONS, requester_action_problem

PRINCIPAL_TYPES: tuple[str, ...] = ("Group", "User", "ServicePrincipal")

_GUID = re.compile(GUID_PATTERN)
_SUBSCRIPTION = re.compile(SUBSCRIPTION_PATTERN, re.IGNORECASE)
_RESOURCE_GROUP = re.compile(RESOURCE_GROUP_PATTERN, re.IGNORECASE)
_LABEL = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def requester_actions(portal: bool = False) -> list[str]:
    """The role's actions: Microsoft's requester set, plus the portal's two reads when `portal` is set."""
    return list(REQUESTER_ACTIONS + (PORTAL_ACTIONS if portal else ()))


def validate_requester_actions(actions: Sequence[str]) -> None:
    """Refuse any action the policy pack's requester allow-list refuses (the rules core's one rule)."""
    for action in actions:
        problem = requester_action_problem(action)
        if problem:
            raise ValueError(
                f"requester role action {action!r} is not a read or JIT initiate the policy pack allows ({problem}); "
                "a requester must never write, delete or run other actions (they could open ports without JIT)"
            )


# One naming scheme (the rules core's): the same scope, role and principal always give the same GUID.
role_definition_guid = role_definition_name
role_assignment_guid = role_assignment_name


def validate_assignable_scopes(scopes: Sequence[str], allow_subscription_scope: bool = False) -> list[str]:
    """Resource group ids (subscription ids only when allowed), all in one subscription, without duplicates."""
    if isinstance(scopes, str) or not scopes:
        raise ValueError(
            "assignable_scopes must list at least one resource group id, "
            "/subscriptions/<guid>/resourceGroups/<name>, where the protected VMs live"
        )
    cleaned: list[str] = []
    subscriptions: set[str] = set()
    for scope in scopes:
        text = scope.strip().rstrip("/") if isinstance(scope, str) else ""
        match = _RESOURCE_GROUP.fullmatch(text) or (_SUBSCRIPTION.fullmatch(text) if allow_subscription_scope else None)
        if match:
            subscriptions.add(match["subscription"].lower())
            if text.lower() not in (c.lower() for c in cleaned):
                cleaned.append(text)
            continue
        hint = (
            " (set allow_subscription_scope=True to allow a whole subscription)"
            if _SUBSCRIPTION.fullmatch(text)
            else ""
        )
        raise ValueError(
            f"assignable scope {scope!r} must be a resource group id "
            f"/subscriptions/<guid>/resourceGroups/<name>; never '/' or a management group{hint}"
        )
    if len(subscriptions) > 1:
        raise ValueError(
            f"assignable_scopes span subscriptions {sorted(subscriptions)}; create one "
            "JitRequesterRole per subscription"
        )
    return cleaned


def subscription_scope(scope: str) -> str:
    """`/subscriptions/<guid>` of a subscription or resource group id."""
    match = _SUBSCRIPTION.match(scope)
    if match is None:
        raise ValueError(f"{scope!r} is not inside a subscription")
    return f"/subscriptions/{match['subscription']}"


def _scope_label(scope: str) -> str:
    match = _RESOURCE_GROUP.fullmatch(scope)
    return match["resource_group"] if match else "subscription"


@dataclass
class RoleAssignee:
    """A principal that gets the requester role."""

    label: str
    """Short lowercase name used in resource names, e.g. "ops-team" or "approval-workflow". Keep it stable:
    renaming it renames the Pulumi resource of an Azure assignment whose name (a GUID) stays the same."""
    principal_id: pulumi.Input[str]
    """Entra object id: a group's, a user's, or a managed identity's principal id."""
    principal_type: str = "Group"
    """Group, User or ServicePrincipal (managed identities are ServicePrincipal)."""


def validate_assignee(assignee: RoleAssignee) -> None:
    """Check an assignee's label, type and (when known) object id before anything is created."""
    if not isinstance(assignee.label, str) or not _LABEL.fullmatch(assignee.label):
        raise ValueError(f"assignee label {assignee.label!r} must be 1-40 lowercase letters, digits or hyphens")
    if assignee.principal_type not in PRINCIPAL_TYPES:
        raise ValueError(
            f"assignee {assignee.label!r}: principal_type {assignee.principal_type!r} must be one "
            f"of {', '.join(PRINCIPAL_TYPES)}"
        )
    if isinstance(assignee.principal_id, str) and not _GUID.fullmatch(assignee.principal_id):
        raise ValueError(
            f"assignee {assignee.label!r}: principal_id {assignee.principal_id!r} must be an Entra "
            "object id (a GUID), e.g. from `az ad group show --group <name> --query id`"
        )


def _check_distinct(assignees: Sequence[RoleAssignee], component: str) -> None:
    # Labels name the resources; the same principal twice would be two resources managing one assignment.
    labels: set[str] = set()
    principals: set[str] = set()
    for assignee in assignees:
        validate_assignee(assignee)
        if assignee.label in labels:
            raise ValueError(f"assignee label {assignee.label!r} is used twice in JitRequesterRole {component!r}")
        labels.add(assignee.label)
        if isinstance(assignee.principal_id, str):
            if assignee.principal_id.lower() in principals:
                raise ValueError(
                    f"principal {assignee.principal_id} is listed twice in JitRequesterRole "
                    f"{component!r}; keep one entry per principal"
                )
            principals.add(assignee.principal_id.lower())


@dataclass
class JitRequesterRoleArgs:
    """Arguments of `JitRequesterRole`."""

    assignable_scopes: Sequence[str]
    """Resource group ids the role can be assigned at (where the protected VMs are)."""
    assignees: Sequence[RoleAssignee] = field(default_factory=list)
    """Principals assigned the role at every assignable scope."""
    portal: bool = False
    """Add the reads the portal's Connect blade needs (Microsoft.Security/policies/read, Microsoft.Network/*/read)."""
    role_name: str | None = None
    """Role names are unique per tenant; the default names the project and stack."""
    allow_subscription_scope: bool = False
    """Allow subscription ids in `assignable_scopes` (a requester could then reach every VM there)."""
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases on children (only for stacks created with versioned tokens)."""
    access_mode: str = "direct"
    """`direct`: the assignees initiate JIT themselves. `approval`: only the approval workflow's identity may hold
    initiate (`JitApprovalWorkflow` assigns it), so any assignee here is refused; give people `JitViewerRole`."""


def check_access_mode(args: JitRequesterRoleArgs) -> None:
    """Refuse assignees in approval mode: nobody but the workflow may hold initiate where it serves."""
    if args.access_mode not in ("direct", "approval"):
        raise ValueError(f"access_mode: give 'direct' or 'approval', got {args.access_mode!r}")
    if args.access_mode == "approval" and args.assignees:
        first = args.assignees[0]
        raise ValueError(
            f"assignees[0] ({first.label}): in approval mode only the approval workflow's managed identity may hold "
            "JIT initiate (JitApprovalWorkflow assigns it), or anyone assigned here could open ports without "
            "approval; give people the read-only JitViewerRole instead (stack config: requesterGroupIds become "
            "viewers), or set access_mode='direct'"
        )


class JitRequesterRole(pulumi.ComponentResource):
    """A custom role with exactly the JIT requester actions, and its assignments.

    Creates one `authorization.RoleDefinition` (initiate, JIT policy reads, VM/NIC/public IP reads; with
    `portal=True` also the two reads the portal's Connect blade needs) assignable only at the given scopes,
    and one `authorization.RoleAssignment` per assignee and scope. Why: no built-in role lets someone
    request JIT access without also letting them write NSG rules, which would bypass JIT.

        role = JitRequesterRole("requester", JitRequesterRoleArgs(
            assignable_scopes=[f"/subscriptions/{sub}/resourceGroups/rg-jit-dev"],
            assignees=[RoleAssignee("ops", "<entra-group-object-id>", "Group")]))
    """

    role_definition_id: pulumi.Output[str]
    """Full ARM id of the role definition: what a RoleAssignment's role_definition_id needs."""
    role_definition_guid: str
    role_name: str
    actions: list[str]
    assignable_scopes: list[str]
    assignments: list[authorization.RoleAssignment]

    _KIND = (type_tokens.JIT_REQUESTER_ROLE, "Requester")
    """The component's type token, and the word naming the role."""
    _DESCRIPTION = (
        "Request just-in-time VM access (JIT initiate) and read what a request needs. No write or delete actions."
    )

    def _actions(self, args: JitRequesterRoleArgs) -> list[str]:
        check_access_mode(args)
        actions = requester_actions(args.portal)
        validate_requester_actions(actions)
        return actions

    def __init__(self, name: str, args: JitRequesterRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        scopes = validate_assignable_scopes(args.assignable_scopes, args.allow_subscription_scope)
        actions = self._actions(args)
        token, kind = self._KIND
        role_name = args.role_name or f"JIT VM Access {kind} ({pulumi.get_project()}-{pulumi.get_stack()})"
        if not role_name.strip() or role_name != role_name.strip():
            raise ValueError(f"role_name {role_name!r} must be non-empty without surrounding spaces")
        _check_distinct(args.assignees, name)
        super().__init__(
            token,
            name,
            None,
            with_alias_pruning(opts, args.keep_api_version_aliases),
        )
        self._name = name
        self._approval_mode = getattr(args, "access_mode", "direct") == "approval"
        self._assignees: list[RoleAssignee] = []
        # Children do not inherit a component's depends_on, and the role needs its scopes to exist first.
        self._child_opts = pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None)
        self.role_name = role_name
        self.actions = actions
        self.assignable_scopes = scopes
        definition_scope = subscription_scope(scopes[0])
        self.role_definition_guid = role_definition_guid(definition_scope, role_name)
        definition = authorization.RoleDefinition(
            f"{name}-definition",
            role_definition_id=self.role_definition_guid,
            scope=definition_scope,
            role_name=role_name,
            role_type="CustomRole",
            description=self._DESCRIPTION,
            permissions=[
                authorization.PermissionArgs(actions=actions, not_actions=[], data_actions=[], not_data_actions=[])
            ],
            assignable_scopes=scopes,
            opts=self._child_opts,
        )
        self.role_definition_id = definition.id
        self.assignments = []
        for assignee in args.assignees:
            self.assign(assignee)
        self.register_outputs({"roleDefinitionId": self.role_definition_id, "roleName": role_name})

    def assign(self, assignee: RoleAssignee) -> list[authorization.RoleAssignment]:
        """Assign the role to one more principal at every assignable scope (e.g. a workflow's identity)."""
        if self._approval_mode:
            check_access_mode(JitRequesterRoleArgs(self.assignable_scopes, [assignee], access_mode="approval"))
        _check_distinct([*self._assignees, assignee], self._name)
        self._assignees.append(assignee)
        created = []
        for scope in self.assignable_scopes:

            def name_for(principal_id: str, scope: str = scope) -> str:
                validate_assignee(RoleAssignee(assignee.label, principal_id, assignee.principal_type))
                return role_assignment_guid(scope, self.role_definition_guid, principal_id)

            created.append(
                authorization.RoleAssignment(
                    f"{self._name}-{assignee.label}-{_scope_label(scope)}",
                    role_assignment_name=pulumi.Output.from_input(assignee.principal_id).apply(name_for),
                    principal_id=assignee.principal_id,
                    principal_type=assignee.principal_type,
                    role_definition_id=self.role_definition_id,
                    scope=scope,
                    description=f"JIT {self._KIND[1].lower()}: {assignee.label}",
                    opts=self._child_opts,
                )
            )
        self.assignments.extend(created)
        return created
