"""Violations grouped for a reviewer: one row per policy and resource, the instances listed once each, the
fix in its own column from the policy's remediation metadata, and a link to the policy's docs.

pulumi-policy's analyzer prefixes every message with the policy's description; the description is said once
(as the fix when the policy has no `remediation_steps`), and each instance keeps only its own text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azure_jit_access.cli.preview.model import Violation

LEVEL_RANK = {"mandatory": 0, "advisory": 1}


@dataclass
class PolicyDoc:
    """What a policy says about itself: description, remediation steps and docs URL (when it has them)."""

    description: str = ""
    remediation: str | None = None
    url: str | None = None


@dataclass
class ViolationGroup:
    """Every violation of one policy on one resource (or on the stack)."""

    pack: str
    policy: str
    enforcement: str
    urn: str | None
    instances: list[str] = field(default_factory=list)
    fix: str = ""
    url: str | None = None


def policy_docs(packs: list[Any]) -> dict[str, PolicyDoc]:
    """`pack/policy` -> its docs, from loaded packs' pulumi_policy Policy objects."""
    docs = {}
    for pack in packs:
        for policy in getattr(pack, "policies", []) or []:
            docs[f"{pack.name}/{policy.name}"] = PolicyDoc(
                description=str(getattr(policy, "description", "") or ""),
                remediation=getattr(policy, "remediation_steps", None) or None,
                url=getattr(policy, "url", None) or None,
            )
    return docs


def _instance(message: str, description: str) -> str:
    if description and message.startswith(description):
        rest = message[len(description) :].strip()
        return rest or description
    return message.strip()


def group_violations(violations: list[Violation], docs: dict[str, PolicyDoc]) -> list[ViolationGroup]:
    """Mandatory first, then by policy and resource; instances in a stable order, duplicates said once."""
    groups: dict[tuple[str, str, str, str], ViolationGroup] = {}
    for v in violations:
        doc = docs.get(f"{v.pack}/{v.policy}") or PolicyDoc(description=_guess_description(v, violations))
        key = (v.enforcement, v.pack, v.policy, v.urn or "")
        group = groups.get(key)
        if group is None:
            group = groups[key] = ViolationGroup(
                v.pack, v.policy, v.enforcement, v.urn, fix=doc.remediation or doc.description, url=doc.url
            )
        text = _instance(v.message, doc.description)
        if text not in group.instances:
            group.instances.append(text)
    for group in groups.values():
        group.instances.sort()
    return sorted(groups.values(), key=lambda g: (LEVEL_RANK.get(g.enforcement, 2), g.pack, g.policy, g.urn or ""))


def _guess_description(violation: Violation, violations: list[Violation]) -> str:
    """Without the pack's metadata: the first line every message of this policy shares, if any."""
    firsts = {
        v.message.split("\n", 1)[0] for v in violations if (v.pack, v.policy) == (violation.pack, violation.policy)
    }
    first = violation.message.split("\n", 1)[0]
    return first if len(firsts) == 1 and "\n" in violation.message else ""
