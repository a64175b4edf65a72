"""`DefenderForServers`: Microsoft Defender for Servers Plan 2 on a subscription, which JIT requires."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import authorization, security

from azure_jit_access import type_tokens, validation
from azure_jit_access.aliases import with_alias_pruning


@dataclass
class DefenderExtension:
    """One extension of the VirtualMachines plan, e.g. `AgentlessVmScanning` or `FileIntegrityMonitoring` (P2)."""

    name: str
    """Extension name as Azure spells it (see the `security.ExtensionArgs` docs for the list)."""
    enabled: bool = True
    """Turn it on (`True`) or explicitly off (`False`)."""
    properties: Mapping[str, Any] | None = None
    """`additionalExtensionProperties`, for extensions that take settings."""


@dataclass
class DefenderForServersArgs:
    """Arguments of `DefenderForServers`."""

    subscription_id: str | None = None
    """Subscription GUID; defaults to the provider's subscription (`authorization.get_client_config`)."""
    extensions: Sequence[DefenderExtension | str] = ()
    """Plan extensions; a plain string means enabled."""
    enforce: bool = True
    """Forbid resource-level overrides below the subscription (a VM downgraded to P1 would lose JIT)."""
    retain_on_delete: bool = True
    """Leave the plan on at `pulumi destroy` (see the class docstring for why)."""
    protect: bool = True
    """Refuse to delete or replace the plan until someone runs `pulumi state unprotect` on purpose. The guardrail
    pack's `defender-pricing-retained` policy checks this, because CrossGuard cannot see `retain_on_delete`."""
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases (only for stacks created with versioned type tokens)."""


def resolve_extensions(extensions: Sequence[DefenderExtension | str]) -> list[DefenderExtension]:
    """Validate the extension list: names present and unique. Creates nothing."""
    if isinstance(extensions, str):
        raise ValueError("extensions: expected a list of extension names, e.g. ['AgentlessVmScanning']")
    resolved: list[DefenderExtension] = []
    for index, item in enumerate(extensions):
        extension = DefenderExtension(item) if isinstance(item, str) else item
        if (
            not isinstance(extension, DefenderExtension)
            or not isinstance(extension.name, str)
            or not extension.name.strip()
        ):
            raise ValueError(f"extensions[{index}]: {item!r} is not an extension name such as 'AgentlessVmScanning'")
        if any(e.name.lower() == extension.name.strip().lower() for e in resolved):
            raise ValueError(f"extensions[{index}]: '{extension.name}' is listed twice")
        resolved.append(DefenderExtension(extension.name.strip(), bool(extension.enabled), extension.properties))
    return resolved


class DefenderForServers(pulumi.ComponentResource):
    """Defender for Servers Plan 2 (`security.Pricing` VirtualMachines / Standard / P2) on a subscription.

    JIT VM access only works on subscriptions with Plan 2, and P2 cannot be enabled per resource, so this
    is subscription-wide: one instance per subscription, usually in a platform stack. `enforce` stops
    resource-level overrides from silently dropping a VM to a plan without JIT.

    Why `retain_on_delete=True` by default: the plan belongs to the whole subscription, not to this stack;
    `pulumi destroy` must not downgrade every other workload, and Azure refuses DELETE on a
    subscription-scope pricing anyway (400 "supported only for single resources scope",
    Azure/terraform-provider-azapi#818). `protect=True` (default) makes the intent visible to policy checks and
    stops a destroy or replacement until the plan is unprotected deliberately (`pulumi state unprotect`). To
    turn the plan off, set the tier to Free on purpose, not as a side effect of tearing down a stack.

    Example:
        defender = DefenderForServers("defender", DefenderForServersArgs(extensions=["AgentlessVmScanning"]))
        JitAccessPolicy("jit", JitAccessPolicyArgs(..., defender=defender))
    """

    pricing: security.Pricing
    pricing_id: pulumi.Output[str]
    scope_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: DefenderForServersArgs | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = args or DefenderForServersArgs()
        subscription = validation.validate_subscription_id(args.subscription_id) if args.subscription_id else None
        extensions = resolve_extensions(args.extensions)
        super().__init__(
            type_tokens.DEFENDER_FOR_SERVERS,
            name,
            None,
            with_alias_pruning(opts, args.keep_api_version_aliases),
        )
        if subscription:
            scope_id = pulumi.Output.from_input(f"/subscriptions/{subscription}")
        else:
            scope_id = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).apply(
                lambda config: f"/subscriptions/{config.subscription_id}"
            )
        self.pricing = security.Pricing(
            f"{name}-servers-p2",
            pricing_name="VirtualMachines",
            pricing_tier=security.PricingTier.STANDARD,
            sub_plan="P2",
            enforce=security.Enforce.TRUE if args.enforce else security.Enforce.FALSE,
            scope_id=scope_id,
            extensions=[
                security.ExtensionArgs(
                    name=e.name,
                    is_enabled="True" if e.enabled else "False",
                    additional_extension_properties=dict(e.properties) if e.properties else None,
                )
                for e in extensions
            ]
            or None,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_on_delete, protect=args.protect),
        )
        self.pricing_id = self.pricing.id
        self.scope_id = scope_id
        self.register_outputs({"pricing_id": self.pricing_id, "scope_id": self.scope_id})
