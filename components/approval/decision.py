"""The approval step: the approval e-mail, and the one rule that turns its answer into a decision.

Like the request checks, the decision rule exists twice from one place: as the generated `Approval_outcome`
Compose action and as `approval_outcome` in Python, and tests prove they agree.

- Approved only when the answer is "Approve" from a known responder who is not the requester. The
  requester is recognised by every identifier the request carried (form responder, or the token's upn,
  preferred_username, unique_name and email), compared in lower case. Approvers whose mailbox address
  differs from all of these are not recognised: keep requesters out of the approvers list.
- A requester answering their own request (either way) is `SelfApprovalBlocked`: the request is refused.
- No answer before the timeout, or a failed approval step, is `TimedOut`: the request is refused.
"""

from __future__ import annotations

from azure_jit_access.approval.language import (
    all_of,
    body,
    call,
    empty_array,
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
OUTCOME_ACTION = "Approval_outcome"
APPROVE, REJECT = "Approve", "Reject"

APPROVED, REJECTED, SELF_APPROVAL, TIMED_OUT = "Approved", "Rejected", "SelfApprovalBlocked", "TimedOut"
INVALID, INITIATE_FAILED, ERROR = "Invalid", "InitiateFailed", "Error"
DECISIONS = (INVALID, REJECTED, SELF_APPROVAL, TIMED_OUT, APPROVED, INITIATE_FAILED, ERROR)
"""Every value the audit record's `Decision` can take."""

REASON_SELF_APPROVAL = "the requester cannot approve their own request"


def connection_name(api: str) -> str:
    """The expression naming a managed API connection from the `$connections` parameter."""
    return whole(prop(prop(parameters("$connections"), api), "connectionId"))


def request_field(name: str) -> str:
    """A field of the normalised request variable."""
    return prop(variables(REQUEST), name)


def _approver() -> str:
    return call("toLower", call("string", call("coalesce", prop(body(APPROVAL_ACTION), "UserEmailAddress"), lit(""))))


def _selected() -> str:
    return call("string", call("coalesce", prop(body(APPROVAL_ACTION), "SelectedOption"), lit("")))


def outcome_action(timeout: str) -> dict[str, object]:
    """`Approval_outcome`: {decision, reason, approver}; runs after the e-mail whatever its status."""
    approver, selected = _approver(), _selected()
    is_self = all_of(
        call("not", call("empty", approver)),
        call("contains", call("coalesce", request_field("requesterAliases"), empty_array()), approver),
    )
    approved = all_of(call("equals", selected, lit(APPROVE)), call("not", call("empty", approver)))
    rejected = call("equals", selected, lit(REJECT))
    status = call("string", call("coalesce", prop(call("actions", lit(APPROVAL_ACTION)), "status"), lit("")))

    def choose(self_value: str, approved_value: str, rejected_value: str, other: str) -> str:
        return call(
            "if", is_self, self_value, call("if", approved, approved_value, call("if", rejected, rejected_value, other))
        )

    decision = choose(lit(SELF_APPROVAL), lit(APPROVED), lit(REJECTED), lit(TIMED_OUT))
    reason = choose(
        lit(REASON_SELF_APPROVAL),
        call("concat", lit("approved by "), approver),
        call("concat", lit("rejected by "), approver),
        call("concat", lit(f"no approver answered within {timeout} (approval step: "), status, lit(")")),
    )
    return {
        "type": "Compose",
        "inputs": {"decision": whole(decision), "reason": whole(reason), "approver": whole(approver)},
        "runAfter": {APPROVAL_ACTION: ["Succeeded", "Failed", "TimedOut"]},
    }


def approval_outcome(
    selected: str | None, approver: str | None, status: str, requester_aliases: list[str], timeout: str
) -> dict[str, str]:
    """The Python twin of `Approval_outcome`, from what the approval e-mail returned."""
    who = (approver or "").lower()
    if who and who in requester_aliases:
        return {"decision": SELF_APPROVAL, "reason": REASON_SELF_APPROVAL, "approver": who}
    if selected == APPROVE and who:
        return {"decision": APPROVED, "reason": f"approved by {who}", "approver": who}
    if selected == REJECT:
        return {"decision": REJECTED, "reason": f"rejected by {who}", "approver": who}
    return {
        "decision": TIMED_OUT,
        "reason": f"no approver answered within {timeout} (approval step: {status})",
        "approver": who,
    }


def approval_email_action(approvers: list[str], timeout: str) -> dict[str, object]:
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
                    "To": text("; ".join(approvers)),
                    "Subject": f"JIT access request: {interpolated(field('vm'))} port {interpolated(field('port'))}",
                    "Options": f"{APPROVE}, {REJECT}",
                    "Body": message,
                    "Importance": "Normal",
                },
            },
        },
        "limit": {"timeout": timeout},
        "runAfter": {},
    }
