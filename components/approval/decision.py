"""The approval step: the approval e-mail, and the one rule that turns its answer into a decision.

Like the request checks, the decision rule exists twice from one place: as the generated `Approval_outcome`
Compose action and as `approval_outcome` in Python, and tests prove they agree.

- The responder is identified by Entra object id, never by e-mail text: `approvers.py` resolves the
  connector's `UserEmailAddress` through Microsoft Graph and checks group membership.
- No answer before the timeout, or a failed approval step, is `TimedOut`.
- A responder Graph cannot resolve is `ApproverUnverified` (fail closed).
- The requester answering their own request (object id equal to the token's `oid`), or a request whose
  requester id is unknown, is `SelfApprovalBlocked`, even when a group approver lets them answer.
- Anyone who is not a configured user approver or a member of a configured group approver is `NotAnApprover`.
- Otherwise "Approve" is `Approved` and "Reject" is `Rejected`.
"""

from __future__ import annotations

from collections.abc import Sequence

from azure_jit_access.approval.approvers import (
    Approver,
    mailboxes,
    resolution_actions,
    responder_checks,
    responder_mail_expression,
    unresolved_action,
)
from azure_jit_access.approval.language import (
    all_of,
    body,
    call,
    html_text,
    interpolated,
    lit,
    outputs,
    parameters,
    prop,
    text,
    variables,
    whole,
)
from azure_jit_access.approval.validation import DURATION_MINUTES, REQUEST

APPROVAL_ACTION = "Send_approval_email"
ANSWER_ACTION = "Approval_answer"
ANSWERED_ACTION = "Approval_was_answered"
OUTCOME_ACTION = "Approval_outcome"
APPROVE, REJECT = "Approve", "Reject"

APPROVED, REJECTED, SELF_APPROVAL, TIMED_OUT = "Approved", "Rejected", "SelfApprovalBlocked", "TimedOut"
NOT_AN_APPROVER, APPROVER_UNVERIFIED = "NotAnApprover", "ApproverUnverified"
INVALID, INITIATE_FAILED, ERROR = "Invalid", "InitiateFailed", "Error"
DECISIONS = (
    INVALID,
    REJECTED,
    SELF_APPROVAL,
    NOT_AN_APPROVER,
    APPROVER_UNVERIFIED,
    TIMED_OUT,
    APPROVED,
    INITIATE_FAILED,
    ERROR,
)
"""Every value the audit record's `Decision` can take."""

REASON_SELF_APPROVAL = "the requester cannot approve their own request"
REASON_NOT_AN_APPROVER = "was refused: the responder is not one of the configured approvers"
REASON_UNVERIFIED = "was refused: the responder could not be resolved to an Entra object id through Microsoft Graph"


def connection_name(api: str) -> str:
    """The expression naming a managed API connection from the `$connections` parameter."""
    return whole(prop(prop(parameters("$connections"), api), "connectionId"))


def request_field(name: str) -> str:
    """A field of the normalised request variable."""
    return prop(variables(REQUEST), name)


def _answer(key: str) -> str:
    return prop(outputs(ANSWER_ACTION), key)


def answer_action() -> dict[str, object]:
    """`Approval_answer`: the e-mail's option, responder as reported and step status, whatever happened."""
    option = call("string", call("coalesce", prop(body(APPROVAL_ACTION), "SelectedOption"), lit("")))
    status = call("string", call("coalesce", prop(call("actions", lit(APPROVAL_ACTION)), "status"), lit("")))
    return {
        "type": "Compose",
        "inputs": {
            "selected": whole(option),
            "responder": whole(responder_mail_expression(APPROVAL_ACTION)),
            "status": whole(status),
        },
        "runAfter": {APPROVAL_ACTION: ["Succeeded", "Failed", "TimedOut"]},
    }


def _answered() -> str:
    selected = _answer("selected")
    return all_of(
        call("or", call("equals", selected, lit(APPROVE)), call("equals", selected, lit(REJECT))),
        call("not", call("empty", _answer("responder"))),
    )


def answered_action(approvers: Sequence[Approver]) -> dict[str, object]:
    """`Approval_was_answered`: only a real answer is looked up in Microsoft Graph."""
    return {
        "type": "If",
        "expression": whole(_answered()),
        "actions": resolution_actions(approvers, _answer("responder")),
        "else": {"actions": {"No_answer_to_check": unresolved_action()}},
        "runAfter": {ANSWER_ACTION: ["Succeeded"]},
    }


def _choose(checks: dict[str, str], values: dict[str, str]) -> str:
    approved = call("if", call("equals", _answer("selected"), lit(APPROVE)), values[APPROVED], values[REJECTED])
    not_approver = call("if", call("not", checks["is_approver"]), values[NOT_AN_APPROVER], approved)
    is_self = call("if", checks["is_requester"], values[SELF_APPROVAL], not_approver)
    resolved = call("if", call("not", checks["resolved"]), values[APPROVER_UNVERIFIED], is_self)
    return call("if", call("not", _answered()), values[TIMED_OUT], resolved)


