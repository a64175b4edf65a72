"""jit-principal-effective-permissions: every role of a requester (or the workflow identity) added up."""

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

ROLE = "azure-native:authorization:RoleDefinition"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
MEMBER = "azuread:index/groupMember:GroupMember"
POLICY = "jit-principal-effective-permissions"
SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"
INITIATE = "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
SECURITY_ADMIN = "fb1c8493-542b-48eb-b624-b4c8fea62acd"


def definition(guid, *actions, not_actions=()):
    return {
        "roleDefinitionId": guid,
        "roleName": f"role {guid[:4]}",
        "scope": SUB,
        "permissions": [{"actions": list(actions), "notActions": list(not_actions)}],
    }


def assign(principal, guid, principal_type="Group"):
    return {
        "principalId": principal,
        "principalType": principal_type,
        "scope": SUB,
        "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
    }


def stack(make, *assignments, roles=()):
    resources = [make(ROLE, f"def-{i}", r) for i, r in enumerate(roles)]
    return resources + [make(ASSIGNMENT, f"a-{i}", a) for i, a in enumerate(assignments)]


REQUESTER = definition("aaaa0000-0000-4000-8000-000000000001", INITIATE, "Microsoft.Compute/virtualMachines/read")


def test_requester_with_a_second_built_in_role_is_refused(judge, make):
    found = judge(
        *stack(
            make,
            assign("g1", "aaaa0000-0000-4000-8000-000000000001"),
            assign("g1", NETWORK_CONTRIBUTOR),
            roles=[REQUESTER],
        ),
        policy=POLICY,
    )
    assert [(p, level) for p, level, _ in found] == [(POLICY, "mandatory")]
    assert found[0][2].startswith("principal g1 (a-0) is a JIT requester")
    assert "Microsoft.Network/networkSecurityGroups/securityRules/write, granted by Network Contributor" in found[0][2]


def test_jit_policy_write_via_security_admin_is_refused(judge, make):
    found = judge(
        *stack(
            make,
            assign("u1", "aaaa0000-0000-4000-8000-000000000001", "User"),
            assign("u1", SECURITY_ADMIN, "User"),
            roles=[REQUESTER],
        ),
        policy=POLICY,
    )
    assert len(found) == 1
    assert "Microsoft.Security/locations/jitNetworkAccessPolicies/write, granted by Security Admin" in found[0][2]


def test_a_single_role_that_initiates_and_widens_is_left_to_the_per_role_policy(judge, make):
    split = {
        **REQUESTER,
        "permissions": [
            {"actions": [INITIATE, "Microsoft.Network/*"], "notActions": ["Microsoft.Network/*/write"]},
            {"actions": ["Microsoft.Network/networkSecurityGroups/securityRules/write"]},
        ],
    }
    found = judge(*stack(make, assign("g1", "aaaa0000-0000-4000-8000-000000000001"), roles=[split]))
    assert {p for p, _, _ in found} == {"jit-requester-role-least-privilege"}  # one mistake, one policy


def test_non_requesters_may_hold_network_roles(judge, make):
    assert (
        judge(
            *stack(
                make,
                assign("ops", NETWORK_CONTRIBUTOR),
                assign("g1", "aaaa0000-0000-4000-8000-000000000001"),
                assign("g1", READER),
                roles=[REQUESTER],
            ),
            policy=POLICY,
        )
        == []
    )


def test_group_membership_adds_the_groups_roles(judge, make):
    resources = stack(
        make,
        assign("requesters", "aaaa0000-0000-4000-8000-000000000001"),
        assign("netadmins", NETWORK_CONTRIBUTOR),
        roles=[REQUESTER],
    )
    resources.append(make(MEMBER, "m", {"groupObjectId": "/groups/netadmins", "memberObjectId": "alice"}))
    resources.append(
        make(ASSIGNMENT, "alice-requests", assign("alice", "aaaa0000-0000-4000-8000-000000000001", "User"))
    )
    found = judge(*resources, policy=POLICY)
    assert len(found) == 1 and found[0][2].startswith("principal alice")
    assert "granted by Network Contributor (via group netadmins)" in found[0][2]


def test_roles_defined_outside_the_stack_are_not_guessed(judge, make):
    # Judged by jit-requester-role-least-privilege where they are defined; the model reports them (unknown_roles).
    found = judge(
        *stack(
            make,
            assign("g1", "aaaa0000-0000-4000-8000-000000000001"),
            assign("g1", "bbbb0000-0000-4000-8000-000000000002"),
            roles=[REQUESTER],
        ),
        policy=POLICY,
    )
    assert found == []


def test_unknown_role_definition_id_is_deferred(judge, make):
    found = judge(make(ASSIGNMENT, "a", {**assign("g1", "x"), "roleDefinitionId": UNKNOWN}), policy=POLICY)
    assert [level for _, level, _ in found] == ["advisory"]


def test_the_workflow_identity_is_judged_even_without_a_requester_role(judge, make):
    workflow = make(
        "azure-native:logic:Workflow",
        "wf",
        {"workflowName": "wf", "identity": {"type": "SystemAssigned"}},
        outputs={"identity": {"type": "SystemAssigned", "principalId": "wf-principal"}},
    )
    found = judge(
        workflow, make(ASSIGNMENT, "a", assign("wf-principal", NETWORK_CONTRIBUTOR, "ServicePrincipal")), policy=POLICY
    )
    assert len(found) == 1 and "is the approval workflow's identity" in found[0][2]
    reader = judge(workflow, make(ASSIGNMENT, "a", assign("wf-principal", READER, "ServicePrincipal")), policy=POLICY)
    assert reader == []
