"""Sets every resource option a preview records."""

import pulumi
from pulumi_azure_native import resources

first = resources.ResourceGroup("first")
anchor = resources.ResourceGroup("anchor")
resources.ResourceGroup(
    "second",
    tags={"from": first.name},
    opts=pulumi.ResourceOptions(
        protect=True,
        retain_on_delete=True,
        ignore_changes=["tags"],
        depends_on=[anchor],
        delete_before_replace=True,
        custom_timeouts=pulumi.CustomTimeouts(create="5m", delete="1h"),
        additional_secret_outputs=["location"],
        aliases=[pulumi.Alias(name="old-second")],
    ),
)
