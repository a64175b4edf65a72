"""A storage account with a user-assigned managed identity."""

import pulumi
from pulumi_azure_native import managedidentity, storage

identity = managedidentity.UserAssignedIdentity("app-id", resource_group_name="rg-app")
account = storage.StorageAccount(
    "appdata",
    resource_group_name="rg-app",
    kind="StorageV2",
    sku=storage.SkuArgs(name="Standard_LRS"),
    identity=storage.IdentityArgs(type="UserAssigned", user_assigned_identities=[identity.id]),
)
pulumi.export("principalId", identity.principal_id)
pulumi.export("assigned", account.identity.apply(lambda i: sorted(i.user_assigned_identities)))
