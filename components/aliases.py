"""Dropping the API-version type aliases azure-native adds to every resource.

Each azure-native resource carries dozens of aliases such as `azure-native:network/v20230501:SecurityRule`
so that stacks created with versioned type tokens keep working. The Python SDK resolves every alias into a
URN while the resource is constructed, which costs tens of milliseconds per resource (pulumi/pulumi#10010)
and dominates large stacks. Stacks created from these components never used versioned tokens, so the
components strip those aliases from the children they create. A stack that was created with versioned
tokens (migrated from older code) sets `keep_api_version_aliases=True` to keep them.

Only aliases that are exactly "the child's own type, at some API version" are dropped: any alias with a
name, parent, stack or project, or with another type, is the caller's and is kept.
"""

from __future__ import annotations

import copy
import re

import pulumi

_API_VERSION = re.compile(r"v[0-9a-z]+")


def is_api_version_alias(alias: object, type_: str) -> bool:
    """True for an SDK-generated alias: only a `type_` that is `type_` at some API version."""
    if not isinstance(alias, pulumi.Alias) or not isinstance(alias.type_, str):
        return False
    if alias.name is not ... or alias.parent is not ... or alias.stack is not ... or alias.project is not ...:
        return False
    package, _, rest = type_.partition(":")
    module, _, name = rest.partition(":")
    prefix, suffix = f"{package}:{module}/", f":{name}"
    # Plain string tests first: this runs for every alias of every child (60 per azure-native resource).
    aliased = alias.type_
    if package != "azure-native" or not (aliased.startswith(prefix) and aliased.endswith(suffix)):
        return False
    return _API_VERSION.fullmatch(aliased[len(prefix) : len(aliased) - len(suffix)]) is not None


def drop_api_version_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """A resource transformation that removes SDK-generated API-version aliases, keeping all others."""
    aliases = args.opts.aliases
    if not aliases:
        return None
    kept = [alias for alias in aliases if not is_api_version_alias(alias, args.type_)]
    if len(kept) == len(aliases):
        return None
    opts = copy.copy(args.opts)
    opts.aliases = kept
    return pulumi.ResourceTransformationResult(args.props, opts)


def with_alias_pruning(
    opts: pulumi.ResourceOptions | None, keep_api_version_aliases: bool = False
) -> pulumi.ResourceOptions:
    """Component options whose children drop API-version aliases (unless asked to keep them).

    Transformations of a component are inherited by every resource parented to it, and run before the SDK
    resolves aliases, which is where the time goes.
    """
    opts = opts or pulumi.ResourceOptions()
    if keep_api_version_aliases:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[drop_api_version_aliases]))
