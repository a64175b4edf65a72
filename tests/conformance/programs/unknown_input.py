"""A resource group whose tag is an output known only after apply."""

from pulumi_azure_native import resources, storage

account = storage.StorageAccount(
    "site", resource_group_name="rg", kind="StorageV2", sku=storage.SkuArgs(name="Standard_LRS")
)
resources.ResourceGroup("tagged", tags={"endpoint": account.primary_endpoints.web, "team": "web"})
