"""Two resource groups, one named 'bad', with two tags each."""

from pulumi_azure_native import resources

resources.ResourceGroup("bad", tags={"a": "1", "b": "2"})
resources.ResourceGroup("good", tags={"a": "1", "b": "2"})
