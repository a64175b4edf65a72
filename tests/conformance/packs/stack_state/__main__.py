"""A stack policy that reads a resource's computed state (a managed identity's principal id)."""

from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy


def identities(args, report):
    for r in args.resources:
        if r.resource_type == "azure-native:managedidentity:UserAssignedIdentity":
            report(f"{r.name} principal {r.props['principalId']}", r.urn)


PolicyPack(
    name="stack-state",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[StackValidationPolicy(name="identities", description="i", validate=identities)],
)
