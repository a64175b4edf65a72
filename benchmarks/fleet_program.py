"""The fleet the benchmark previews: what a platform team enabling JIT across many VMs would write."""

from __future__ import annotations

import base64

from pulumi_azure_native import network, resources

from azure_jit_access.approval.approvers import Approver
from azure_jit_access.approval.component import AllowedVm, JitApprovalWorkflow, JitApprovalWorkflowArgs
from azure_jit_access.approval.request import HttpTrigger
from azure_jit_access.defender import DefenderForServers, DefenderForServersArgs
from azure_jit_access.jit_policy import JitAccessPolicy, JitAccessPolicyArgs
from azure_jit_access.requester_role import JitRequesterRole, JitRequesterRoleArgs, RoleAssignee
from azure_jit_access.vm import JitProtectedVm, JitProtectedVmArgs
from azure_jit_access.wildcard_policy import DenyWildcardSourcePolicy, DenyWildcardSourcePolicyArgs

LOCATION = "westeurope"
SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
TENANT = "00000000-0000-4000-8000-000000000002"
REQUESTERS = "6f2c9a1e-3b7d-4e55-9c0a-1d2e3f4a5b6c"
SSH_KEY = (
    "ssh-ed25519 "
    + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
    + " bench@fleet"
)


def build(vms: int, per_group: int, keep_aliases: bool = False) -> None:
    """N Linux VMs in groups of `per_group` (each group with a VNet, a subnet and one JIT policy), Defender,
    the requester role on every group, the deny-wildcard policy, and one approval workflow for all VMs."""
    defender = DefenderForServers(
        "defender", DefenderForServersArgs(subscription_id=SUBSCRIPTION, keep_api_version_aliases=keep_aliases)
    )
    groups = (vms + per_group - 1) // per_group
    allowed: list[AllowedVm] = []
    for g in range(groups):
        rg_name = f"rg-fleet-{g:03d}"
        group = resources.ResourceGroup(f"rg-{g:03d}", resource_group_name=rg_name, location=LOCATION)
        vnet = network.VirtualNetwork(
            f"vnet-{g:03d}",
            resource_group_name=group.name,
            location=LOCATION,
            address_space=network.AddressSpaceArgs(address_prefixes=["10.0.0.0/16"]),
        )
        subnet = network.Subnet(
            f"snet-{g:03d}",
            resource_group_name=group.name,
            virtual_network_name=vnet.name,
            subnet_name="workload",
            address_prefix="10.0.0.0/20",
        )
        members = []
        for i in range(min(per_group, vms - g * per_group)):
            members.append(
                JitProtectedVm(
                    f"vm-{g:03d}-{i:03d}",
                    JitProtectedVmArgs(
                        resource_group_name=group.name,
                        subnet_id=subnet.id,
                        os_type="linux",
                        ssh_public_key=SSH_KEY,
                        location=LOCATION,
                        keep_api_version_aliases=keep_aliases,
                    ),
                )
            )
        JitAccessPolicy(
            f"jit-{g:03d}",
            JitAccessPolicyArgs(
                resource_group_name=group.name,
                location=LOCATION,
                virtual_machines=members,
                allowed_source_address_prefixes=["203.0.113.0/28"],
                defender=defender,
                keep_api_version_aliases=keep_aliases,
            ),
        )
        allowed += [AllowedVm(vm.settings.vm_name, vm.vm_id, rg_name, "default", LOCATION, [22]) for vm in members]
    scopes = [f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-fleet-{g:03d}" for g in range(groups)]
    role = JitRequesterRole(
        "requester",
        JitRequesterRoleArgs(
            assignable_scopes=scopes,
            assignees=[RoleAssignee("requesters", REQUESTERS, "Group")],
            keep_api_version_aliases=keep_aliases,
        ),
    )
    DenyWildcardSourcePolicy(
        "guardrails",
        DenyWildcardSourcePolicyArgs(scope=f"/subscriptions/{SUBSCRIPTION}", keep_api_version_aliases=keep_aliases),
    )
    JitApprovalWorkflow(
        "approvals",
        JitApprovalWorkflowArgs(
            resource_group_name="rg-fleet-000",
            location=LOCATION,
            tenant_id=TENANT,
            approvers=[Approver("5ec0f500-0000-4000-8000-0000000005ec", "Group", "secops@example.com")],
            allowed_vms=allowed,
            source_prefixes=["203.0.113.0/28"],
            requester_role_definition_id=role.role_definition_id,
            http=HttpTrigger(audience="api://jit-approvals"),
            subscription_id=SUBSCRIPTION,
            keep_api_version_aliases=keep_aliases,
        ),
    )
