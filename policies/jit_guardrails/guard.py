"""Fail closed: a policy that crashes reports a violation naming itself and the resource, never a traceback.

pulumi-policy lets every exception other than "unknown value" and "not applicable" escape its analyzer: the
real `pulumi preview` then stops with a traceback that names neither the policy nor the resource, and a
pack-wide crash hides every other policy's verdict. `guarded()` is applied once, to every policy that
`all_policies()` returns, so no policy has to remember it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from pulumi_policy import (
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError

P = TypeVar("P", bound=Policy)

# pulumi-policy's own control flow: "could not decide during preview" and "does not apply here".
_PASS_THROUGH = (UnknownValueError, _NotApplicableError)


def crash_message(policy_name: str, subject: str, err: BaseException) -> str:
    """The violation reported instead of a crash: which policy, which resource, what failed, what to do."""
    detail = str(err).strip().splitlines()[0][:200] if str(err).strip() else "no message"
    return (
        f"Policy '{policy_name}' failed while judging {subject} ({type(err).__name__}: {detail}), so it could not "
        "decide whether the resource is safe. The pack fails closed: treat this as a violation until the input "
        "is corrected or the pack is fixed (please report it with the resource's props)."
    )


def _resource_at_crash(trace: TracebackType | None) -> tuple[str, str] | None:
    """(name, URN) of the stack resource a stack policy was looking at when it crashed (its innermost
    `resource` local), if any: the policies loop over `args.resources` with that name."""
    found = None
    while trace is not None:
        resource = trace.tb_frame.f_locals.get("resource")
        urn, name = getattr(resource, "urn", None), getattr(resource, "name", None)
        if isinstance(urn, str) and isinstance(name, str):
            found = (name, urn)
        trace = trace.tb_next
    return found


def guarded(policy: P) -> P:
    """A copy of the policy whose validation reports any crash as a violation of that policy."""
    validate: Callable[..., Any] = policy.validate  # type: ignore[attr-defined]
    changed = copy.copy(policy)
    if isinstance(policy, ResourceValidationPolicy):

        def validate_resource(args: ResourceValidationArgs, report_violation: ReportViolation) -> Any:
            try:
                return validate(args, report_violation)
            except _PASS_THROUGH:
                raise
            except Exception as err:  # noqa: BLE001 - any crash becomes a violation: fail closed
                report_violation(crash_message(policy.name, f"resource '{args.name}' ({args.urn})", err), None)
                return None

        changed.validate = validate_resource  # type: ignore[attr-defined]
    elif isinstance(policy, StackValidationPolicy):

        def validate_stack(args: StackValidationArgs, report_violation: ReportViolation) -> Any:
            try:
                return validate(args, report_violation)
            except _PASS_THROUGH:
                raise
            except Exception as err:  # noqa: BLE001 - any crash becomes a violation: fail closed
                resource = _resource_at_crash(err.__traceback__)
                subject = f"resource '{resource[0]}' ({resource[1]})" if resource else "the stack"
                report_violation(crash_message(policy.name, subject, err), resource[1] if resource else None)
                return None

        changed.validate = validate_stack  # type: ignore[attr-defined]
    return changed
