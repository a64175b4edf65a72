"""Reads the first storage account key from the listKeys invoke."""

import pulumi
from pulumi_azure_native import storage

keys = storage.list_storage_account_keys(resource_group_name="rg-data", account_name="datastore")
pulumi.export("keyNames", [key.key_name for key in keys.keys])
pulumi.export("firstKeyLength", len(keys.keys[0].value))
