"""A remediate-level policy that adds a managed-by tag to every resource group."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def add_tag(args):
    if args.resource_type != "azure-native:resources:ResourceGroup":
        return None
    props = dict(args.props)
    props["tags"] = {**(props.get("tags") or {}), "managed-by": "policy"}
    return props


def check_tag(args, report):
    if args.resource_type == "azure-native:resources:ResourceGroup":
        if (args.props.get("tags") or {}).get("managed-by") != "policy":
            report("missing managed-by tag")


PolicyPack(
    name="remediation",
    enforcement_level=EnforcementLevel.REMEDIATE,
    policies=[ResourceValidationPolicy(name="managed-by", description="t", remediate=add_tag, validate=check_tag)],
)
