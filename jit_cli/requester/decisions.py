"""The approval workflow's decision records (`JitAccessDecisions_CL`), read with azure-monitor-query.

`jit request --wait` and `jit status --workspace` read the records the workflow writes for every run (one row per
request, written when it is decided). A request with no record yet is pending. States:

- `opened`: `Approved` (the workflow writes it only after JIT `initiate` succeeded);
- `approved, not opened`: `InitiateFailed`;
- `refused`: every other decision (`Rejected`, `SelfApprovalBlocked`, `NotAnApprover`, `ApproverUnverified`,
  `TimedOut`, `Invalid`, `Error`);
- `pending`: no record yet.

The workspace is its ARM id (stack output `auditWorkspaceId`), queried with `LogsQueryClient.query_resource`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from azure_jit_access.cli.requester.client import resolve_cloud
from azure_jit_access.cli.requester.errors import RefusedError, UsageError
from azure_jit_access.cli.requester.runtime import Runtime
from azure_jit_access.cli.requester.waiting import poll_until

DECISION_TABLE = "JitAccessDecisions_CL"
WORKSPACE_ENV = "JIT_AUDIT_WORKSPACE"
LOGS_ENDPOINT_ENV = "JIT_LOGS_ENDPOINT"
DEFAULT_LOGS_ENDPOINT = "https://api.loganalytics.io"
COLUMNS = (
    "TimeGenerated",
    "WorkflowRunId",
    "Requester",
    "Vm",
    "Port",
    "SourceAddress",
    "Decision",
    "Reason",
    "Approver",
)
PENDING, OPENED, APPROVED_NOT_OPENED, REFUSED = "pending", "opened", "approved, not opened", "refused"

_RUN_ID = re.compile(r"^[0-9A-Za-z]{1,80}$")
_WORKSPACE = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}/providers/"
    r"Microsoft\.OperationalInsights/workspaces/[-\w]{4,63}$",
    re.IGNORECASE,
)


def state_of(decision: str | None) -> str:
    """The request's state from its record's `Decision` (None: no record yet)."""
    if not decision:
        return PENDING
    if decision == "Approved":
        return OPENED
    if decision == "InitiateFailed":
        return APPROVED_NOT_OPENED
    return REFUSED


def check_run_id(run_id: str) -> str:
    """A workflow run id (letters and digits only, so it can never change the query)."""
    if not _RUN_ID.match(run_id or ""):
        raise UsageError(f"--request {run_id!r} is not a workflow run id (the id `jit request` printed)")
    return run_id


def workspace_of(flag: str | None, environ: Any) -> str:
    """The workspace's ARM id: `--workspace`, else $JIT_AUDIT_WORKSPACE; refused unless it is one."""
    value = (flag or environ.get(WORKSPACE_ENV) or "").strip()
    if not value:
        raise UsageError(
            f"give the audit workspace: --workspace <ARM id> or ${WORKSPACE_ENV} "
            "(`pulumi stack output auditWorkspaceId`)"
        )
    if not _WORKSPACE.match(value):
        raise UsageError(
            "--workspace must be a Log Analytics workspace ARM id: /subscriptions/<id>/resourceGroups/<rg>/"
            "providers/Microsoft.OperationalInsights/workspaces/<name>"
        )
    return value


def decisions_query(run_id: str | None = None) -> str:
    """KQL for the decision records, newest first; one run's record when `run_id` is given."""
    where = f"\n| where WorkflowRunId == '{check_run_id(run_id)}'" if run_id else ""
    return f"{DECISION_TABLE}{where}\n| project {', '.join(COLUMNS)}\n| order by TimeGenerated desc"


def logs_endpoint(args: Any, environ: Any) -> str:
    """The Log Analytics query endpoint: `--logs-endpoint`, else $JIT_LOGS_ENDPOINT, else the public one."""
    value = (getattr(args, "logs_endpoint", None) or environ.get(LOGS_ENDPOINT_ENV) or DEFAULT_LOGS_ENDPOINT).strip()
    if not value.startswith("https://"):
        raise UsageError("--logs-endpoint must be an https URL (the token is sent to it)")
    return value.rstrip("/")


def query_decisions(args: Any, runtime: Runtime, run_id: str | None, window: timedelta) -> list[dict[str, Any]]:
    """The decision records as dicts (COLUMNS), newest first."""
    from azure.core.exceptions import HttpResponseError
    from azure.monitor.query import LogsQueryClient, LogsQueryStatus

    workspace = workspace_of(getattr(args, "workspace", None), runtime.environ)
    endpoint = logs_endpoint(args, runtime.environ)
    credential = runtime.credential_factory(resolve_cloud(args.cloud), args.tenant)
    client = LogsQueryClient(credential, endpoint=endpoint)
    try:
        result = client.query_resource(workspace, decisions_query(run_id), timespan=window)
    except HttpResponseError as err:
        raise RefusedError(
            f"the audit workspace refused the query (HTTP {err.status_code}); you need read access to "
            f"{DECISION_TABLE} (e.g. Log Analytics Reader on the workspace)"
        ) from err
    if result.status != LogsQueryStatus.SUCCESS:
        raise RefusedError("the audit workspace returned a partial result; try again")
    rows: list[dict[str, Any]] = []
    for table in result.tables:
        rows += [dict(zip(table.columns, row, strict=False)) for row in table.rows]
    return rows


def wait_for_decision(args: Any, runtime: Runtime, run_id: str, timeout: float) -> dict[str, Any] | None:
    """Poll the records until the run's decision appears, or None after `timeout` seconds."""

    def check(_remaining: float) -> dict[str, Any] | None:
        # poll_until hands each poll the seconds left; one Log Analytics query is bounded by the SDK's own timeouts.
        rows = query_decisions(args, runtime, run_id, timedelta(days=2))
        return rows[0] if rows else None

    return poll_until(check, runtime, f"waiting for the decision on request {run_id}", timeout)


def render_decisions(rows: list[dict[str, Any]]) -> str:
    """A plain table: state, decision, request, VM:port, source, requester, approver, reason."""
    if not rows:
        return "No decision records in this window.\n"
    lines = []
    for row in rows:
        lines.append(
            f"{state_of(row.get('Decision')):<21} {row.get('Decision') or '':<19} {row.get('WorkflowRunId')}  "
            f"{row.get('Vm')}:{row.get('Port')} from {row.get('SourceAddress')}  requested by {row.get('Requester')}"
            f"  decided by {row.get('Approver') or '-'}: {row.get('Reason')}"
        )
    return "\n".join(lines) + "\n"
