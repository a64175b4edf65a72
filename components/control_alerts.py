"""Approval mode's two alerts: an `initiate` by anyone but the workflow, and tampering with any control.

JIT's only authorisation is RBAC, and Azure Policy cannot deny a POST action, so in approval mode the last line
is detection: every activity-log `initiate` whose `Caller` is not the workflow's managed identity (its principal
id) is an alert, and so is every write or delete of a control that keeps approval meaningful. The operation
names are Azure resource provider operations (MS Learn, "Azure permissions": Integration for Microsoft.Logic,
Web and Mobile for Microsoft.Web, Management and governance for Microsoft.Authorization, Monitor for
Microsoft.Insights, Security for Microsoft.Security), upper case as `AzureActivity.OperationNameValue` records them.
"""

from __future__ import annotations

import re

from azure_jit_access.kql import JIT_INITIATE, JIT_POLICY_CHANGES, NSG_WRITES, ROLE_ASSIGNMENT_CHANGES

CONTROL_OPERATIONS: dict[str, tuple[str, ...]] = {
    "approval workflow": (
        "MICROSOFT.LOGIC/WORKFLOWS/WRITE",
        "MICROSOFT.LOGIC/WORKFLOWS/DELETE",
        "MICROSOFT.LOGIC/WORKFLOWS/DISABLE/ACTION",
        "MICROSOFT.LOGIC/WORKFLOWS/REGENERATEACCESSKEY/ACTION",
    ),
    "workflow API connections": ("MICROSOFT.WEB/CONNECTIONS/WRITE", "MICROSOFT.WEB/CONNECTIONS/DELETE"),
    "policy definitions, assignments and exemptions": (
        "MICROSOFT.AUTHORIZATION/POLICYDEFINITIONS/WRITE",
        "MICROSOFT.AUTHORIZATION/POLICYDEFINITIONS/DELETE",
        "MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/WRITE",
        "MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/DELETE",
        "MICROSOFT.AUTHORIZATION/POLICYEXEMPTIONS/WRITE",
        "MICROSOFT.AUTHORIZATION/POLICYEXEMPTIONS/DELETE",
    ),
    "Defender for Servers pricing": ("MICROSOFT.SECURITY/PRICINGS/WRITE", "MICROSOFT.SECURITY/PRICINGS/DELETE"),
    "JIT policies": JIT_POLICY_CHANGES,
    "NSG deny rules": (*NSG_WRITES, "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/DELETE"),
    "role assignments": ROLE_ASSIGNMENT_CHANGES,
    "diagnostic settings and alerts": (
        "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/WRITE",
        "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE",
        "MICROSOFT.INSIGHTS/SCHEDULEDQUERYRULES/WRITE",
        "MICROSOFT.INSIGHTS/SCHEDULEDQUERYRULES/DELETE",
        "MICROSOFT.INSIGHTS/ACTIONGROUPS/WRITE",
        "MICROSOFT.INSIGHTS/ACTIONGROUPS/DELETE",
        "MICROSOFT.INSIGHTS/DATACOLLECTIONRULES/WRITE",
        "MICROSOFT.INSIGHTS/DATACOLLECTIONRULES/DELETE",
    ),
}
"""Every control of approval mode, and the operations that change or remove it."""

_GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")


def _since(since: str) -> str:
    if not re.fullmatch(r"[1-9][0-9]*m", since):
        raise ValueError(f"since: {since!r} is not a KQL timespan in minutes such as '5m'")
    return f"AzureActivity\n| where ingestion_time() > ago({since})"


def initiate_outside_workflow_query(workflow_principal_id: str, since: str) -> str:
    """Every `initiate` whose caller is not the workflow's managed identity (one row per request)."""
    if not isinstance(workflow_principal_id, str) or not _GUID.match(workflow_principal_id):
        raise ValueError(
            f"workflow_principal_id: give the workflow identity's principal id (a GUID), got {workflow_principal_id!r}"
        )
    return (
        f"{_since(since)}\n"
        f'| where OperationNameValue =~ "{JIT_INITIATE}"\n'
        f'| where Caller !~ "{workflow_principal_id}"\n'
        "| summarize arg_max(TimeGenerated, *) by CorrelationId\n"
        "| project TimeGenerated, Caller, CallerIpAddress, _ResourceId, ResourceGroup, ActivityStatusValue, "
        "CorrelationId"
    )


def _quoted(operations: tuple[str, ...]) -> str:
    return "(" + ", ".join(f'"{op}"' for op in operations) + ")"


def control_changes_query(since: str) -> str:
    """Every write, delete or disable of a control listed in `CONTROL_OPERATIONS`, named by the control."""
    branches = ",\n".join(
        f"    ({_since(since).replace(chr(10), chr(10) + '    ')}\n"
        f"    | where OperationNameValue in~ {_quoted(ops)}\n"
        f'    | extend Control = "{control}")'
        for control, ops in CONTROL_OPERATIONS.items()
    )
    return (
        f"union\n{branches}\n"
        "| summarize arg_max(TimeGenerated, *) by CorrelationId\n"
        "| project TimeGenerated, Control, OperationNameValue, ActivityStatusValue, Caller, CallerIpAddress, "
        "_ResourceId, CorrelationId"
    )
