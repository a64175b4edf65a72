"""Run the pack's policies on plain props in-process, as pulumi-policy's analyzer would (like `click.testing`).

For property tests and benchmarks that need thousands of evaluations: no gRPC, no protobuf, no engine. Each
policy gets its schema defaults as config and its default enforcement level; unknown values go through
pulumi-policy's own unknown-checking proxy, an "unknown" outcome becomes an advisory note and "not
applicable" is skipped, exactly like `_PolicyAnalyzerServicer`. The `jit preview` engine and `pulumi
preview` remain the reference; this is the short path to the same validate functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy


@dataclass(frozen=True)
class Finding:
    """One violation: the policy, its level (`mandatory`/`advisory`), the URN (None for a stack-wide one), text."""

    policy: str
    level: str
    urn: str | None
    message: str


@dataclass
class SyntheticResource:
    """A resource to judge: type token, logical name and props in camelCase wire form."""

    type: str
    name: str
    props: dict[str, Any]
    depends_on: list[str] = field(default_factory=list)
    protect: bool = False

    @property
    def urn(self) -> str:
        return f"urn:pulumi:test::guardrails::{self.type}::{self.name}"


def _defaults(policy: Policy) -> dict[str, Any]:
    schema = policy.config_schema
    properties = schema.properties if schema is not None else {}
    return {key: spec["default"] for key, spec in properties.items() if "default" in spec}


def _options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _level(policy: Policy) -> str:
    # A policy without its own level takes the pack's, which `policies/__main__.py` sets to mandatory.
    return policy.enforcement_level.value if policy.enforcement_level else "mandatory"


def _run(policy: Policy, call: Any, urn: str | None, found: list[Finding]) -> None:
    level = _level(policy)

    def report(message: str, where: str | None = None) -> None:
        found.append(Finding(policy.name, level, where or urn, message))

    try:
        call(report)
    except UnknownValueError as err:
        found.append(Finding(policy.name, "advisory", None, f"can't run policy '{policy.name}': {err.message}"))
    except _NotApplicableError:
        pass


def judge_resource(policies: Iterable[Policy], resource: SyntheticResource) -> list[Finding]:
    """Every resource policy's findings on one resource."""
    found: list[Finding] = []
    for policy in policies:
        if isinstance(policy, ResourceValidationPolicy) and _level(policy) != "disabled":
            args = ResourceValidationArgs(
                resource.type,
                unknown_checking_proxy(dict(resource.props)),
                resource.urn,
                resource.name,
                _options(resource.protect),
                None,
                _defaults(policy),
            )
            _run(policy, lambda report, p=policy, a=args: p.validate(a, report), resource.urn, found)
    return found


def stack_resources(resources: Sequence[SyntheticResource]) -> list[PolicyResource]:
    """The resources as stack policies see them, dependencies linked by URN."""
    built = {
        r.urn: PolicyResource(
            r.type, unknown_checking_proxy(dict(r.props)), r.urn, r.name, _options(), None, None, [], {}
        )
        for r in resources
    }
    for r in resources:
        built[r.urn].dependencies.extend(built[d] for d in r.depends_on if d in built)
    return list(built.values())


def judge_stack(
    policies: Iterable[Policy], resources: Sequence[SyntheticResource] | list[PolicyResource]
) -> list[Finding]:
    """Every stack policy's findings on the resources (pass `stack_resources(...)` to reuse them)."""
    built = [r for r in resources if isinstance(r, PolicyResource)]
    if len(built) != len(resources):
        built = stack_resources([r for r in resources if isinstance(r, SyntheticResource)])
    found: list[Finding] = []
    for policy in policies:
        if isinstance(policy, StackValidationPolicy) and _level(policy) != "disabled":
            args = StackValidationArgs(built, _defaults(policy))
            _run(policy, lambda report, p=policy, a=args: p.validate(a, report), None, found)
    return found


def judge_all(policies: Sequence[Policy], resources: Sequence[SyntheticResource]) -> list[Finding]:
    """Resource policies on each resource, then stack policies once: what `jit preview` evaluates."""
    found: list[Finding] = []
    for resource in resources:
        found += judge_resource(policies, resource)
    return found + judge_stack(policies, resources)


def by_policy(findings: Iterable[Finding]) -> Mapping[str, list[Finding]]:
    """Findings grouped by policy name."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.policy, []).append(finding)
    return grouped
