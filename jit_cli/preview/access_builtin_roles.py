"""Built-in Azure roles the access summary knows, with the permissions that decide JIT `initiate`."""

from __future__ import annotations

# Common built-in roles with their permissions as Microsoft publishes them (Microsoft Learn, "Azure built-in
# roles": privileged, security, networking and general pages; MicrosoftDocs/azure-docs
# articles/role-based-access-control/built-in-roles/*.md). Owner and Contributor hold `*`, Security Admin
# `Microsoft.Security/*`: they grant initiate. Reader (`*/read`) and Network Contributor (`Microsoft.Network/*`)
# do not. Any other role the program does not define may grant it, and is shown as such.
_CONTRIBUTOR_NOT_ACTIONS = [
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
]
_SECURITY_ADMIN_ACTIONS = [
    "Microsoft.Authorization/*/read",
    "Microsoft.Authorization/policyAssignments/*",
    "Microsoft.Authorization/policyDefinitions/*",
    "Microsoft.Authorization/policyExemptions/*",
    "Microsoft.Authorization/policySetDefinitions/*",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Management/managementGroups/read",
    "Microsoft.operationalInsights/workspaces/*/read",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Security/*",
    "Microsoft.IoTSecurity/*",
    "Microsoft.IoTFirmwareDefense/*",
    "Microsoft.Support/*",
]
_NETWORK_CONTRIBUTOR_ACTIONS = [
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Network/*",
    "Microsoft.ResourceHealth/availabilityStatuses/read",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
]
BUILTIN_ROLES: dict[str, tuple[str, list[dict[str, list[str]]]]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": ("Owner", [{"actions": ["*"]}]),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": (
        "Contributor",
        [{"actions": ["*"], "notActions": _CONTRIBUTOR_NOT_ACTIONS}],
    ),
    "fb1c8493-542b-48eb-b624-b4c8fea62acd": ("Security Admin", [{"actions": _SECURITY_ADMIN_ACTIONS}]),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": ("Reader", [{"actions": ["*/read"]}]),
    "4d97b98b-1d4f-4787-a291-c67834d212e7": ("Network Contributor", [{"actions": _NETWORK_CONTRIBUTOR_ACTIONS}]),
}
