"""Effective permissions per principal: every role a principal holds, directly or through a group, added up.

Judging one role at a time misses a requester group that gets a second role with NSG-rule write, a
`notActions` that excludes something the other role grants anyway, or a built-in such as Virtual Machine
Contributor. Azure grants an action when any one role assignment's permission block matches it in `actions`
and does not match it in that same block's `notActions` (Microsoft Learn, "Understand Azure role
definitions": notActions subtract from the block they belong to, they are not a deny). So the model keeps
blocks separate and asks each of them.

Scopes are not modelled: an assignment anywhere in the stack counts everywhere (an over-approximation that
fails closed; JIT requesters should hold nothing broader than initiate at any scope).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .roles import INITIATE_ACTION, action_matches

BUILT_IN_ROLES_SOURCE = "https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles"


@dataclass(frozen=True)
class PermissionBlock:
    """One `permissions[]` entry of a role definition (control plane only)."""

    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()

    def grants(self, action: str) -> bool:
        """Whether this block alone grants the action (matched by actions, not by its own notActions)."""
        return any(action_matches(a, action) for a in self.actions) and not any(
            action_matches(n, action) for n in self.not_actions
        )


@dataclass(frozen=True)
class Role:
    """A role definition: a display name and its permission blocks."""

    name: str
    blocks: tuple[PermissionBlock, ...]

    def grants(self, action: str) -> bool:
        """Whether any block of the role grants the action."""
        return any(block.grants(action) for block in self.blocks)


def role(name: str, actions: Iterable[str], not_actions: Iterable[str] = ()) -> Role:
    """A one-block role, the shape of every built-in role."""
    return Role(name, (PermissionBlock(tuple(actions), tuple(not_actions)),))


# Built-in roles that matter for JIT, by definition GUID, from Microsoft Learn's built-in roles reference
# (BUILT_IN_ROLES_SOURCE, pages general, privileged, networking, compute, security). Long lists keep the
# Microsoft.Authorization/Compute/Network/Resources/Security entries and every wildcard; the omitted ones
# (Insights, Support, RecoveryServices ...) cannot match any action this model is asked about.
BUILT_IN_ROLES: dict[str, Role] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": role("Owner", ["*"]),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": role(
        "Contributor",
        ["*"],
        [
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ],
    ),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": role("Reader", ["*/read"]),
    "3913510d-42f4-4e42-8a64-420c390055eb": role(
        "Monitoring Metrics Publisher",
        [
            "Microsoft.Insights/Register/Action",
            "Microsoft.Support/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
        ],
    ),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": role(
        "User Access Administrator", ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"]
    ),
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": role(
        "Role Based Access Control Administrator",
        [
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "*/read",
            "Microsoft.Support/*",
        ],
    ),
    "4d97b98b-1d4f-4787-a291-c67834d212e7": role(
        "Network Contributor",
        [
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Network/*",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
        ],
    ),
    "9980e02c-c2be-4d73-94e8-173b1dc7cf3c": role(
        "Virtual Machine Contributor",
        [
            "Microsoft.Authorization/*/read",
            "Microsoft.Compute/availabilitySets/*",
            "Microsoft.Compute/locations/*",
            "Microsoft.Compute/virtualMachines/*",
            "Microsoft.Compute/virtualMachineScaleSets/*",
            "Microsoft.Network/loadBalancers/read",
            "Microsoft.Network/locations/*",
            "Microsoft.Network/networkInterfaces/*",
            "Microsoft.Network/networkSecurityGroups/join/action",
            "Microsoft.Network/networkSecurityGroups/read",
            "Microsoft.Network/publicIPAddresses/join/action",
            "Microsoft.Network/publicIPAddresses/read",
            "Microsoft.Network/virtualNetworks/read",
            "Microsoft.Network/virtualNetworks/subnets/join/action",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
        ],
    ),
    "fb1c8493-542b-48eb-b624-b4c8fea62acd": role(
        "Security Admin",
        [
            "Microsoft.Authorization/*/read",
            "Microsoft.Authorization/policyAssignments/*",
            "Microsoft.Authorization/policyDefinitions/*",
            "Microsoft.Authorization/policyExemptions/*",
            "Microsoft.Authorization/policySetDefinitions/*",
            "Microsoft.Management/managementGroups/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Security/*",
            "Microsoft.Support/*",
        ],
    ),
}

# What a JIT requester (or the approval workflow's identity) must never be able to do, and why.
ACCESS_WIDENING_ACTIONS: dict[str, str] = {
    "Microsoft.Network/networkSecurityGroups/securityRules/write": "write NSG rules (open a port without JIT)",
    "Microsoft.Network/networkSecurityGroups/write": "rewrite a whole NSG, rules included",
    "Microsoft.Network/networkInterfaces/write": "detach the NSG from a VM's network interface",
    "Microsoft.Network/virtualNetworks/subnets/write": "detach the NSG from a subnet",
    "Microsoft.Security/locations/jitNetworkAccessPolicies/write": "rewrite JIT policies (sources, ports, durations)",
    "Microsoft.Authorization/roleAssignments/write": "assign itself any other role",
    "Microsoft.Authorization/roleDefinitions/write": "widen the roles it already holds",
}


@dataclass
class PermissionModel:
    """Roles, who holds them, and group memberships; answers "what can this principal do?"."""

    roles: dict[str, Role] = field(default_factory=lambda: dict(BUILT_IN_ROLES))
    assignments: dict[str, list[str]] = field(default_factory=dict)
    """principal id -> role definition keys (GUIDs or stack-local ids), in assignment order."""
    groups: dict[str, set[str]] = field(default_factory=dict)
    """member principal id -> ids of the groups it belongs to (nested groups included transitively)."""

    def add_role(self, key: str, role_: Role) -> None:
        """Register a (custom) role definition under a lower-cased key."""
        self.roles[key.lower()] = role_

    def assign(self, principal: str, role_key: str) -> None:
        """Record a role assignment of `role_key` to `principal`."""
        self.assignments.setdefault(principal.lower(), []).append(role_key.lower())

    def add_member(self, group: str, member: str) -> None:
        """Record that `member` belongs to `group`."""
        self.groups.setdefault(member.lower(), set()).add(group.lower())

    def principals_of(self, principal: str) -> list[str]:
        """The principal itself and every group it belongs to, transitively."""
        seen, todo = [principal.lower()], [principal.lower()]
        while todo:
            for group in sorted(self.groups.get(todo.pop(), ())):
                if group not in seen:
                    seen.append(group)
                    todo.append(group)
        return seen

    def held_roles(self, principal: str) -> list[tuple[str, str]]:
        """(holder, role key) for every assignment that applies to the principal, its groups' included."""
        return [(holder, key) for holder in self.principals_of(principal) for key in self.assignments.get(holder, [])]

    def unknown_roles(self, principal: str) -> list[str]:
        """Role keys the principal holds that the model has no definition for (cannot be judged)."""
        return sorted({key for _, key in self.held_roles(principal) if key not in self.roles})

    def granted_by(self, principal: str, action: str) -> list[str]:
        """Names of the roles (with the holder when it is a group) that grant the action to the principal."""
        found = []
        for holder, key in self.held_roles(principal):
            definition = self.roles.get(key)
            if definition is not None and definition.grants(action):
                via = "" if holder == principal.lower() else f" (via group {holder})"
                found.append(f"{definition.name}{via}")
        return list(dict.fromkeys(found))

    def can(self, principal: str, action: str) -> bool:
        """Whether the principal's effective permissions include the action."""
        return bool(self.granted_by(principal, action))

    def widening_actions(
        self, principal: str, actions: Mapping[str, str] = ACCESS_WIDENING_ACTIONS
    ) -> dict[str, list[str]]:
        """Each access-widening action the principal can perform -> the roles that grant it."""
        return {action: roles for action in actions if (roles := self.granted_by(principal, action))}

    def can_initiate(self, principal: str) -> bool:
        """Whether the principal can request JIT access."""
        return self.can(principal, INITIATE_ACTION)

    def holds_requester_role(self, principal: str, actions: Mapping[str, str] = ACCESS_WIDENING_ACTIONS) -> bool:
        """Whether one of the principal's roles is a requester role: it can initiate and widens nothing.

        That is what makes a principal a JIT requester; an admin holding only Owner or Contributor (which can
        initiate too) is judged by the privileged-role rules instead.
        """
        for _, key in self.held_roles(principal):
            definition = self.roles.get(key)
            if definition is not None and definition.grants(INITIATE_ACTION):
                if not any(definition.grants(action) for action in actions):
                    return True
        return False


def blocks_from_permissions(permissions: Sequence[Mapping[str, Any]]) -> tuple[PermissionBlock, ...]:
    """Permission blocks from a role definition's `permissions` list (camelCase, as ARM and Pulumi write it)."""
    blocks = []
    for block in permissions:
        if not isinstance(block, Mapping):
            continue
        actions = block.get("actions") or []
        not_actions = block.get("notActions") or []
        blocks.append(
            PermissionBlock(
                tuple(a for a in actions if isinstance(a, str)), tuple(n for n in not_actions if isinstance(n, str))
            )
        )
    return tuple(blocks)
