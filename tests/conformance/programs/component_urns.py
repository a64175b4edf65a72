"""A component inside a component: URNs carry the whole parent type chain."""

import pulumi
from pulumi_azure_native import resources


class Outer(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("conformance:index:Outer", name)
        Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class Inner(pulumi.ComponentResource):
    def __init__(self, name, opts):
        super().__init__("conformance:index:Inner", name, None, opts)
        resources.ResourceGroup(f"{name}-rg", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


Outer("outer")
