"""Deterministic names: GUIDs derived from what a resource is, so every run asks Azure for the same resource.

Role assignment names are GUIDs, and Azure allows one assignment per (scope, role definition, principal): a
second name for the same triple is refused with 409 RoleAssignmentExists. Deriving the name from exactly that
triple (ARM ids compared case-insensitively) gives every writer of one assignment the same name.
"""

from __future__ import annotations

import uuid

ROLE_NAMESPACE = uuid.UUID("0d9a2f4e-8c61-4b7e-9f0b-6a3e2c1d5b47")
"""The uuid5 namespace of role definition and role assignment names (shipped stacks use it: do not change)."""


def role_definition_name(scope: str, role_name: str) -> str:
    """A custom role definition's name: stable for the same scope and role name (both case-insensitive)."""
    return str(uuid.uuid5(ROLE_NAMESPACE, f"role|{scope.lower()}|{role_name.lower()}"))


def role_assignment_name(scope: str, role_definition_guid: str, principal_id: str) -> str:
    """A role assignment's name: one per (scope, role definition GUID, principal), as Azure's uniqueness rule."""
    return str(uuid.uuid5(ROLE_NAMESPACE, f"assignment|{scope.lower()}|{role_definition_guid}|{principal_id.lower()}"))


def owner_label(project: str, stack: str) -> str:
    """The owning stack as one lowercase word, `project-stack`: the seed of every name a stack owns alone."""
    return f"{project}-{stack}".lower()


def owned_name(base: str, owner: str, max_length: int = 24) -> str:
    """`base` made unique per owning stack: `base-<6 hex of the owner>`, cut to `max_length`.

    Subscription- and tenant-scoped names (policy assignments, diagnostic settings) are shared by every stack
    deployed there; a fixed name makes the second stack overwrite or collide with the first. 24 characters
    is the shortest limit among them (a policy assignment name at management-group scope).
    """
    suffix = "-" + uuid.uuid5(ROLE_NAMESPACE, f"owner|{owner.lower()}").hex[:6]
    return base[: max_length - len(suffix)].rstrip("-") + suffix
