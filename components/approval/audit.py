"""What every decision leaves behind: the audit record, its Log Analytics write, the requester's e-mail.

The record is a Compose action, so it is in the run history whatever else is configured; it runs after the
decision whatever its status (a crash anywhere shows as decision `Error`). Its columns are the audit
trail's `JitAccessDecisions_CL` stream (`components/audit_table.py`).
"""

from __future__ import annotations

from azure_jit_access.approval.decision import connection_name, request_field
from azure_jit_access.approval.language import (
    call,
    html_text,
    interpolated,
    lit,
    outputs,
    parameters,
    prop,
    variables,
    whole,
)
from azure_jit_access.approval.validation import REQUEST

OUTCOME = "outcome"
"""The workflow variable holding {decision, reason, approver}."""
AUDIT_RECORD_ACTION = "Audit_record"
AUDIT_WRITE_ACTION = "Write_audit_record"
AUDIT_URI_PARAMETER = "auditIngestionUri"
MONITOR_AUDIENCE = "https://monitor.azure.com/"
AUDIT_RECORD_COLUMNS = {
    "TimeGenerated": "datetime",
    "WorkflowRunId": "string",
    "Channel": "string",
    "Requester": "string",
    "RequesterObjectId": "string",
    "Approver": "string",
    "ApproverObjectId": "string",
    "Vm": "string",
    "Port": "string",
    "SourceAddress": "string",
    "DurationMinutes": "string",
    "Justification": "string",
    "Decision": "string",
    "Reason": "string",
}
"""The audit record's columns (for the audit trail's DCR stream declaration)."""


def _audit_record() -> dict[str, str]:
    request, outcome = variables(REQUEST), variables(OUTCOME)
    sources = {
        "TimeGenerated": call("utcNow"),
        "WorkflowRunId": prop(prop(call("workflow"), "run"), "name"),
        "Channel": prop(request, "channel"),
        "Requester": prop(request, "requester"),
        "RequesterObjectId": prop(request, "requesterObjectId"),
        "Approver": prop(outcome, "approver"),
        "ApproverObjectId": prop(outcome, "approverObjectId"),
        "Vm": prop(request, "vm"),
        "Port": prop(request, "port"),
        "SourceAddress": prop(request, "source"),
        "DurationMinutes": prop(request, "durationMinutes"),
        "Justification": prop(request, "justification"),
        "Decision": prop(outcome, "decision"),
        "Reason": prop(outcome, "reason"),
    }
    # Interpolation turns a missing field (a request that could not be read) into '' instead of failing.
    return {column: interpolated(sources[column]) for column in AUDIT_RECORD_COLUMNS}


def notification_action() -> dict[str, object]:
    """`Notify_requester`: the decision and reason, e-mailed to the requester (user text HTML-escaped)."""
    outcome = variables(OUTCOME)
    rows = [
        ("Decision", prop(outcome, "decision")),
        ("Reason", prop(outcome, "reason")),
        ("VM", request_field("vm")),
        ("Port", request_field("port")),
        ("Source address", request_field("source")),
        ("Duration (minutes)", request_field("durationMinutes")),
    ]
    cells = [
        (label, interpolated(html_text(call("string", call("coalesce", value, lit("")))))) for label, value in rows
    ]
    table = "".join(f"<tr><td>{label}</td><td>{cell}</td></tr>" for label, cell in cells)
    return {
        "type": "ApiConnection",
        "inputs": {
            "host": {"connection": {"name": connection_name("office365")}},
            "method": "post",
            "path": "/v2/Mail",
            "body": {
                "To": interpolated(request_field("requester")),
                "Subject": f"Your JIT access request: {interpolated(prop(outcome, 'decision'))}",
                "Body": f"<p>Your just-in-time access request was decided.</p><table>{table}</table>",
                "Importance": "Normal",
            },
        },
        "runAfter": {AUDIT_RECORD_ACTION: ["Succeeded"]},
    }


def audit_record_action(decision_action: str) -> dict[str, object]:
    """`Audit_record`: the record, after the decision action ends in any state."""
    return {
        "type": "Compose",
        "inputs": _audit_record(),
        "runAfter": {decision_action: ["Succeeded", "Failed", "Skipped", "TimedOut"]},
    }


def audit_write_action() -> dict[str, object]:
    """`Write_audit_record`: POST the record to the Logs Ingestion API with the workflow identity."""
    return {
        "type": "Http",
        "inputs": {
            "method": "POST",
            "uri": whole(parameters(AUDIT_URI_PARAMETER)),
            "headers": {"Content-Type": "application/json"},
            "body": whole(call("createArray", outputs(AUDIT_RECORD_ACTION))),
            "authentication": {"type": "ManagedServiceIdentity", "audience": MONITOR_AUDIENCE},
        },
        "runAfter": {AUDIT_RECORD_ACTION: ["Succeeded"]},
    }
