"""Every KQL query the project ships: the two alert queries, the saved searches, and what they may use.

The queries read two tables: `AzureActivity` (the subscription's activity log, exported by `JitAuditTrail`'s
diagnostic setting) and `JitAccessDecisions_CL` (one record per decision of the approval workflow, see
`components/audit_table.py`). `tests/components/test_kql.py` checks every query here for balanced quotes and
brackets and for tables and columns outside `KNOWN_COLUMNS`.

Why only the `*Value` columns of `AzureActivity`: the legacy columns (`OperationName`, `ActivityStatus`,
`Resource`, `ResourceId`, ...) are missing or empty in new workspaces in some regions (Azure/Azure-Sentinel
#10340, #12106), and a query naming a missing column fails.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from azure_jit_access.audit_table import DECISION_COLUMN_TYPES, DECISION_TABLE
from azure_jit_access.rules.sources import kql_wildcard_regex

AZURE_ACTIVITY = "AzureActivity"

AZURE_ACTIVITY_COLUMNS: dict[str, str] = {
    "TimeGenerated": "datetime",
    "OperationNameValue": "string",
    "ActivityStatusValue": "string",
    "ActivitySubstatusValue": "string",
    "Caller": "string",
    "CallerIpAddress": "string",
    "CorrelationId": "string",
    "ResourceGroup": "string",
    "_ResourceId": "string",
    "Properties_d": "dynamic",
}
"""The `AzureActivity` columns the queries may use, with their types (Azure Monitor table reference)."""

KNOWN_COLUMNS: dict[str, dict[str, str]] = {
    AZURE_ACTIVITY: AZURE_ACTIVITY_COLUMNS,
    DECISION_TABLE: DECISION_COLUMN_TYPES,
}
"""Every table a shipped query may read, and the columns it may use there."""

JIT_INITIATE = "MICROSOFT.SECURITY/LOCATIONS/JITNETWORKACCESSPOLICIES/INITIATE/ACTION"
"""The activity-log operation of a JIT request (the `initiate` call), whoever made it."""
JIT_POLICY_CHANGES = (
    "MICROSOFT.SECURITY/LOCATIONS/JITNETWORKACCESSPOLICIES/WRITE",
    "MICROSOFT.SECURITY/LOCATIONS/JITNETWORKACCESSPOLICIES/DELETE",
)
NSG_WRITES = (
    "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE",
    "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WRITE",
)
ROLE_DEFINITION_CHANGES = (
    "MICROSOFT.AUTHORIZATION/ROLEDEFINITIONS/WRITE",
    "MICROSOFT.AUTHORIZATION/ROLEDEFINITIONS/DELETE",
)
ROLE_ASSIGNMENT_CHANGES = (
    "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE",
    "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/DELETE",
)

# A source prefix meaning "anyone", generated from the rules core's words (NSG spellings, broad service tags and
# any /0 network) in the lower case the query compares in. It matches one element of `sourceAddressPrefix` or of
# the `sourceAddressPrefixes` list.
WILDCARD_SOURCE_REGEX = kql_wildcard_regex()


@dataclass(frozen=True)
class SavedQuery:
    """A query shipped as a Log Analytics saved search."""

    name: str
    """The saved search id (unique in the workspace) and the name the stack exports."""
    display_name: str
    """What the portal's query list shows."""
    description: str
    """What the query answers, for the docs."""
    text: str
    """The KQL."""


def _in_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f'"{value}"' for value in values) + ")"


def _activity(since: str | None, indent: str = "") -> str:
    # The alerts count only records ingested since their previous run, so a window longer than the frequency
    # (to catch events that reach the workspace late) never reports an event twice.
    if since is None:
        return AZURE_ACTIVITY
    if not isinstance(since, str) or not re.fullmatch(r"[1-9][0-9]*m", since):
        raise ValueError(f"since: {since!r} is not a KQL timespan in minutes such as '5m' (see kql_timespan)")
    return f"{AZURE_ACTIVITY}\n{indent}| where ingestion_time() > ago({since})"


def kql_timespan(minutes: int) -> str:
    """A KQL timespan literal for a whole number of minutes, e.g. `5m`."""
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        raise ValueError(f"a KQL timespan needs a positive whole number of minutes, got {minutes!r}")
    return f"{minutes}m"


