"""`JitViewerRole`: the read-only JIT role people get in approval mode.

In approval mode only the approval workflow's managed identity holds `initiate`, since JIT's only authorisation is
RBAC: anyone else holding it could open a port with the portal, `az` or `jit request --direct` and skip approval.
People still need to see the JIT policies, their requests and their status, so they get this custom role: the
rules core's `VIEWER_ACTIONS` (JIT policy reads, `pricings/read`, the VM, NIC and public IP reads), plus the
portal's reads when `portal` is set. It never grants `initiate` (checked with the rules core's `grants`).

    viewers = JitViewerRole("viewer", JitViewerRoleArgs(
        assignable_scopes=[f"/subscriptions/{sub}/resourceGroups/rg-jit-dev"],
        assignees=[RoleAssignee("group-6f2c9a1e", "<entra-group-object-id>", "Group")]))
"""

from __future__ import annotations

from dataclasses import dataclass

from azure_jit_access import type_tokens
from azure_jit_access.requester_role import JitRequesterRole, JitRequesterRoleArgs
from azure_jit_access.rules.roles import INITIATE_ACTION, PORTAL_ACTIONS, VIEWER_ACTIONS, grants


def viewer_actions(portal: bool = False) -> list[str]:
    """The viewer's actions: reads only, never initiate."""
    actions = list(VIEWER_ACTIONS + (PORTAL_ACTIONS if portal else ()))
    if grants([{"actions": actions}], INITIATE_ACTION):
        raise AssertionError("the JIT viewer role must never grant initiate")
    return actions


@dataclass
class JitViewerRoleArgs(JitRequesterRoleArgs):
    """Arguments of `JitViewerRole` (those of `JitRequesterRole`; `access_mode` does not apply)."""


class JitViewerRole(JitRequesterRole):
    """A custom read-only role to see JIT policies and requests, and its assignments (approval mode's people).

    Creates one `authorization.RoleDefinition` with `VIEWER_ACTIONS` (no initiate, no write, no delete)
    assignable only at the given scopes, and one `authorization.RoleAssignment` per assignee and scope.
    """

    _KIND = (type_tokens.JIT_VIEWER_ROLE, "Viewer")
    _DESCRIPTION = "See just-in-time VM access policies, requests and their VMs. Read-only: cannot initiate access."

    def _actions(self, args: JitRequesterRoleArgs) -> list[str]:
        return viewer_actions(args.portal)
