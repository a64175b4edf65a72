"""The `azure-jit-guardrails` CrossGuard policies: unsafe JIT configurations fail before they deploy.

Every policy judges raw azure-native resources, not only stacks built from this project's components.
`all_policies()` returns them, optionally with enforcement levels overridden in code, like awsguard:

    PolicyPack("my-pack", policies=all_policies({"all": "advisory", "vm-has-nsg": "mandatory"}))

At deploy time the same overrides (and each policy's config) come from `--policy-pack-config`.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import EnforcementLevel, Policy

from . import (
    approval_mode,
    azure_policy,
    coverage,
    defender,
    identity,
    jit,
    jit_scope,
    load_balancers,
    network,
    other_roads,
    principals,
    stack,
    templates,
    workflow,
    workflow_gaps,
)
from .guard import guarded

PACK_NAME = "azure-jit-guardrails"

_ALL: list[Policy] = [
    *network.POLICIES,
    *jit.POLICIES,
    *defender.POLICIES,
    *identity.POLICIES,
    *azure_policy.POLICIES,
    *workflow.POLICIES,
    *stack.POLICIES,
    *jit_scope.POLICIES,
    # Other roads to an open management port (issue 16).
    *other_roads.POLICIES,
    *load_balancers.POLICIES,
    *templates.POLICIES,
    *principals.POLICIES,
    *workflow_gaps.POLICIES,
    *coverage.POLICIES,
    # Approval mode (issue 15): no human holds initiate where the workflow serves.
    *approval_mode.POLICIES,
]


def policy_names() -> list[str]:
    """The stable names of every policy in the pack, in pack order."""
    return [policy.name for policy in _ALL]


def all_policies(levels: Mapping[str, str | EnforcementLevel] | None = None) -> list[Policy]:
    """Every policy of the pack; `levels` overrides enforcement (`"all"` first, then per policy name).

    Each policy comes wrapped by `guarded()`: a crash on some input becomes a violation naming the policy and
    the resource instead of a traceback.

    Raises ValueError naming the key for an unknown policy name or level, so a typo never silently leaves a
    policy at its default.
    """
    levels = dict(levels or {})
    unknown = sorted(set(levels) - set(policy_names()) - {"all"})
    if unknown:
        raise ValueError(f"levels names unknown policies {', '.join(unknown)}; known: {', '.join(policy_names())}")
    policies: list[Policy] = []
    for policy in _ALL:
        level = levels.get(policy.name, levels.get("all"))
        if level is None:
            policies.append(guarded(policy))
            continue
        try:
            level = level if isinstance(level, EnforcementLevel) else EnforcementLevel(level)
        except ValueError:
            choices = ", ".join(e.value for e in EnforcementLevel)
            raise ValueError(f"levels[{policy.name!r}]: {level!r} is not one of {choices}") from None
        changed = guarded(policy)
        changed.enforcement_level = level
        policies.append(changed)
    return policies
