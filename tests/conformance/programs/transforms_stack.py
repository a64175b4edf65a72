"""A stack transform protects every resource group; an invoke transform rewrites an invoke's argument."""

import pulumi
from pulumi_azure_native import network, resources


def protect(args: pulumi.ResourceTransformArgs):
    if args.type_ == "azure-native:resources:ResourceGroup":
        return pulumi.ResourceTransformResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=True))
        )
    return None


def hub(args: pulumi.InvokeTransformArgs):
    if args.token == "azure-native:network:getVirtualNetwork":
        return pulumi.InvokeTransformResult({**args.args, "virtualNetworkName": "hub"}, args.opts)
    return None


pulumi.runtime.register_resource_transform(protect)
pulumi.runtime.register_invoke_transform(hub)
resources.ResourceGroup("rg")
vnet = network.get_virtual_network_output(resource_group_name="rg-net", virtual_network_name="spoke")
pulumi.export("vnetName", vnet.name)
