"""JitRequesterRole: exactly the requester actions, narrow assignable scopes, stable ids, assignments."""

import re

import pulumi
import pytest
from pulumi_azure_native import resources

from azure_jit_access.requester_role import (
    JitRequesterRole,
    JitRequesterRoleArgs,
    RoleAssignee,
    requester_actions,
    role_assignment_guid,
    role_definition_guid,
    validate_assignable_scopes,
    validate_assignee,
    validate_requester_actions,
)
from azure_jit_access.testing import run

SUB = "00000000-0000-4000-8000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-vms"
RG2 = f"/subscriptions/{SUB}/resourceGroups/rg-more-vms"
OPS_GROUP = "11111111-1111-4111-8111-111111111111"
WORKFLOW_PRINCIPAL = "22222222-2222-4222-8222-222222222222"
ROLE = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"

MICROSOFT_REQUESTER_ACTIONS = [
    "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action",
    "Microsoft.Security/locations/jitNetworkAccessPolicies/*/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Network/networkInterfaces/*/read",
    "Microsoft.Network/publicIPAddresses/read",
]


def test_actions_are_exactly_microsofts_requester_set():
    assert requester_actions() == MICROSOFT_REQUESTER_ACTIONS


def test_portal_variant_adds_only_the_two_connect_blade_reads():
    portal = requester_actions(portal=True)
    assert portal[: len(MICROSOFT_REQUESTER_ACTIONS)] == MICROSOFT_REQUESTER_ACTIONS
    assert set(portal) - set(MICROSOFT_REQUESTER_ACTIONS) == {
        "Microsoft.Security/policies/read",
        "Microsoft.Network/*/read",
    }
    assert len(portal) == len(MICROSOFT_REQUESTER_ACTIONS) + 2


@pytest.mark.parametrize("portal", [False, True])
def test_no_action_writes_deletes_or_is_a_wildcard(portal):
    for action in requester_actions(portal):
        lowered = action.lower()
        assert not lowered.endswith(("/write", "/delete", "/*")) and action != "*"
        assert lowered.endswith("/read") or lowered.endswith("jitnetworkaccesspolicies/initiate/action")
    validate_requester_actions(requester_actions(portal))


@pytest.mark.parametrize(
    "action",
    [
        "*",
        "Microsoft.Network/networkSecurityGroups/*/write",
        "Microsoft.Network/networkSecurityGroups/*",
        "Microsoft.Security/locations/jitNetworkAccessPolicies/write",
        "Microsoft.Compute/virtualMachines/delete",
        "Microsoft.Compute/virtualMachines/start/action",
    ],
)
def test_a_write_delete_or_other_action_is_refused(action):
    with pytest.raises(ValueError, match="not a read or JIT initiate"):
        validate_requester_actions([*requester_actions(), action])


def test_role_definition_guid_is_stable_and_case_insensitive():
    guid = role_definition_guid(f"/subscriptions/{SUB}", "JIT VM Access Requester")
    assert guid == role_definition_guid(f"/SUBSCRIPTIONS/{SUB.upper()}", "jit vm access requester")
    assert guid != role_definition_guid(f"/subscriptions/{SUB}", "Another role")
    assert guid != role_definition_guid(
        "/subscriptions/00000000-0000-4000-8000-00000000000f", "JIT VM Access Requester"
    )
    assert role_assignment_guid(RG, guid, OPS_GROUP) != role_assignment_guid(RG2, guid, OPS_GROUP)
    assert role_assignment_guid(RG, guid, OPS_GROUP) == role_assignment_guid(RG.upper(), guid, OPS_GROUP.upper())


def test_assignable_scopes_are_resource_groups_by_default():
    assert validate_assignable_scopes([RG, RG2, RG.upper() + "/"]) == [RG, RG2]
    with pytest.raises(ValueError, match="allow_subscription_scope"):
        validate_assignable_scopes([f"/subscriptions/{SUB}"])
    assert validate_assignable_scopes([f"/subscriptions/{SUB}"], allow_subscription_scope=True) == [
        f"/subscriptions/{SUB}"
    ]


@pytest.mark.parametrize(
    "scopes",
    [
        [],
        ["/"],
        ["/providers/Microsoft.Management/managementGroups/root"],
        [RG, "/"],
        RG,
        ["rg-vms"],
        [RG, "/subscriptions/00000000-0000-4000-8000-00000000000f/resourceGroups/rg"],
    ],
)
def test_root_management_group_and_mixed_scopes_are_refused(scopes):
    with pytest.raises(ValueError, match="assignable"):
        validate_assignable_scopes(scopes, allow_subscription_scope=True)


@pytest.mark.parametrize(
    "assignee, message",
    [
        (RoleAssignee("Ops Team", OPS_GROUP), "label"),
        (RoleAssignee("ops", OPS_GROUP, "ManagedIdentity"), "principal_type"),
        (RoleAssignee("ops", "ops-team@example.com"), "must be an Entra object id"),
    ],
)
def test_bad_assignees_are_refused(assignee, message):
    with pytest.raises(ValueError, match=message):
        validate_assignee(assignee)


def build(**overrides):
    args = dict(assignable_scopes=[RG], assignees=[RoleAssignee("ops", OPS_GROUP)])
    args.update(overrides)
    return run(lambda: JitRequesterRole("requester", JitRequesterRoleArgs(**args)), stack="dev")


@pytest.fixture(scope="module")
def defaults():
    return build()


