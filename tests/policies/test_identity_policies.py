"""jit-requester-role-least-privilege, no-privileged-role-for-automation."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

from jit_guardrails.identity import DEFAULT_REQUESTER_ACTIONS, INITIATE_ACTION, can_initiate
from jit_guardrails.rules.roles import action_matches

ROLE = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
REQUESTER = "jit-requester-role-least-privilege"
AUTOMATION = "no-privileged-role-for-automation"
RG = "/subscriptions/s/resourceGroups/rg-app"
TENANT = "00000000-0000-4000-8000-000000000002"
REQUEST_ACTIONS = [
    "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action",
    "Microsoft.Security/locations/jitNetworkAccessPolicies/*/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Network/networkInterfaces/*/read",
    "Microsoft.Network/publicIPAddresses/read",
]


def role(actions, scopes=(RG,), **extra):
    return {
        "roleName": "JIT requester",
        "scope": RG,
        "assignableScopes": list(scopes),
        "permissions": [{"actions": list(actions), **extra}],
    }


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", INITIATE_ACTION, True),
        ("Microsoft.Security/*", INITIATE_ACTION, True),
        ("microsoft.security/locations/jitnetworkaccesspolicies/*", INITIATE_ACTION, True),
        ("Microsoft.Security/locations/*/initiate/action", INITIATE_ACTION, True),
        ("Microsoft.Security/locations/jitNetworkAccessPolicies/*/read", INITIATE_ACTION, False),
        ("Microsoft.Compute/*", INITIATE_ACTION, False),
        ("*/read", "Microsoft.Compute/virtualMachines/read", True),
    ],
)
def test_action_wildcards_match_like_azure_rbac(pattern, action, expected):
    assert action_matches(pattern, action) is expected


def test_not_actions_take_initiate_away():
    assert can_initiate([{"actions": ["*"]}])
    assert not can_initiate([{"actions": ["*"], "notActions": ["Microsoft.Security/*"]}])
    assert can_initiate([{"actions": ["*"], "notActions": ["Microsoft.Security/*"]}, {"actions": [INITIATE_ACTION]}])


@pytest.mark.parametrize(
    "props",
    [
        role(REQUEST_ACTIONS),
        role(DEFAULT_REQUESTER_ACTIONS),
        role([a.upper() for a in REQUEST_ACTIONS], scopes=[RG, RG + "-2", "/subscriptions/s"]),
        role(["*"], notActions=["Microsoft.Security/*"]),  # cannot initiate: not a requester role
        role(["Microsoft.Compute/virtualMachines/*"], scopes=["/"]),  # cannot initiate: other policies' business
        role(REQUEST_ACTIONS, scopes=["/providers/Microsoft.Management/managementGroups/platform"]),
    ],
)
def test_least_privilege_requester_roles_pass(judge, make, props):
    assert judge(make(ROLE, "requester", props), policy=REQUESTER) == []


@pytest.mark.parametrize(
    ("props", "problem"),
    [
        (role(["*"]), "'*' is a wildcard that grants every matching action, including write and delete"),
        (
            role([*REQUEST_ACTIONS, "Microsoft.Network/networkSecurityGroups/*"]),
            "'Microsoft.Network/networkSecurityGroups/*' is a wildcard",
        ),
        (
            role([*REQUEST_ACTIONS, "Microsoft.Network/networkSecurityGroups/securityRules/write"]),
            "'Microsoft.Network/networkSecurityGroups/securityRules/write' is a write/delete action: a requester could "
            "change access without JIT",
        ),
        (role([*REQUEST_ACTIONS, "Microsoft.Compute/virtualMachines/delete"]), "is a write/delete action"),
        (
            role([*REQUEST_ACTIONS, "Microsoft.Compute/virtualMachines/runCommand/action"]),
            "'Microsoft.Compute/virtualMachines/runCommand/action' is not one of the allowed requester actions",
        ),
        (role(REQUEST_ACTIONS, scopes=["/"]), "assignable scope '/' spans the whole tenant"),
        (
            role(REQUEST_ACTIONS, scopes=[f"/providers/Microsoft.Management/managementGroups/{TENANT}"]),
            f"assignable scope '/providers/Microsoft.Management/managementGroups/{TENANT}' spans the whole tenant",
        ),
        (
            role(REQUEST_ACTIONS, dataActions=["Microsoft.Storage/*"]),
            "dataActions ['Microsoft.Storage/*'] are not needed",
        ),
        (role(["Microsoft.Security/locations/jitNetworkAccessPolicies/*"]), "is a wildcard"),
    ],
)
def test_requester_roles_holding_more_are_refused(judge, make, props, problem):
    found = judge(make(ROLE, "requester", props), policy=REQUESTER)
    assert found and all(level == "mandatory" for _, level, _ in found)
    assert any(problem in detail for _, _, detail in found)
    assert found[0][2].startswith(
        "Role 'JIT requester' can initiate JIT access, so it must hold nothing but requester actions: "
    )


def test_allowed_actions_and_management_groups_are_configurable(judge, make):
    extra = make(ROLE, "r", role([*REQUEST_ACTIONS, "Microsoft.Resources/subscriptions/resourceGroups/read"]))
    assert len(judge(extra, policy=REQUESTER)) == 1
    config = {
        REQUESTER: {
            "allowedRequesterActions": [*REQUEST_ACTIONS, "Microsoft.Resources/subscriptions/resourceGroups/read"]
        }
    }
    assert judge(extra, policy=REQUESTER, config=config) == []
    # A configured write or wildcard is still refused: config can narrow the pack, never open writes.
    write = "Microsoft.Network/networkSecurityGroups/write"
    writer = make(ROLE, "w", role([*REQUEST_ACTIONS, write]))
    assert (
        len(judge(writer, policy=REQUESTER, config={REQUESTER: {"allowedRequesterActions": [*REQUEST_ACTIONS, write]}}))
        == 1
    )
    group = f"/providers/Microsoft.Management/managementGroups/{TENANT.replace('0002', '0009')}"
    guid_group = make(ROLE, "g", role(REQUEST_ACTIONS, scopes=[group]))
    assert len(judge(guid_group, policy=REQUESTER)) == 1
    assert (
        judge(
            guid_group,
            policy=REQUESTER,
            config={REQUESTER: {"allowedManagementGroups": [TENANT.replace("0002", "0009")]}},
        )
        == []
    )


def test_unknown_actions_are_deferred(judge, make):
    found = judge(make(ROLE, "r", role([UNKNOWN])), policy=REQUESTER)
    assert [level for _, level, _ in found] == ["advisory"]


def assignment(role_guid, principal_type="ServicePrincipal", scope=RG):
    props = {
        "principalId": "11111111-1111-4111-8111-111111111111",
        "scope": scope,
        "roleDefinitionId": f"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/{role_guid}",
    }
    if principal_type is not None:
        props["principalType"] = principal_type
    return props


@pytest.mark.parametrize(
    ("guid", "name"),
    [
        ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"),
        ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
        ("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator"),
        ("4d97b98b-1d4f-4787-a291-c67834d212e7", "Network Contributor"),
        ("f58310d9-a9f6-439a-9e8d-f62e7b41a168", "Role Based Access Control Administrator"),
        ("FB1C8493-542B-48EB-B624-B4C8FEA62ACD", "Security Admin"),
    ],
)
def test_privileged_roles_for_service_principals_are_refused(judge, make, guid, name):
    found = judge(make(ASSIGNMENT, "workflow-contributor", assignment(guid)), policy=AUTOMATION)
    assert found == [
        (
            AUTOMATION,
            "mandatory",
            f"Role assignment 'workflow-contributor' gives {name} to a service "
            "principal (a managed identity or app) (11111111-1111-4111-8111-111111111111) at "
            f"{RG}. An automation identity with {name} can open NSGs or grant itself access without JIT.",
        )
    ]


def test_a_missing_principal_type_fails_closed(judge, make):
    found = judge(make(ASSIGNMENT, "a", assignment("b24988ac-6180-42a0-ab88-20f7382dd24c", None)), policy=AUTOMATION)
    assert (
        len(found) == 1
        and "principalType is not set" in found[0][2]
        and found[0][2].endswith("can open NSGs or grant itself access without JIT.")
    )


@pytest.mark.parametrize(
    "props",
    [
        assignment("b24988ac-6180-42a0-ab88-20f7382dd24c", "Group"),
        assignment("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "User"),
        assignment("acdd72a7-3385-48ef-bd42-f606fba81ae7"),  # Reader
        assignment("3913510d-42f4-4e42-8a64-420c390055eb"),  # Monitoring Metrics Publisher
        {
            "principalId": "p",
            "principalType": "ServicePrincipal",
            "scope": RG,
            "roleDefinitionId": f"{RG}/providers/Microsoft.Authorization/roleDefinitions/5b2c1d0e-jit-requester",
        },
    ],
)
def test_narrow_roles_and_human_principals_pass(judge, make, props):
    assert judge(make(ASSIGNMENT, "a", props), policy=AUTOMATION) == []


def test_forbidden_roles_are_configurable_and_unknown_ids_deferred(judge, make):
    reader = make(ASSIGNMENT, "a", assignment("acdd72a7-3385-48ef-bd42-f606fba81ae7"))
    config = {AUTOMATION: {"forbiddenRoleDefinitionIds": ["acdd72a7-3385-48ef-bd42-f606fba81ae7"]}}
    assert "gives role acdd72a7-3385-48ef-bd42-f606fba81ae7 to" in judge(reader, policy=AUTOMATION, config=config)[0][2]
    unknown = make(ASSIGNMENT, "u", {**assignment("x"), "roleDefinitionId": UNKNOWN})
    assert [level for _, level, _ in judge(unknown, policy=AUTOMATION)] == ["advisory"]
