"""Resources built at known lines, one inside a component."""

import pulumi
from pulumi_azure_native import resources


class Box(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("conformance:index:Box", name)
        resources.ResourceGroup(f"{name}-rg", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


resources.ResourceGroup("top")
Box("box")
