"""`approval-mode-no-human-initiate`: where a workflow calls initiate, only workflow identities may hold it."""

import pytest

WORKFLOW = "azure-native:logic:Workflow"
DEFINITION = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
POLICY = "approval-mode-no-human-initiate"
SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
RG = f"{SUB}/resourceGroups/rg-app"
JIT_POLICY = f"{RG}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default"
WORKFLOW_PRINCIPAL = "0f0f0f0f-0000-4000-8000-00000000f10f"
GROUP = "6f2c9a1e-3b7d-4e55-9c0a-1d2e3f4a5b6c"
REQUESTER_GUID = "5f0c8d4e-2b1a-4c3d-9e8f-7a6b5c4d3e2f"
VIEWER_GUID = "6a1d9e5f-3c2b-4d4e-8f9a-8b7c6d5e4f3a"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def workflow(make, uri=f"https://management.azure.com{JIT_POLICY}/initiate?api-version=2020-01-01", parameters=None):
    definition = {
        "triggers": {"request": {"type": "Request", "kind": "Http"}},
        "actions": {"Initiate": {"type": "Http", "inputs": {"method": "POST", "uri": uri}}},
    }
    inputs = {"resourceGroupName": "rg-app", "definition": definition, "identity": {"type": "SystemAssigned"}}
    if parameters is not None:
        inputs["parameters"] = parameters
    return make(WORKFLOW, "approvals", inputs, outputs={"identity": {"principalId": WORKFLOW_PRINCIPAL}})


def role(make, guid, actions, name):
    return make(
        DEFINITION,
        name,
        {"roleDefinitionId": guid, "scope": SUB, "permissions": [{"actions": actions}], "assignableScopes": [RG]},
    )


def requester_role(make):
    return role(
        make,
        REQUESTER_GUID,
        [
            "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action",
            "Microsoft.Security/locations/jitNetworkAccessPolicies/*/read",
        ],
        "requester",
    )


def viewer_role(make):
    return role(make, VIEWER_GUID, ["Microsoft.Security/locations/jitNetworkAccessPolicies/*/read"], "viewer")


def assignment(make, name, guid, scope=RG, principal=GROUP, kind="Group"):
    role_id = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    return make(
        ASSIGNMENT,
        name,
        {"principalId": principal, "principalType": kind, "roleDefinitionId": role_id, "scope": scope},
    )


def test_a_group_holding_the_requester_role_where_the_workflow_serves_is_flagged(make, judge):
    found = judge(
        workflow(make),
        requester_role(make),
        assignment(make, "ops-requester", REQUESTER_GUID),
        assignment(make, "workflow-requester", REQUESTER_GUID, principal=WORKFLOW_PRINCIPAL, kind="ServicePrincipal"),
        policy=POLICY,
    )
    assert len(found) == 1
    _, enforcement, detail = found[0]
    assert enforcement == "mandatory"
    assert detail.startswith(f"Role assignment 'ops-requester' gives JIT initiate to Group {GROUP} at {RG}")
    assert JIT_POLICY.lower() in detail and "JitViewerRole" in detail


@pytest.mark.parametrize(
    ("guid", "scope", "expected"),
    [
        (OWNER, SUB, True),  # Owner's `*` grants initiate; a subscription covers the resource group
        (CONTRIBUTOR, "/providers/Microsoft.Management/managementGroups/corp", True),
        (CONTRIBUTOR, "/", True),
        (REQUESTER_GUID, JIT_POLICY, True),  # on the JIT policy itself
        (READER, SUB, False),  # reads only
        (VIEWER_GUID, RG, False),  # the viewer role never grants initiate
        (REQUESTER_GUID, f"{SUB}/resourceGroups/rg-other", False),  # a scope the workflow does not serve
        (REQUESTER_GUID, f"{RG}/providers/Microsoft.Compute/virtualMachines/vm-1", False),  # below the policy
    ],
)
def test_roles_and_scopes_that_reach_the_served_policy(make, judge, guid, scope, expected):
    resources = [workflow(make), requester_role(make), viewer_role(make), assignment(make, "a", guid, scope=scope)]
    assert bool(judge(*resources, policy=POLICY)) == expected


def test_initiate_uris_in_workflow_parameters_count_too(make, judge):
    uri = f"https://management.azure.com{JIT_POLICY}/initiate?api-version=2020-01-01"
    wf = workflow(
        make,
        uri="@parameters('vmTargets')?['web']?['initiateUri']",
        parameters={"vmTargets": {"value": {"web": {"initiateUri": uri}}}},
    )
    assert judge(wf, requester_role(make), assignment(make, "ops", REQUESTER_GUID), policy=POLICY)


def test_without_an_approval_workflow_requesters_may_hold_initiate(make, judge):
    assert judge(requester_role(make), assignment(make, "ops", REQUESTER_GUID), policy=POLICY) == []
