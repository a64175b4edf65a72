"""A mandatory policy that reads a tag whose value is unknown during preview."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def endpoint_tag(args, report):
    if args.resource_type == "azure-native:resources:ResourceGroup":
        if not str(args.props["tags"]["endpoint"]).startswith("https://"):
            report("endpoint tag must be https")


PolicyPack(
    name="unknowns",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[ResourceValidationPolicy(name="endpoint-https", description="e", validate=endpoint_tag)],
)
