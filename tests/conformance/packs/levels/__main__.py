"""Three policies at three enforcement levels, all flagging the resource group named 'bad'."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def flag_bad(args, report):
    if args.resource_type == "azure-native:resources:ResourceGroup" and args.name == "bad":
        report("resource group 'bad' is not allowed")


PolicyPack(
    name="levels",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="must", description="m", validate=flag_bad, enforcement_level=EnforcementLevel.MANDATORY
        ),
        ResourceValidationPolicy(name="should", description="a", validate=flag_bad),
        ResourceValidationPolicy(
            name="off", description="d", validate=flag_bad, enforcement_level=EnforcementLevel.DISABLED
        ),
    ],
)