def test_role_definition_inputs(defaults):
    role = defaults.one(ROLE)
    guid = role_definition_guid(f"/subscriptions/{SUB}", "JIT VM Access Requester (azure-jit-access-dev)")
    assert role.inputs["roleDefinitionId"] == guid
    assert role.inputs["roleName"] == "JIT VM Access Requester (azure-jit-access-dev)"
    assert role.inputs["scope"] == f"/subscriptions/{SUB}"
    assert role.inputs["assignableScopes"] == [RG]
    assert role.inputs["permissions"] == [
        {"actions": MICROSOFT_REQUESTER_ACTIONS, "notActions": [], "dataActions": [], "notDataActions": []}
    ]
    assert role.id == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    assert role.parent == defaults.one("azure-jit-access:requester_role:JitRequesterRole").urn


def test_group_assignment_uses_the_full_role_id_and_principal_type(defaults):
    role = defaults.one(ROLE)
    assignment = defaults.one(ASSIGNMENT)
    assert assignment.name == "requester-ops-rg-vms"
    assert assignment.inputs["roleDefinitionId"] == role.id
    assert assignment.inputs["principalId"] == OPS_GROUP
    assert assignment.inputs["principalType"] == "Group"
    assert assignment.inputs["scope"] == RG
    assert assignment.inputs["roleAssignmentName"] == role_assignment_guid(
        RG, role.inputs["roleDefinitionId"], OPS_GROUP
    )


def test_ids_are_the_same_on_every_run(defaults):
    again = build()
    assert again.one(ROLE).id == defaults.one(ROLE).id
    assert again.one(ASSIGNMENT).inputs["roleAssignmentName"] == defaults.one(ASSIGNMENT).inputs["roleAssignmentName"]


def test_portal_variant_many_principals_many_scopes_and_a_workflow_identity():
    def program():
        group = resources.ResourceGroup("rg", resource_group_name="rg-vms")
        role = JitRequesterRole(
            "requester",
            JitRequesterRoleArgs(
                assignable_scopes=[RG, RG2],
                portal=True,
                role_name="JIT requester (portal)",
                assignees=[
                    RoleAssignee("ops", OPS_GROUP),
                    RoleAssignee("alice", "33333333-3333-4333-8333-333333333333", "User"),
                ],
            ),
            opts=pulumi.ResourceOptions(depends_on=[group]),
        )
        # The approval workflow's managed identity is only known once Azure creates it: an Output.
        role.assign(RoleAssignee("workflow", pulumi.Output.from_input(WORKFLOW_PRINCIPAL), "ServicePrincipal"))
        pulumi.export("roleDefinitionId", role.role_definition_id)

    result = run(program)
    role = result.one(ROLE)
    assert role.inputs["permissions"][0]["actions"] == requester_actions(portal=True)
    assert role.inputs["assignableScopes"] == [RG, RG2]
    assignments = {a.name: a.inputs for a in result.find(ASSIGNMENT)}
    assert sorted(assignments) == sorted(
        f"requester-{who}-{rg}" for who in ("ops", "alice", "workflow") for rg in ("rg-vms", "rg-more-vms")
    )
    workflow = assignments["requester-workflow-rg-more-vms"]
    assert workflow["principalType"] == "ServicePrincipal" and workflow["scope"] == RG2
    assert workflow["roleAssignmentName"] == role_assignment_guid(
        RG2, role.inputs["roleDefinitionId"], WORKFLOW_PRINCIPAL
    )
    assert assignments["requester-alice-rg-vms"]["principalType"] == "User"
    assert result.outputs["roleDefinitionId"] == role.id
    # The role and every assignment wait for the resource group the component depends on.
    group_urn = result.one("azure-native:resources:ResourceGroup").urn
    assert all(group_urn in r.options["dependsOn"] for r in [role, *result.find(ASSIGNMENT)])


def test_invalid_args_fail_before_any_resource_is_created():
    with pytest.raises(ValueError, match="never '/'"):
        build(assignable_scopes=["/"])
    with pytest.raises(ValueError, match="used twice"):
        build(assignees=[RoleAssignee("ops", OPS_GROUP), RoleAssignee("ops", WORKFLOW_PRINCIPAL)])
    with pytest.raises(ValueError, match="listed twice"):
        build(assignees=[RoleAssignee("ops", OPS_GROUP), RoleAssignee("ops-again", OPS_GROUP.upper())])
    with pytest.raises(ValueError, match="principal_type"):
        build(assignees=[RoleAssignee("ops", OPS_GROUP, "group")])


def test_approval_mode_refuses_any_assignee_before_anything_is_created():
    message = (
        "assignees[0] (ops): in approval mode only the approval workflow's managed identity may hold JIT initiate "
        "(JitApprovalWorkflow assigns it)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        build(access_mode="approval")
    with pytest.raises(ValueError, match="give people the read-only JitViewerRole instead"):
        build(access_mode="approval", assignees=[RoleAssignee("wf", WORKFLOW_PRINCIPAL, "ServicePrincipal")])
    with pytest.raises(ValueError, match="^access_mode: give 'direct' or 'approval', got 'approve'"):
        build(access_mode="approve")


def test_approval_mode_refuses_a_later_assign_too():
    def program():
        role = JitRequesterRole("requester", JitRequesterRoleArgs(assignable_scopes=[RG], access_mode="approval"))
        role.assign(RoleAssignee("ops", OPS_GROUP))

    with pytest.raises(ValueError, match=re.escape("assignees[0] (ops): in approval mode")):
        run(program, stack="dev")


def test_approval_mode_creates_the_role_without_assignments():
    result = build(access_mode="approval", assignees=[])
    assert result.find(ASSIGNMENT) == []
    assert result.one(ROLE).inputs["permissions"][0]["actions"] == MICROSOFT_REQUESTER_ACTIONS
