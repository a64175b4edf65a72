"""The decision table: `JitAccessDecisions_CL`, and the data collection endpoint and rule that fill it.

The approval workflow POSTs one JSON record per decision (approved or not) to the Logs Ingestion API
(`components/audit_sink.py`). The record's fields arrive as text (Logic Apps interpolates every value); the
rule's transformation turns `Port` and `DurationMinutes` into numbers, so the table can be summed and
compared. Records cannot be edited afterwards: Log Analytics has no update API, and the workflow's identity
only gets "Monitoring Metrics Publisher" on this one rule (it can add records, not read or delete them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, monitor, operationalinsights

from azure_jit_access.rules.names import role_assignment_name

DECISION_TABLE = "JitAccessDecisions_CL"
DECISION_STREAM = f"Custom-{DECISION_TABLE}"
"""The DCR input stream; also the output stream, because custom tables are written as `Custom-<table>`."""
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
"""Built-in role that may send data to a data collection rule (Logs Ingestion API)."""


@dataclass(frozen=True)
class DecisionColumn:
    """One column of the decision table."""

    name: str
    kql_type: str
    """Its type in the table and in queries: string, int or datetime."""
    description: str


DECISION_COLUMNS: tuple[DecisionColumn, ...] = (
    DecisionColumn("TimeGenerated", "datetime", "When the workflow recorded the decision (UTC)."),
    DecisionColumn(
        "Decision",
        "string",
        "Approved, Rejected, TimedOut, SelfApprovalBlocked, NotAnApprover, ApproverUnverified, Invalid, "
        "InitiateFailed or Error.",
    ),
    DecisionColumn("Reason", "string", "Why: the validation failure, who approved or rejected, or the error."),
    DecisionColumn("Requester", "string", "Who asked (the signed-in user's UPN or e-mail)."),
    DecisionColumn("RequesterObjectId", "string", "The requester's Entra ID object id, when the trigger had one."),
    DecisionColumn("Approver", "string", "Who answered the approval e-mail; empty when nobody did."),
    DecisionColumn(
        "ApproverObjectId", "string", "The responder's Entra object id, resolved through Microsoft Graph; empty if not."
    ),
    DecisionColumn("Vm", "string", "The VM the request named."),
    DecisionColumn("Port", "int", "The requested port."),
    DecisionColumn("SourceAddress", "string", "The address the port was (or would have been) opened to."),
    DecisionColumn("DurationMinutes", "int", "The requested duration in minutes."),
    DecisionColumn("Justification", "string", "The requester's justification."),
    DecisionColumn("Channel", "string", "How the request came in (form or HTTP)."),
    DecisionColumn("WorkflowRunId", "string", "The Logic App run: its history has every step of this request."),
)
"""The table's columns, in order; the workflow's record has the same names."""

DECISION_COLUMN_TYPES: dict[str, str] = {column.name: column.kql_type for column in DECISION_COLUMNS}

_TABLE_TYPES = {"string": "string", "int": "int", "datetime": "dateTime"}
"""KQL type -> the Tables API spelling."""


def record_stream_columns() -> dict[str, str]:
    """The record as the workflow sends it: TimeGenerated a date, everything else text."""
    return {column.name: "datetime" if column.kql_type == "datetime" else "string" for column in DECISION_COLUMNS}


def decision_transform_kql() -> str:
    """The DCR transformation: the record's text fields, with the numeric ones converted."""
    fields = [f"{c.name} = toint({c.name})" if c.kql_type == "int" else c.name for c in DECISION_COLUMNS]
    return "source\n| project " + ", ".join(fields)


@dataclass
class DecisionIngestion:
    """What `create_decision_ingestion` made."""

    table: operationalinsights.Table
    endpoint: monitor.DataCollectionEndpoint
    rule: monitor.DataCollectionRule
    logs_ingestion_endpoint: pulumi.Output[str]
    rule_immutable_id: pulumi.Output[str]


