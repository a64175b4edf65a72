"""Defender for Servers: Plan 2 (which JIT needs) and a subscription plan that `pulumi destroy` cannot drop.

Why `protect` and not `retainOnDelete`: CrossGuard's analyzer protocol (`AnalyzerResourceOptions`:
protect, ignoreChanges, deleteBeforeReplace, additionalSecretOutputs, aliases, customTimeouts, parent)
does not carry `retainOnDelete`, so no policy, in `pulumi preview` or offline, can see it. `protect` is
the one option a policy can verify, and it is the stricter one: `pulumi destroy` stops until someone
deliberately unprotects the plan, instead of a DELETE that Azure refuses at subscription scope anyway
(azapi#818) or a silent downgrade of the whole subscription.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .docs import policy_url
from .props import arm_id_parts, is_type, is_unknown, plain, raise_if_unverified, settings, text

PRICING_TYPE = "azure-native:security:Pricing"


def _pricing_name(props: Mapping[str, Any], logical_name: str) -> str:
    return text(props.get("pricingName")) or text(props.get("name")) or logical_name


def plan_problems(props: Mapping[str, Any], require_enforce: bool = False) -> tuple[list[str], list[str]]:
    """(problems, unknown fields) of a VirtualMachines pricing against Standard / P2."""
    problems: list[str] = []
    unknown: list[str] = []
    checks = [("pricingTier", "Standard"), ("subPlan", "P2")] + ([("enforce", "True")] if require_enforce else [])
    for key, wanted in checks:
        value = props.get(key)
        if is_unknown(value):
            unknown.append(key)
        elif not isinstance(value, str) or value.strip().lower() != wanted.lower():
            shown = "not set" if value is None else f"'{value}'"
            problems.append(f"{key} is {shown}, expected '{wanted}'")
    return problems, unknown


def check_servers_plan_2(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `defender-servers-plan-2`."""
    if not is_type(args.resource_type, PRICING_TYPE):
        args.not_applicable("not a Defender for Cloud pricing")
    props = plain(args.props)
    name = props.get("pricingName")
    if is_unknown(name):
        raise_if_unverified(["pricingName"])
    if _pricing_name(props, args.name).lower() != "virtualmachines":
        return
    config = settings(args.get_config(), {"requireEnforce": False})
    problems, unknown = plan_problems(props, bool(config["requireEnforce"]))
    if problems:
        report_violation(
            f"Defender pricing 'VirtualMachines' at {text(props.get('scopeId')) or 'its scope'}: "
            f"{'; '.join(problems)}. JIT VM access is a Defender for Servers Plan 2 feature.",
            None,
        )
    raise_if_unverified(unknown, bool(problems))


def is_subscription_scope(scope_id: Any) -> bool | None:
    """True for `/subscriptions/<id>`, False for anything narrower; None when unknown. Missing fails closed."""
    if is_unknown(scope_id):
        return None
    if not isinstance(scope_id, str) or not scope_id.strip():
        return True
    parts = arm_id_parts(scope_id)
    return set(parts) == {"subscriptions"}


def check_pricing_retained(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `defender-pricing-retained`."""
    if not is_type(args.resource_type, PRICING_TYPE):
        args.not_applicable("not a Defender for Cloud pricing")
    props = plain(args.props)
    subscription_wide = is_subscription_scope(props.get("scopeId"))
    if subscription_wide is None:
        raise_if_unverified(["scopeId"])
    if not subscription_wide or getattr(args.opts, "protect", False):
        return
    report_violation(
        f"Defender pricing '{_pricing_name(props, args.name)}' at subscription scope "
        f"{text(props.get('scopeId')) or '(scopeId not set)'} is not protected. Deleting it would downgrade every "
        "server in the subscription (and Azure rejects DELETE at subscription scope).",
        None,
    )


defender_servers_plan_2 = ResourceValidationPolicy(
    name="defender-servers-plan-2",
    description="The Defender for Cloud pricing for VirtualMachines must be Standard with sub-plan P2 "
    "(JIT needs Defender for Servers Plan 2).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_servers_plan_2,
    severity=Severity.HIGH,
    remediation_steps="Set pricing_tier='Standard' and sub_plan='P2' on the VirtualMachines pricing (and "
    "enforce='True' when this policy's requireEnforce is set).",
    url=policy_url("defender-servers-plan-2"),
    config_schema=PolicyConfigSchema(
        properties={
            "requireEnforce": {
                "type": "boolean",
                "default": False,
                "description": "Also require enforce='True', so resources below the subscription cannot opt out.",
            }
        }
    ),
)

defender_pricing_retained = ResourceValidationPolicy(
    name="defender-pricing-retained",
    description="A subscription-scoped Defender pricing must be protected, so `pulumi destroy` never tries to "
    "drop the plan for the whole subscription.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_pricing_retained,
    severity=Severity.MEDIUM,
    remediation_steps="Set `opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True)` (the "
    "DefenderForServers component does): CrossGuard cannot see retain_on_delete, so protect is what this policy "
    "checks.",
    url=policy_url("defender-pricing-retained"),
)

POLICIES = [defender_servers_plan_2, defender_pricing_retained]
