"""Local fakes, over TLS on 127.0.0.1, of the approval workflow's HTTP trigger and the Log Analytics query API.

- The trigger answers like a Consumption Request trigger without a Response action: `202 Accepted` with the run id
  in `x-ms-workflow-run-id`; with a wrong bearer token, 401 and an ARM-style error body.
- The query API answers `POST /v1/<resource id>/query` (azure-monitor-query's `query_resource`) with the
  Log Analytics response shape (`tables[].columns[].name/type`, `rows`), from the decision records a test adds,
  filtered by the `WorkflowRunId == '<id>'` the query names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from azure_jit_access.cli.requester.decisions import COLUMNS

TRIGGER_PATH = "/workflows/0f1e2d3c4b5a/triggers/Http_request_received/paths/invoke"
WORKSPACE = (
    "/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourceGroups/rg-jit-dev/providers/"
    "Microsoft.OperationalInsights/workspaces/audit-workspace"
)
RUN_ID = "08585533297291413311577389874CU12"
_TYPES = {"TimeGenerated": "datetime", "Port": "int"}


@dataclass
class FakeWorkflow:
    """The trigger and the query API; what they received."""

    url: str
    token: str
    records: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    queries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def trigger_url(self) -> str:
        return f"{self.url}{TRIGGER_PATH}?api-version=2016-10-01"

    def handle(self, request: Request) -> Response:
        if request.method == "POST" and request.path == TRIGGER_PATH:
            return self._trigger(request)
        if request.method == "POST" and request.path == f"/v1{WORKSPACE}/query":
            return self._query(request)
        return Response(json.dumps({"error": {"code": "NotFound"}}), 404, content_type="application/json")

    def _trigger(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            body = {"error": {"code": "MisMatchingOAuthClaims", "message": "The provided claims do not match."}}
            return Response(json.dumps(body), 401, content_type="application/json")
        self.submissions.append({"body": request.get_json(), "authorization": request.headers["Authorization"]})
        return Response("", 202, headers={"x-ms-workflow-run-id": RUN_ID})

    def _query(self, request: Request) -> Response:
        body = request.get_json()
        self.queries.append({"body": body, "authorization": request.headers.get("Authorization")})
        wanted = re.search(r"WorkflowRunId == '([0-9A-Za-z]+)'", body["query"])
        rows = [r for r in self.records if not wanted or r["WorkflowRunId"] == wanted.group(1)]
        table = {
            "name": "PrimaryResult",
            "columns": [{"name": c, "type": _TYPES.get(c, "string")} for c in COLUMNS],
            "rows": [[r.get(c) for c in COLUMNS] for r in rows],
        }
        return Response(json.dumps({"tables": [table]}), 200, content_type="application/json")


def record(decision: str, reason: str, run_id: str = RUN_ID, approver: str = "lead@contoso.com") -> dict[str, Any]:
    """One decision record as the workflow writes it."""
    return {
        "TimeGenerated": "2025-03-01T09:05:00Z",
        "WorkflowRunId": run_id,
        "Requester": "barbara@contoso.com",
        "Vm": "vm-web-01",
        "Port": 22,
        "SourceAddress": "20.50.1.5",
        "Decision": decision,
        "Reason": reason,
        "Approver": approver,
    }