def jit_initiations_query(since: str | None = None) -> str:
    """Every JIT initiate (one row per request, its latest status): time, caller, policy, status.

    Start and end events of one request share a `CorrelationId`, so a request is one row. A refused call
    (no permission, invalid input) is recorded as a failure only, and is listed too.
    """
    return (
        f"{_activity(since)}\n"
        f'| where OperationNameValue =~ "{JIT_INITIATE}"\n'
        "| summarize arg_max(TimeGenerated, *) by CorrelationId\n"
        "| project TimeGenerated, Caller, CallerIpAddress, _ResourceId, ResourceGroup, ActivityStatusValue, "
        "ActivitySubstatusValue, CorrelationId"
    )


def requester_role_guid(role: str) -> str:
    """The GUID of the requester role, from a GUID or a full role definition id."""
    if not isinstance(role, str) or not role.strip():
        raise ValueError(
            "requester_role: expected the requester role's GUID or role definition id, e.g. "
            "JitRequesterRole(...).role_definition_guid"
        )
    candidate = role.strip().rstrip("/").split("/")[-1]
    if "/" in role and not re.search(
        r"/providers/Microsoft\.Authorization/roleDefinitions/[^/]+/?$", role.strip(), re.IGNORECASE
    ):
        raise ValueError(
            f"requester_role: '{role}' is not a role definition id "
            "(.../providers/Microsoft.Authorization/roleDefinitions/<guid>)"
        )
    try:
        return str(uuid.UUID(candidate))
    except ValueError:
        raise ValueError(
            f"requester_role: '{candidate}' is not a GUID; give the requester role's GUID or its "
            "full role definition id"
        ) from None


def privileged_changes_query(requester_role: str | None = None, since: str | None = None) -> str:
    """Changes that could widen JIT access: who made them, when, and what each one is.

    - any write or delete of a JIT policy (ports, sources, durations, which VMs);
    - any write or delete of a custom role definition (the requester role, or a new role with its actions);
    - role assignments of the requester role, when its GUID is given (write: someone was given it);
    - NSG writes that add an inbound Allow rule from any source, standalone or inline. The activity log keeps
      the request body only on the start event and only for some writes; a start event without one is
      reported as unverified instead of being passed over.
    """
    activity = _activity(since, indent="    ")
    branches = [
        f"{activity}\n    | where OperationNameValue in~ {_in_list(JIT_POLICY_CHANGES)}\n"
        '    | extend Finding = "JIT policy written or deleted"',
        f"{activity}\n    | where OperationNameValue in~ {_in_list(ROLE_DEFINITION_CHANGES)}\n"
        '    | extend Finding = "Custom role definition written or deleted"',
    ]
    if requester_role is not None:
        guid = requester_role_guid(requester_role)
        branches.append(
            f"{activity}\n    | where OperationNameValue in~ {_in_list(ROLE_ASSIGNMENT_CHANGES)}\n"
            f'    | where tostring(Properties_d) contains "{guid}"\n'
            '    | extend Finding = "Requester role assigned or unassigned"'
        )
    branches.append(
        f"{activity}\n    | where OperationNameValue in~ {_in_list(NSG_WRITES)}\n"
        "    | extend Body = parse_json(tolower(tostring(Properties_d.requestbody)))\n"
        "    | where isnotnull(Body)\n"
        "    | extend Rules = iff(isnotnull(Body.properties.securityrules), Body.properties.securityrules, "
        "pack_array(Body))\n"
        "    | mv-apply Rule = Rules on (\n"
        '        where tostring(Rule.properties.access) == "allow" and '
        'tostring(Rule.properties.direction) == "inbound"\n'
        '        | extend RuleSources = strcat(tostring(Rule.properties.sourceaddressprefix), ",", '
        "tostring(Rule.properties.sourceaddressprefixes))\n"
        f"        | where RuleSources matches regex @'{WILDCARD_SOURCE_REGEX}'\n"
        "        | summarize WildcardRules = make_set(tostring(Rule.name))\n"
        "    )\n"
        # summarize without `by` yields one row with an empty set even when no rule matched (summarize docs):
        # without this filter every NSG write would raise the severity-1 alert.
        "    | where array_length(WildcardRules) > 0\n"
        '    | extend Finding = "Inbound allow rule from any source", Detail = strcat_array(WildcardRules, ", ")'
    )
    branches.append(
        f"{activity}\n    | where OperationNameValue in~ {_in_list(NSG_WRITES)}\n"
        '    | where ActivityStatusValue in~ ("Start", "Started")\n'
        "    | where isempty(tostring(Properties_d.requestbody))\n"
        '    | extend Finding = "NSG written, request body not recorded: source unverified"'
    )
    union = ",\n".join(f"    ({branch})" for branch in branches)
    return (
        f"union\n{union}\n"
        "| project TimeGenerated, Finding, Detail, OperationNameValue, ActivityStatusValue, Caller, CallerIpAddress, "
        "_ResourceId, ResourceGroup, CorrelationId"
    )


