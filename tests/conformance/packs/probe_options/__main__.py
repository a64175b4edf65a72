"""Reports, for every resource group, the options and provider a resource policy receives."""

import json

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def probe(args, report):
    if args.resource_type != "azure-native:resources:ResourceGroup":
        return
    opts, provider = args.opts, args.provider
    timeouts = opts.custom_timeouts
    report(
        json.dumps(
            {
                "protect": opts.protect,
                "ignoreChanges": list(opts.ignore_changes),
                "deleteBeforeReplace": opts.delete_before_replace,
                "aliases": list(opts.aliases),
                "additionalSecretOutputs": list(opts.additional_secret_outputs),
                "timeouts": [timeouts.create_seconds, timeouts.update_seconds, timeouts.delete_seconds],
                "parent": opts.parent,
                "provider": provider
                and {"type": provider.resource_type, "name": provider.name, "props": dict(provider.props)},
            },
            sort_keys=True,
        )
    )


PolicyPack(
    name="probe-options",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[ResourceValidationPolicy(name="options", description="o", validate=probe)],
)