def outcome_action(approvers: Sequence[Approver], timeout: str) -> dict[str, object]:
    """`Approval_outcome`: {decision, reason, approver, approverObjectId}; runs whatever happened before."""
    checks = responder_checks(approvers, request_field("requesterObjectId"))
    mail = _answer("responder")
    outcomes = (TIMED_OUT, APPROVER_UNVERIFIED, SELF_APPROVAL, NOT_AN_APPROVER, APPROVED, REJECTED)
    decision = _choose(checks, {d: lit(d) for d in outcomes})
    reason = _choose(
        checks,
        {
            TIMED_OUT: call(
                "concat", lit(f"no approver answered within {timeout} (approval step: "), _answer("status"), lit(")")
            ),
            APPROVER_UNVERIFIED: call("concat", lit("the answer from "), mail, lit(" " + REASON_UNVERIFIED)),
            SELF_APPROVAL: lit(REASON_SELF_APPROVAL),
            NOT_AN_APPROVER: call("concat", lit("the answer from "), mail, lit(" " + REASON_NOT_AN_APPROVER)),
            APPROVED: call("concat", lit("approved by "), mail),
            REJECTED: call("concat", lit("rejected by "), mail),
        },
    )
    return {
        "type": "Compose",
        "inputs": {
            "decision": whole(decision),
            "reason": whole(reason),
            "approver": whole(mail),
            "approverObjectId": whole(checks["responder_id"]),
        },
        "runAfter": {ANSWERED_ACTION: ["Succeeded", "Failed", "Skipped", "TimedOut"]},
    }


def approval_outcome(
    selected: str | None,
    responder: str | None,
    status: str,
    verdict: dict[str, bool] | None,
    timeout: str,
    responder_id: str = "",
) -> dict[str, str]:
    """The Python twin of `Approval_outcome`, from the e-mail's answer and `responder_verdict` (None: no lookup)."""
    who = (responder or "").lower()
    resolved = bool(verdict and verdict["resolved"])
    result = {"approver": who, "approverObjectId": responder_id.lower() if resolved else ""}
    if selected not in (APPROVE, REJECT) or not who:
        reason = f"no approver answered within {timeout} (approval step: {status})"
        return {"decision": TIMED_OUT, "reason": reason, **result}
    if verdict is None or not resolved:
        return {"decision": APPROVER_UNVERIFIED, "reason": f"the answer from {who} {REASON_UNVERIFIED}", **result}
    if verdict["is_requester"]:
        return {"decision": SELF_APPROVAL, "reason": REASON_SELF_APPROVAL, **result}
    if not verdict["is_approver"]:
        return {"decision": NOT_AN_APPROVER, "reason": f"the answer from {who} {REASON_NOT_AN_APPROVER}", **result}
    if selected == APPROVE:
        return {"decision": APPROVED, "reason": f"approved by {who}", **result}
    return {"decision": REJECTED, "reason": f"rejected by {who}", **result}


def approval_email_action(approvers: Sequence[Approver], timeout: str) -> dict[str, object]:
    """Office 365 "Send approval email": waits (up to `timeout`) for one approver's answer."""
    field = request_field
    rows = [
        ("Requester", html_text(field("requester"))),
        ("VM", html_text(field("vm"))),
        ("Port", field("port")),
        ("Source address", field("source")),
        ("Duration (minutes)", outputs(DURATION_MINUTES)),
        ("Justification", html_text(field("justification"))),
    ]
    table = "".join(f"<tr><td>{label}</td><td>{interpolated(value)}</td></tr>" for label, value in rows)
    message = (
        f"<p>A just-in-time access request is waiting for your decision.</p><table>{table}</table>"
        "<p>Approving opens this port to this one source address until the duration ends. "
        "Requesters cannot approve their own requests.</p>"
    )
    return {
        "type": "ApiConnectionWebhook",
        "inputs": {
            "host": {"connection": {"name": connection_name("office365")}},
            "path": "/approvalmail/$subscriptions",
            "body": {
                "NotificationUrl": interpolated(call("listCallbackUrl")),
                "Message": {
                    "To": text("; ".join(mailboxes(approvers))),
                    "Subject": f"JIT access request: {interpolated(field('vm'))} port {interpolated(field('port'))}",
                    "Options": f"{APPROVE}, {REJECT}",
                    "Body": message,
                    "Importance": "Normal",
                },
            },
        },
        "limit": {"timeout": timeout},
        # The inputs hold the callback URL (listCallbackUrl): whoever reads it could answer. Keep them out of run
        # history (MS Learn, "Secure access and data for workflows": secureData).
        "runtimeConfiguration": {"secureData": {"properties": ["inputs"]}},
        "runAfter": {},
    }
