"""A resource transform in ResourceOptions(transforms=...) adds a tag; a parent's transform reaches children."""

import pulumi
from pulumi_azure_native import resources


def tag(owner):
    def transform(args: pulumi.ResourceTransformArgs):
        if args.type_ != "azure-native:resources:ResourceGroup":
            return None
        props = dict(args.props)
        props["tags"] = {**(props.get("tags") or {}), "owner": owner}
        return pulumi.ResourceTransformResult(props, args.opts)

    return transform


class Group(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("conformance:index:Group", name, None, opts)
        resources.ResourceGroup(f"{name}-child", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


resources.ResourceGroup("own", opts=pulumi.ResourceOptions(transforms=[tag("own")]))
Group("group", opts=pulumi.ResourceOptions(transforms=[tag("parent")]))
resources.ResourceGroup("plain")