DECISIONS_QUERY = (
    f"{DECISION_TABLE}\n"
    "| project TimeGenerated, Decision, Reason, Requester, Approver, Vm, Port, SourceAddress, DurationMinutes, "
    "Justification, Channel, WorkflowRunId\n"
    "| order by TimeGenerated desc"
)

REFUSED_REQUESTS_QUERY = (
    f"{DECISION_TABLE}\n"
    '| where Decision !~ "Approved"\n'
    "| project TimeGenerated, Decision, Reason, Requester, Approver, Vm, Port, SourceAddress, DurationMinutes, "
    "WorkflowRunId\n"
    "| order by TimeGenerated desc"
)

DECISIONS_BY_APPROVER_QUERY = (
    f"{DECISION_TABLE}\n"
    "| where isnotempty(Approver)\n"
    '| summarize Approved = countif(Decision =~ "Approved"), Refused = countif(Decision !~ "Approved"), '
    "LastDecision = max(TimeGenerated) by Approver\n"
    "| order by Approved desc"
)

INITIATIONS_WITHOUT_APPROVAL_QUERY = (
    # The workflow writes its Approved record right after its initiate, naming the VM; an initiate with no
    # Approved record for that VM within 15 minutes was made around the workflow. The VM is read from the
    # request body of the start event; when the activity log kept none, the initiate is listed (unverified).
    "let approvals = " + DECISION_TABLE + "\n"
    '    | where Decision =~ "Approved"\n'
    "    | project ApprovedAt = TimeGenerated, Vm = tolower(Vm), Requester, Approver;\n"
    f"{AZURE_ACTIVITY}\n"
    f'| where OperationNameValue =~ "{JIT_INITIATE}"\n'
    "| extend RequestedVm = tolower(extract(@'(?i)/virtualmachines/([^/\"]+)', 1, "
    "tostring(Properties_d.requestbody)))\n"
    "| summarize arg_max(TimeGenerated, Caller, CallerIpAddress, _ResourceId, ActivityStatusValue), "
    "Vm = take_anyif(RequestedVm, isnotempty(RequestedVm)) by CorrelationId\n"
    "| join kind=leftouter approvals on Vm\n"
    "| extend Matched = isnotnull(ApprovedAt) and abs(TimeGenerated - ApprovedAt) <= 15m\n"
    "| summarize Approved = max(toint(Matched)) by TimeGenerated, CorrelationId, Caller, CallerIpAddress, "
    "_ResourceId, ActivityStatusValue, Vm\n"
    "| where Approved == 0\n"
    "| project-away Approved\n"
    "| order by TimeGenerated desc"
)


def saved_queries(requester_role: str | None = None) -> list[SavedQuery]:
    """The saved searches `JitAuditTrail` creates, in a stable order."""
    return [
        SavedQuery(
            "jit-initiations",
            "JIT: every access request (initiate)",
            "Every JIT initiate from the activity log, one row per request: who, from where, which policy, "
            "final status.",
            jit_initiations_query() + "\n| order by TimeGenerated desc",
        ),
        SavedQuery(
            "jit-privileged-changes",
            "JIT: changes that could widen access",
            "JIT policy writes and deletes, custom role changes, requester role assignments, and NSG "
            "allow rules from any source.",
            privileged_changes_query(requester_role) + "\n| order by TimeGenerated desc",
        ),
        SavedQuery(
            "jit-decisions",
            "JIT: every approval decision",
            "One row per request the approval workflow handled, approved or not.",
            DECISIONS_QUERY,
        ),
        SavedQuery(
            "jit-refused-requests",
            "JIT: refused requests",
            "Requests that were not approved: invalid, rejected, timed out, self-approval, failed.",
            REFUSED_REQUESTS_QUERY,
        ),
        SavedQuery(
            "jit-decisions-by-approver",
            "JIT: decisions by approver",
            "How many requests each approver approved and refused.",
            DECISIONS_BY_APPROVER_QUERY,
        ),
        SavedQuery(
            "jit-initiations-without-approval",
            "JIT: initiates with no approval record",
            "JIT initiates with no Approved decision for the same VM within 15 minutes: "
            "access opened around the approval workflow.",
            INITIATIONS_WITHOUT_APPROVAL_QUERY,
        ),
    ]
