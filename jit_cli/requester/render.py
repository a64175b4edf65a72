"""JIT requests as rows, a table and JSON, for `jit status` (and the one-line summaries of request/revoke)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from azure_jit_access.cli.requester.durations import format_human_duration
from azure_jit_access.cli.requester.policies import VmRef, policy_location, vm_name

RECENT = timedelta(hours=24)
"""Without --all, `jit status` shows active requests and those that ended within this window."""


def utc_text(moment: datetime | None) -> str:
    """`2025-03-01T10:00:00Z`, the form Azure uses in endTimeUtc ("" for None)."""
    if moment is None:
        return ""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def relative_end(end: datetime | None, now: datetime) -> str:
    """`in 42m` for a future end, `ended 3h ago` for a past one."""
    if end is None:
        return "unknown"
    if end > now:
        return f"in {format_human_duration(end - now)}"
    return f"ended {format_human_duration(now - end)} ago"


@dataclass(frozen=True)
class RequestRow:
    """One port of one VM in one JIT request, flattened for display."""

    policy: str
    resource_group: str
    location: str
    vm_id: str
    port: int
    requestor: str
    source: str
    start: datetime | None
    end: datetime | None
    status: str
    reason: str
    justification: str

    @property
    def vm_name(self) -> str:
        """The VM's name."""
        return vm_name(self.vm_id)

    def active(self, now: datetime) -> bool:
        """Open right now: Azure says Initiated and the end time has not passed."""
        return self.status.lower() == "initiated" and self.end is not None and self.end > now

    def as_json(self, now: datetime) -> dict[str, Any]:
        """The row as JSON, with Azure's property names where Azure has one."""
        return {
            "policy": self.policy,
            "resourceGroup": self.resource_group,
            "location": self.location,
            "vmId": self.vm_id,
            "vmName": self.vm_name,
            "port": self.port,
            "requestor": self.requestor,
            "allowedSourceAddressPrefix": self.source,
            "startTimeUtc": utc_text(self.start),
            "endTimeUtc": utc_text(self.end),
            "status": self.status,
            "statusReason": self.reason,
            "justification": self.justification,
            "active": self.active(now),
            "endsInSeconds": int((self.end - now).total_seconds()) if self.end else None,
        }


def request_rows(policies: Iterable[Any]) -> list[RequestRow]:
    """Flatten every policy's `requests` into rows (one per VM and port)."""
    rows = []
    for policy in policies:
        group, location = policy_location(policy)
        for request in policy.requests or []:
            for vm in request.virtual_machines or []:
                for port in vm.ports or []:
                    sources = list(port.allowed_source_address_prefixes or [])
                    source = port.allowed_source_address_prefix or ", ".join(sources)
                    rows.append(
                        RequestRow(
                            policy=policy.name,
                            resource_group=group,
                            location=location,
                            vm_id=vm.id,
                            port=port.number,
                            requestor=request.requestor or "",
                            source=source,
                            start=request.start_time_utc,
                            end=port.end_time_utc,
                            status=port.status or "",
                            reason=port.status_reason or "",
                            justification=request.justification or "",
                        )
                    )
    return rows


def select_rows(rows: Iterable[RequestRow], now: datetime, vm: VmRef | None, show_all: bool) -> list[RequestRow]:
    """Rows for one VM (or all), active or recent unless `show_all`; active first, newest end first."""
    chosen = [
        row
        for row in rows
        if (vm is None or vm.matches(row.vm_id))
        and (show_all or row.active(now) or (row.end is not None and now - row.end <= RECENT))
    ]
    far_past = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(
        chosen, key=lambda row: (not row.active(now), -(row.end or far_past).timestamp(), row.vm_name.lower(), row.port)
    )


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def render_table(rows: list[RequestRow], now: datetime) -> str:
    """A plain-text table: VM, PORT, REQUESTOR, SOURCE, ENDS, STATUS, REASON, JUSTIFICATION."""
    header = ("VM", "PORT", "REQUESTOR", "SOURCE", "ENDS", "STATUS", "REASON", "JUSTIFICATION")
    body = [
        (
            row.vm_name,
            str(row.port),
            row.requestor,
            row.source,
            relative_end(row.end, now),
            row.status,
            row.reason,
            _clip(" ".join(row.justification.split()), 50),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    return "\n".join(lines) + "\n"


def render_json(rows: list[RequestRow], now: datetime, subscription_id: str) -> str:
    """The rows as a JSON document: {"subscriptionId", "generatedAtUtc", "requests": [...]}."""
    document = {
        "subscriptionId": subscription_id,
        "generatedAtUtc": utc_text(now),
        "requests": [row.as_json(now) for row in rows],
    }
    return json.dumps(document, indent=2) + "\n"
