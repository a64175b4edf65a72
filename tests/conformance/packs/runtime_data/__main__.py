"""Reads stack config at import time and the runtime's project, stack and preview flag in a policy."""

import pulumi
from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy

TEAM = pulumi.Config("conformance").require("team")  # at import: needs the stack config in place


def report_runtime(args, report):
    report(
        f"team={TEAM} dry_run={pulumi.runtime.is_dry_run()} project={pulumi.get_project()} "
        f"stack={pulumi.get_stack()} tags={sorted(args.stack_tags.items())}"
    )


PolicyPack(
    name="runtime-data",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[StackValidationPolicy(name="runtime", description="Reports the runtime.", validate=report_runtime)],
)
