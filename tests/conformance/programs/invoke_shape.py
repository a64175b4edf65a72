"""Looks up an existing virtual network by name."""

import pulumi
from pulumi_azure_native import network

vnet = network.get_virtual_network_output(resource_group_name="rg-net", virtual_network_name="hub")
pulumi.export("id", vnet.id)
pulumi.export("name", vnet.name)
pulumi.export("addressSpace", vnet.address_space)
