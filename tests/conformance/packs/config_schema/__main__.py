"""A policy whose limit comes from its config schema, the pack's initial config and the user's file."""

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, PolicyPack, ResourceValidationPolicy


def max_tags(args, report):
    limit = args.get_config()["maxTags"]
    tags = args.props.get("tags") or {}
    if len(tags) > limit:
        report(f"{len(tags)} tags, limit {limit}")


PolicyPack(
    name="config-schema",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(
            name="max-tags",
            description="At most maxTags tags.",
            validate=max_tags,
            config_schema=PolicyConfigSchema(properties={"maxTags": {"type": "integer", "default": 0}}),
        )
    ],
    initial_config={"max-tags": {"maxTags": 1}},
)
