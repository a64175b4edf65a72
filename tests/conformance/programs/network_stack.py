"""A network stack that exports its subnet's id."""

import pulumi
from pulumi_azure_native import network

vnet = network.VirtualNetwork(
    "hub", resource_group_name="rg-net", address_space=network.AddressSpaceArgs(address_prefixes=["10.0.0.0/16"])
)
subnet = network.Subnet(
    "app", resource_group_name="rg-net", virtual_network_name=vnet.name, address_prefix="10.0.1.0/24"
)
pulumi.export("subnetId", subnet.id)
