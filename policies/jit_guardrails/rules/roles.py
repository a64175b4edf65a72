"""Role actions: what a JIT requester may hold, which built-in roles are privileged, and RBAC matching."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

INITIATE_ACTION = "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action"

REQUESTER_ACTIONS: tuple[str, ...] = (
    INITIATE_ACTION,
    "Microsoft.Security/locations/jitNetworkAccessPolicies/*/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Network/networkInterfaces/*/read",
    "Microsoft.Network/publicIPAddresses/read",
)
"""Microsoft Learn, "permissions needed to configure and use JIT" (request access): what the role grants."""

PORTAL_ACTIONS: tuple[str, ...] = ("Microsoft.Security/policies/read", "Microsoft.Network/*/read")
"""The two reads the portal's Connect blade needs (`Set-JitLeastPrivilegedRole.ps1`)."""

VIEWER_ACTIONS: tuple[str, ...] = (
    "Microsoft.Security/locations/jitNetworkAccessPolicies/read",
    "Microsoft.Security/locations/jitNetworkAccessPolicies/*/read",
    "Microsoft.Security/pricings/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Network/networkInterfaces/*/read",
    "Microsoft.Network/publicIPAddresses/read",
)
"""Approval mode's read-only JIT viewer: see policies, requests and status, never `initiate`. The JIT policy
reads of Microsoft's requester set (MS Learn, "permissions needed to configure and use JIT"; Reader and Security
Reader can read JIT policies), `pricings/read` from Microsoft's documented JIT reader role, and the VM, NIC and
public IP reads a request's target needs."""

INITIATE_BUILTIN_ROLES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "fb1c8493-542b-48eb-b624-b4c8fea62acd": "Security Admin",
}
"""Built-in roles whose actions (`*`, or `Microsoft.Security/*`) grant JIT `initiate` (MS Learn, "Azure
built-in roles")."""

# Everything a requester role may hold: the above, plus the non-wildcard reads some Microsoft samples list.
# All reads except initiate.
DEFAULT_REQUESTER_ACTIONS: tuple[str, ...] = (
    INITIATE_ACTION,
    "Microsoft.Security/locations/jitNetworkAccessPolicies/read",
    "Microsoft.Security/locations/jitNetworkAccessPolicies/*/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Network/networkInterfaces/read",
    "Microsoft.Network/networkInterfaces/*/read",
    "Microsoft.Network/publicIPAddresses/read",
    "Microsoft.Security/policies/read",
    "Microsoft.Network/*/read",
    # Microsoft Learn's JIT reader role (view JIT policies and Defender plan status) also reads pricings.
    "Microsoft.Security/pricings/read",
)

# Built-in role definition ids (Microsoft Learn, "Azure built-in roles").
PRIVILEGED_ROLES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "4d97b98b-1d4f-4787-a291-c67834d212e7": "Network Contributor",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
    "fb1c8493-542b-48eb-b624-b4c8fea62acd": "Security Admin",
}


def action_matches(pattern: str, action: str) -> bool:
    """Azure RBAC action matching: case-insensitive, `*` matches any run of characters."""
    pieces = pattern.lower().split("*")
    action = action.lower()
    if len(pieces) == 1:
        return pieces[0] == action
    if not (action.startswith(pieces[0]) and action.endswith(pieces[-1])):
        return False
    position, end = len(pieces[0]), len(action) - len(pieces[-1])
    for piece in pieces[1:-1]:
        found = action.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return position <= end


def _strings(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        return []
    return [item for item in value if isinstance(item, str)]


def grants(permissions: Iterable[Mapping[str, object]], action: str) -> bool:
    """Whether any permission block grants `action`: one of its `actions` matches and none of its `notActions`.

    Azure evaluates `notActions` per block (a block's `notActions` do not subtract from another block's
    `actions`), which is why this is not a set difference over the whole role.
    """
    for block in permissions:
        actions, not_actions = _strings(block.get("actions")), _strings(block.get("notActions"))
        if any(action_matches(a, action) for a in actions) and not any(action_matches(n, action) for n in not_actions):
            return True
    return False


def effective_actions(permissions: Iterable[Mapping[str, object]], candidates: Iterable[str]) -> list[str]:
    """Those of `candidates` the permission blocks grant (see `grants`), in the candidates' order."""
    blocks = list(permissions)
    return [candidate for candidate in candidates if grants(blocks, candidate)]


def requester_action_problem(action: str, allowed: Iterable[str] = DEFAULT_REQUESTER_ACTIONS) -> str | None:
    """Why a requester role must not hold this action, or None. Wildcards and writes are never allowed."""
    lowered = action.strip().lower()
    if lowered == "*" or lowered.endswith("*"):
        return f"'{action}' is a wildcard that grants every matching action, including write and delete"
    if lowered.endswith(("/write", "/delete")):
        return f"'{action}' is a write/delete action: a requester could change access without JIT"
    if lowered not in {a.strip().lower() for a in allowed}:
        return f"'{action}' is not one of the allowed requester actions"
    return None
