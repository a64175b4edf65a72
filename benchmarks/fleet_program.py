"""The fleet the benchmark previews: what a platform team enabling JIT across many VMs would write."""

from __future__ import annotations

import base64

from pulumi_azure_native import network, resources

from components.defender import DefenderForServers, DefenderForServersArgs
from components.jit_policy import JitAccessPolicy, JitAccessPolicyArgs
from components.vm import JitProtectedVm, JitProtectedVmArgs

LOCATION = "westeurope"
SSH_KEY = "ssh-ed25519 " + base64.b64encode(
    b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode() + " bench@fleet"


def build(vms: int, per_group: int, keep_aliases: bool = False) -> None:
    """N Linux VMs in groups of `per_group`: each group with a VNet, a subnet and one JIT policy."""
    defender = DefenderForServers("defender", DefenderForServersArgs(
        subscription_id="00000000-0000-4000-8000-000000000001", keep_api_version_aliases=keep_aliases))
    groups = (vms + per_group - 1) // per_group
    for g in range(groups):
        rg_name = f"rg-fleet-{g:03d}"
        group = resources.ResourceGroup(f"rg-{g:03d}", resource_group_name=rg_name, location=LOCATION)
        vnet = network.VirtualNetwork(f"vnet-{g:03d}", resource_group_name=group.name, location=LOCATION,
                                      address_space=network.AddressSpaceArgs(address_prefixes=["10.0.0.0/16"]))
        subnet = network.Subnet(f"snet-{g:03d}", resource_group_name=group.name, virtual_network_name=vnet.name,
                                subnet_name="workload", address_prefix="10.0.0.0/20")
        members = []
        for i in range(min(per_group, vms - g * per_group)):
            members.append(JitProtectedVm(f"vm-{g:03d}-{i:03d}", JitProtectedVmArgs(
                resource_group_name=group.name, subnet_id=subnet.id, os_type="linux", ssh_public_key=SSH_KEY,
                location=LOCATION, keep_api_version_aliases=keep_aliases)))
        JitAccessPolicy(f"jit-{g:03d}", JitAccessPolicyArgs(
            resource_group_name=group.name, location=LOCATION, virtual_machines=members,
            allowed_source_address_prefixes=["203.0.113.0/28"], defender=defender,
            keep_api_version_aliases=keep_aliases))
