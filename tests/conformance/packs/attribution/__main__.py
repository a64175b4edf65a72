"""Violations naming another resource's URN, a resource URN from a stack policy, and none."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy


def resource_policy(args, report):
    if args.name == "first":
        report(
            "reported while analyzing first, naming the stack",
            "urn:pulumi:test::conformance::pulumi:pulumi:Stack::conformance-test",
        )


def stack_policy(args, report):
    second = next(r for r in args.resources if r.name == "second")
    report("about second", second.urn)
    report("about the whole stack")


PolicyPack(
    name="attribution",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(name="resource-level", description="r", validate=resource_policy),
        StackValidationPolicy(name="stack-level", description="s", validate=stack_policy),
    ],
)
