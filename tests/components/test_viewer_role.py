"""JitViewerRole: the read-only JIT role people get in approval mode; it never grants initiate."""

import pytest

from azure_jit_access.requester_role import RoleAssignee
from azure_jit_access.rules.roles import INITIATE_ACTION, grants
from azure_jit_access.testing import run
from azure_jit_access.viewer_role import JitViewerRole, JitViewerRoleArgs, viewer_actions

SUB = "00000000-0000-4000-8000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-vms"
OPS_GROUP = "11111111-1111-4111-8111-111111111111"

# MS Learn, "permissions needed to configure and use JIT": the JIT policy reads of the request set; Microsoft's
# documented JIT reader role adds Microsoft.Security/pricings/read (AZURE_FACTS); the VM, NIC and public IP reads.
VIEWER_ACTIONS = [
    "Microsoft.Security/locations/jitNetworkAccessPolicies/read",
    "Microsoft.Security/locations/jitNetworkAccessPolicies/*/read",
    "Microsoft.Security/pricings/read",
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Network/networkInterfaces/*/read",
    "Microsoft.Network/publicIPAddresses/read",
]


@pytest.mark.parametrize("portal", [False, True])
def test_viewer_actions_are_reads_and_never_initiate(portal):
    actions = viewer_actions(portal)
    assert actions[: len(VIEWER_ACTIONS)] == VIEWER_ACTIONS
    assert actions[len(VIEWER_ACTIONS) :] == (
        ["Microsoft.Security/policies/read", "Microsoft.Network/*/read"] if portal else []
    )
    assert all(a.endswith("/read") for a in actions)
    assert not grants([{"actions": actions}], INITIATE_ACTION)


def test_the_viewer_role_and_its_assignment():
    result = run(
        lambda: JitViewerRole(
            "viewer", JitViewerRoleArgs(assignable_scopes=[RG], assignees=[RoleAssignee("ops", OPS_GROUP)])
        ),
        stack="dev",
    )
    component = result.one("azure-jit-access:viewer_role:JitViewerRole")
    role = result.one("azure-native:authorization:RoleDefinition")
    assert role.parent == component.urn
    assert role.inputs["roleName"] == "JIT VM Access Viewer (azure-jit-access-dev)"
    assert role.inputs["permissions"][0]["actions"] == VIEWER_ACTIONS
    assert "cannot initiate" in role.inputs["description"]
    (assignment,) = result.find("azure-native:authorization:RoleAssignment")
    assert assignment.name == "viewer-ops-rg-vms"
    assert (assignment.inputs["principalId"], assignment.inputs["roleDefinitionId"]) == (OPS_GROUP, role.id)
