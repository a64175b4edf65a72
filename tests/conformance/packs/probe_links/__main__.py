"""Reports, for every resource group, the parent, dependencies and property dependencies a stack policy sees."""

import json

from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy


def probe(args, report):
    for r in args.resources:
        if r.resource_type == "azure-native:resources:ResourceGroup":
            report(
                json.dumps(
                    {
                        "name": r.name,
                        "parent": r.parent.resource_type if r.parent else None,
                        "dependencies": sorted(d.name for d in r.dependencies),
                        "propertyDependencies": {
                            k: sorted(d.name for d in v) for k, v in r.property_dependencies.items()
                        },
                    },
                    sort_keys=True,
                ),
                r.urn,
            )


PolicyPack(
    name="probe-links",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[StackValidationPolicy(name="links", description="l", validate=probe)],
)
