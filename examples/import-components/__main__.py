"""Two JIT-protected VMs in a team's own stack, built from the azure-jit-access package."""

import pulumi
from pulumi_azure_native import network, resources

from azure_jit_access import (
    DefenderForServers,
    JitAccessPolicy,
    JitAccessPolicyArgs,
    JitProtectedVm,
    JitProtectedVmArgs,
)
from components import resource_name

config = pulumi.Config()
team = config.require("team")
location = pulumi.Config("azure-native").require("location")

group = resources.ResourceGroup("rg", resource_group_name=resource_name("rg", team), location=location)
vnet = network.VirtualNetwork(
    "vnet",
    resource_group_name=group.name,
    location=location,
    virtual_network_name=resource_name("vnet", team),
    address_space=network.AddressSpaceArgs(address_prefixes=["10.42.0.0/16"]),
)
subnet = network.Subnet(
    "app",
    resource_group_name=group.name,
    virtual_network_name=vnet.name,
    subnet_name="app",
    address_prefix="10.42.1.0/24",
)

vms = [
    JitProtectedVm(
        resource_name("vm", team, index),
        JitProtectedVmArgs(
            resource_group_name=group.name,
            subnet_id=subnet.id,
            location=location,
            os_type="linux",
            ssh_public_key=config.require("sshPublicKey"),
            public_ip=True,
            tags={"team": team},
        ),
    )
    for index in (1, 2)
]
defender = DefenderForServers("defender")
policy = JitAccessPolicy(
    "jit",
    JitAccessPolicyArgs(
        resource_group_name=group.name,
        location=location,
        virtual_machines=vms,
        allowed_source_address_prefixes=config.require_object("allowedSources"),
        max_request_access_duration=config.require("maxDuration"),
        defender=defender,
    ),
)

pulumi.export("vmIds", [vm.vm_id for vm in vms])
pulumi.export("jitPolicyId", policy.policy_id)
