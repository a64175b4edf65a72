"""One resource group through the default provider, one through an explicit provider."""

import pulumi
import pulumi_azure_native as azure_native
from pulumi_azure_native import resources

west = azure_native.Provider("west", location="westus3")
resources.ResourceGroup("by-default")
resources.ResourceGroup("by-explicit", opts=pulumi.ResourceOptions(provider=west))
