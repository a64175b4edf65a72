"""Role actions: what a JIT requester may hold, which built-in roles are privileged, and RBAC matching."""

from __future__ import annotations

INITIATE_ACTION = "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action"

# Microsoft Learn, "permissions needed to configure and use JIT" (request access), plus what Microsoft's
# Set-JitLeastPrivilegedRole.ps1 and the portal's Connect blade add. All reads except initiate.
DEFAULT_REQUESTER_ACTIONS = (
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
PRIVILEGED_ROLES = {
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
