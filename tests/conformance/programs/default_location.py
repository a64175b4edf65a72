"""Resources without a location, under azure-native:location config."""

from pulumi_azure_native import network, resources

resources.ResourceGroup("rg")
network.NetworkSecurityGroup("nsg", resource_group_name="rg")
network.SecurityRule(
    "rule",
    resource_group_name="rg",
    network_security_group_name="nsg",
    access="Deny",
    direction="Inbound",
    protocol="*",
    priority=4000,
)
resources.ResourceGroup("pinned", location="northeurope")
