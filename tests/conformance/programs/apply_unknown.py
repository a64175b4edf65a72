"""Applies a callback to an output no engine models (a storage account's web endpoint)."""

import pulumi
from pulumi_azure_native import resources, storage

rg = resources.ResourceGroup("rg", resource_group_name="rg-web")
account = storage.StorageAccount(
    "site", resource_group_name=rg.name, kind="StorageV2", sku=storage.SkuArgs(name="Standard_LRS")
)
pulumi.export("web", account.primary_endpoints.apply(lambda endpoints: endpoints.web.rstrip("/")))
pulumi.export("rgId", rg.id)
pulumi.export("accountName", account.name)
