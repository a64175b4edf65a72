"""The `azure-jit-guardrails` CrossGuard policies: unsafe JIT configurations fail before they deploy.

Every policy judges raw azure-native resources, not only stacks built from this project's components.
`all_policies()` returns them, optionally with enforcement levels overridden in code, like awsguard:

    PolicyPack("my-pack", policies=all_policies({"all": "advisory", "vm-has-nsg": "mandatory"}))

At deploy time the same overrides (and each policy's config) come from `--policy-pack-config`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from pulumi_policy import EnforcementLevel, Policy

from . import approval_mode, defender, identity, jit, network, stack, workflow

PACK_NAME = "azure-jit-guardrails"

_ALL = [*network.POLICIES, *jit.POLICIES, *defender.POLICIES, *identity.POLICIES, *workflow.POLICIES, *stack.POLICIES]
_ALL += approval_mode.POLICIES


def policy_names() -> list[str]:
    """The stable names of every policy in the pack, in pack order."""
    return [policy.name for policy in _ALL]


def all_policies(levels: Mapping[str, str | EnforcementLevel] | None = None) -> list[Policy]:
    """Every policy of the pack; `levels` overrides enforcement (`"all"` first, then per policy name).

    Raises ValueError naming the key for an unknown policy name or level, so a typo never silently leaves a
    policy at its default.
    """
    levels = dict(levels or {})
    unknown = sorted(set(levels) - set(policy_names()) - {"all"})
    if unknown:
        raise ValueError(f"levels names unknown policies {', '.join(unknown)}; known: {', '.join(policy_names())}")
    policies = []
    for policy in _ALL:
        level = levels.get(policy.name, levels.get("all"))
        if level is None:
            policies.append(policy)
            continue
        try:
            level = level if isinstance(level, EnforcementLevel) else EnforcementLevel(level)
        except ValueError:
            choices = ", ".join(e.value for e in EnforcementLevel)
            raise ValueError(f"levels[{policy.name!r}]: {level!r} is not one of {choices}") from None
        changed = copy.copy(policy)
        changed.enforcement_level = level
        policies.append(changed)
    return policies