def create_decision_ingestion(
    name: str,
    parent: pulumi.Resource,
    *,
    resource_group_name: pulumi.Input[str],
    location: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    workspace_resource_group_name: pulumi.Input[str],
    workspace_name: pulumi.Input[str],
    retain_on_delete: bool,
    tags: Mapping[str, str] | None,
) -> DecisionIngestion:
    """The custom table in the workspace, and a DCE + DCR whose one stream writes to it.

    The rule is created after the table: Azure refuses a rule whose output stream has no table yet.
    """
    table = operationalinsights.Table(
        f"{name}-decisions",
        resource_group_name=workspace_resource_group_name,
        workspace_name=workspace_name,
        table_name=DECISION_TABLE,
        plan=operationalinsights.TablePlanEnum.ANALYTICS,
        schema=operationalinsights.SchemaArgs(
            name=DECISION_TABLE,
            description="One record per JIT access request the approval workflow decided, approved or not.",
            columns=[
                operationalinsights.ColumnArgs(name=c.name, type=_TABLE_TYPES[c.kql_type], description=c.description)
                for c in DECISION_COLUMNS
            ],
        ),
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=retain_on_delete),
    )
    endpoint = monitor.DataCollectionEndpoint(
        f"{name}-dce",
        resource_group_name=resource_group_name,
        location=location,
        description="Logs Ingestion API endpoint the JIT approval workflow sends its decision records to.",
        network_acls=monitor.DataCollectionEndpointNetworkAclsArgs(public_network_access="Enabled"),
        tags=dict(tags) if tags else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    destination = "decisionWorkspace"
    rule = monitor.DataCollectionRule(
        f"{name}-dcr",
        resource_group_name=resource_group_name,
        location=location,
        description=f"JIT approval decisions -> {DECISION_TABLE}",
        data_collection_endpoint_id=endpoint.id,
        stream_declarations={
            DECISION_STREAM: monitor.StreamDeclarationArgs(
                columns=[
                    monitor.ColumnDefinitionArgs(name=column, type=kind)
                    for column, kind in record_stream_columns().items()
                ]
            )
        },
        destinations=monitor.DataCollectionRuleDestinationsArgs(
            log_analytics=[monitor.LogAnalyticsDestinationArgs(name=destination, workspace_resource_id=workspace_id)]
        ),
        data_flows=[
            monitor.DataFlowArgs(
                streams=[DECISION_STREAM],
                destinations=[destination],
                transform_kql=decision_transform_kql(),
                output_stream=DECISION_STREAM,
            )
        ],
        tags=dict(tags) if tags else None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[table]),
    )
    ingestion_url = endpoint.logs_ingestion.apply(_ingestion_url)
    return DecisionIngestion(
        table=table,
        endpoint=endpoint,
        rule=rule,
        logs_ingestion_endpoint=ingestion_url,
        rule_immutable_id=rule.immutable_id,
    )


def _ingestion_url(logs: monitor.outputs.DataCollectionEndpointResponseLogsIngestion | None) -> str:
    """The endpoint's logs ingestion URL, which Azure returns for every data collection endpoint it creates."""
    if logs is None or not logs.endpoint:
        # Fail here rather than let the approval workflow post its audit records to a URL starting "None/".
        raise ValueError("the data collection endpoint returned no logsIngestion.endpoint to send audit records to")
    return logs.endpoint


def grant_ingestion(
    resource_name: str, parent: pulumi.Resource, rule: monitor.DataCollectionRule, principal_id: pulumi.Input[str]
) -> authorization.RoleAssignment:
    """Monitoring Metrics Publisher for one identity on the rule only: it may append records, nothing else."""
    role_definition_id = rule.id.apply(
        lambda rule_id: (
            "/".join(rule_id.split("/")[:3])
            + f"/providers/Microsoft.Authorization/roleDefinitions/{MONITORING_METRICS_PUBLISHER}"
        )
    )
    # Role assignment names are GUIDs; derived from (scope, role, principal) as every writer derives them.
    assignment_name = pulumi.Output.all(rule.id, principal_id).apply(
        lambda values: role_assignment_name(values[0], MONITORING_METRICS_PUBLISHER, values[1])
    )
    return authorization.RoleAssignment(
        resource_name,
        role_assignment_name=assignment_name,
        principal_id=principal_id,
        principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
        role_definition_id=role_definition_id,
        scope=rule.id,
        description="May send JIT decision records to the audit trail (Logs Ingestion API).",
        # Deleted before its replacement: Azure allows one assignment per (scope, role, principal).
        opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=True),
    )
