"""azure-jit-access: JIT VM access on Azure, composed from `components/` and the stack config.

Reads like the architecture: config (validated in full by `stack_config` before anything is created),
network, optional Bastion, VMs, Defender, the JIT policy, who may request (role) and what nobody may do
(deny-wildcard policy), the audit trail, the approval workflow, then the stack outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, resources

from approval_config import allowed_vms_from_policy, approval_args
from azure_jit_access.approval.component import JitApprovalWorkflow
from azure_jit_access.audit import JitAuditTrail
from azure_jit_access.bastion import BastionAccess
from azure_jit_access.defender import DefenderForServers
from azure_jit_access.jit_policy import JitAccessPolicy
from azure_jit_access.requester_role import JitRequesterRole
from azure_jit_access.vm import JitProtectedVm
from azure_jit_access.wildcard_policy import DenyWildcardSourcePolicy
from estate import PLATFORM, WORKLOAD, read_role, read_role_config
from roles_platform import build_platform, platform_config_from_stack
from roles_workload import build_workload, workload_config_from_stack
from stack_config import StackConfig, read_config


@dataclass
class Network:
    """The resource group and VNet the VMs go in (subnets standalone, so Bastion's can be added)."""

    resource_group: resources.ResourceGroup
    vnet: network.VirtualNetwork
    workload_subnet: network.Subnet


def build_network(config: StackConfig) -> Network:
    """Resource group, VNet (no inline subnets: standalone ones would be deleted by its updates), workload subnet."""
    group = resources.ResourceGroup(
        "rg", resource_group_name=config.resource_group_name, location=config.location, tags=config.tags or None
    )
    vnet = network.VirtualNetwork(
        "vnet",
        resource_group_name=group.name,
        location=config.location,
        virtual_network_name=config.placement.vnet_name,
        tags=config.tags or None,
        address_space=network.AddressSpaceArgs(address_prefixes=[config.address_space]),
    )
    subnet = network.Subnet(
        "workload-subnet",
        resource_group_name=group.name,
        virtual_network_name=vnet.name,
        subnet_name=config.placement.subnet_name,
        address_prefix=config.workload_subnet_prefix,
    )
    return Network(group, vnet, subnet)


def build_bastion(config: StackConfig, net: Network) -> BastionAccess | None:
    """Bastion mode only: AzureBastionSubnet, public IP and host."""
    if config.bastion is None:
        return None
    return BastionAccess(
        "bastion",
        config.bastion.args(
            resource_group_name=net.resource_group.name,
            virtual_network_name=net.vnet.name,
            subnet_depends_on=[net.workload_subnet],
        ),
    )


def build_vms(config: StackConfig, net: Network) -> list[JitProtectedVm]:
    """One `JitProtectedVm` per configured VM, in the workload subnet."""
    return [
        JitProtectedVm(
            vm.vm_name,
            vm.args(
                resource_group_name=net.resource_group.name, subnet_id=net.workload_subnet.id, location=config.location
            ),
        )
        for vm in config.vms
    ]


def build_defender(config: StackConfig) -> DefenderForServers:
    """Defender for Servers Plan 2 on the subscription (JIT needs it)."""
    return DefenderForServers("defender", config.defender)


def build_jit_policy(
    config: StackConfig, net: Network, vms: list[JitProtectedVm], defender: DefenderForServers
) -> JitAccessPolicy:
    """The one JIT policy of the resource group and location, holding every VM."""
    return JitAccessPolicy(
        "jit", config.policy.args(resource_group_name=net.resource_group.name, virtual_machines=vms, defender=defender)
    )


def build_access_control(config: StackConfig, net: Network) -> tuple[JitRequesterRole, DenyWildcardSourcePolicy]:
    """Who may request access (the requester role) and what nobody may do (open ports to any source)."""
    after_group = pulumi.ResourceOptions(depends_on=[net.resource_group])
    role = JitRequesterRole("requester", config.requester, opts=after_group)
    guardrails = DenyWildcardSourcePolicy("guardrails", config.guardrails, opts=after_group)
    pulumi.export("requesterRoleId", role.role_definition_id)
    pulumi.export("requesterRoleName", role.role_name)
    pulumi.export(
        "wildcardPolicyAssignmentIds", {"nsg": guardrails.nsg_assignment_id, "jit": guardrails.jit_assignment_id}
    )
    return role, guardrails


def build_audit(config: StackConfig, net: Network, role: JitRequesterRole) -> JitAuditTrail | None:
    """The audit trail: activity log to Log Analytics, alerts, the decision table, saved searches."""
    if config.audit is None:
        return None
    audit = JitAuditTrail(
        "audit",
        config.audit.args(resource_group_name=net.resource_group.name, requester_role=role.role_definition_guid),
    )
    pulumi.export("auditWorkspaceId", audit.workspace_id)
    pulumi.export("auditQueryNames", audit.query_names)
    pulumi.export("auditDecisionTable", audit.decision_table)
    return audit


def build_approvals(
    config: StackConfig,
    net: Network,
    vms: list[JitProtectedVm],
    policy: JitAccessPolicy,
    role: JitRequesterRole,
    bastion: BastionAccess | None,
    audit: JitAuditTrail | None,
) -> JitApprovalWorkflow | None:
    """The approval workflow: validate, ask an approver, then initiate with its managed identity."""
    if config.approvals is None:
        return None
    approvals = JitApprovalWorkflow(
        "approvals",
        approval_args(
            config.approvals,
            resource_group_name=net.resource_group.name,
            location=config.location,
            allowed_vms=allowed_vms_from_policy(
                policy.caps,
                {vm.settings.vm_name: vm.vm_id for vm in vms},
                config.resource_group_name,
                config.policy.policy_name,
                config.location,
            ),
            requester_role_definition_id=role.role_definition_id,
            bastion_source_prefixes=[bastion.subnet_address_prefix] if bastion else [],
            audit=audit.sink if audit else None,
            tags=config.tags,
        ),
    )
    if audit:
        audit.allow_ingestion("approvals", approvals.principal_id)
    pulumi.export("approvalConnections", approvals.connection_names)
    pulumi.export("approvalWorkflowPrincipalId", approvals.principal_id)
    if approvals.http_trigger_url is not None:
        pulumi.export("approvalRequestUrl", approvals.http_trigger_url)
    return approvals


def export_outputs(
    vms: list[JitProtectedVm],
    policy: JitAccessPolicy,
    defender: DefenderForServers,
    bastion: BastionAccess | None,
    config: StackConfig,
) -> None:
    """Stack outputs: VM ids and addresses, the policy, and each VM's ports and duration caps."""
    names = [vm.settings.vm_name for vm in vms]
    pulumi.export("accessMode", config.access_mode)
    pulumi.export("vmIds", dict(zip(names, [vm.vm_id for vm in vms], strict=True)))
    pulumi.export("vmPrivateIps", dict(zip(names, [vm.private_ip_address for vm in vms], strict=True)))
    pulumi.export("vmPublicIps", {vm.settings.vm_name: vm.public_ip_address for vm in vms if vm.public_ip_address})
    pulumi.export("managementPorts", {vm.settings.vm_name: list(vm.settings.management_ports) for vm in vms})
    pulumi.export("jitPolicyId", policy.policy_id)
    pulumi.export("jitPolicyName", policy.policy_name)
    pulumi.export("jitCaps", policy.caps)
    pulumi.export("defenderPricingId", defender.pricing_id)
    pulumi.export(
        "adminPasswords",
        pulumi.Output.secret({vm.settings.vm_name: vm.admin_password for vm in vms if vm.admin_password is not None}),
    )
    if bastion is not None:
        pulumi.export("bastionHostId", bastion.bastion_host_id)
        pulumi.export("bastionSubnetPrefix", bastion.subnet_address_prefix)


def build_all_in_one() -> None:
    """The all-in-one role (the default, and the `dev` stack): one stack owns everything."""
    config = read_config()
    net = build_network(config)
    bastion = build_bastion(config, net)
    vms = build_vms(config, net)
    defender = build_defender(config)
    policy = build_jit_policy(config, net, vms, defender)
    role, _guardrails = build_access_control(config, net)
    audit = build_audit(config, net, role)
    build_approvals(config, net, vms, policy, role, bastion, audit)
    export_outputs(vms, policy, defender, bastion, config)


# The estate roles (platform, workload) live in their own modules: docs/estate.md.
estate_role = read_role()
if estate_role == PLATFORM:
    build_platform(read_role_config(platform_config_from_stack))
elif estate_role == WORKLOAD:
    build_workload(read_role_config(workload_config_from_stack))
else:
    build_all_in_one()
