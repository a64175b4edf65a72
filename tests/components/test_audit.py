"""JitAuditTrail on the mock engine: workspace, activity-log export, alerts, decision table, saved searches."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest
from pulumi_azure_native import monitor

from azure_jit_access import kql
from azure_jit_access.approval.approvers import Approver
from azure_jit_access.approval.audit import AUDIT_RECORD_ACTION, AUDIT_WRITE_ACTION
from azure_jit_access.approval.component import AllowedVm, JitApprovalWorkflow, JitApprovalWorkflowArgs
from azure_jit_access.approval.request import HttpTrigger
from azure_jit_access.audit import JitAuditTrail, JitAuditTrailArgs, resolve_audit_settings
from azure_jit_access.audit_table import DECISION_COLUMNS, _ingestion_url, record_stream_columns
from azure_jit_access.cli.preview.engine import run_inline

SUB = "00000000-0000-4000-8000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-jit"
WORKSPACE_ID = f"{RG}/providers/Microsoft.OperationalInsights/workspaces/audit-workspace"
ROLE_GUID = "0f6f5a9e-1111-4222-8333-444455556666"
EXISTING = f"/subscriptions/{SUB}/resourceGroups/rg-platform/providers/Microsoft.OperationalInsights/workspaces/law-sec"
WORKFLOW_PRINCIPAL = "77777777-8888-4999-8aaa-bbbbbbbbbbbb"
SQR = "azure-native:monitor:ScheduledQueryRule"
SEARCH = "azure-native:operationalinsights:SavedSearch"

INITIATE_ALERT_QUERY = """AzureActivity
| where ingestion_time() > ago(5m)
| where OperationNameValue =~ "MICROSOFT.SECURITY/LOCATIONS/JITNETWORKACCESSPOLICIES/INITIATE/ACTION"
| summarize arg_max(TimeGenerated, *) by CorrelationId
| project TimeGenerated, Caller, CallerIpAddress, _ResourceId, ResourceGroup, ActivityStatusValue, \
ActivitySubstatusValue, CorrelationId"""

CHANGE_ALERT_QUERY = (
    """union
    (AzureActivity
    | where ingestion_time() > ago(5m)
    | where OperationNameValue in~ ("MICROSOFT.SECURITY/LOCATIONS/JITNETWORKACCESSPOLICIES/WRITE", \
"MICROSOFT.SECURITY/LOCATIONS/JITNETWORKACCESSPOLICIES/DELETE")
    | extend Finding = "JIT policy written or deleted"),
    (AzureActivity
    | where ingestion_time() > ago(5m)
    | where OperationNameValue in~ ("MICROSOFT.AUTHORIZATION/ROLEDEFINITIONS/WRITE", \
"MICROSOFT.AUTHORIZATION/ROLEDEFINITIONS/DELETE")
    | extend Finding = "Custom role definition written or deleted"),
    (AzureActivity
    | where ingestion_time() > ago(5m)
    | where OperationNameValue in~ ("MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE", \
"MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/DELETE")
    | where tostring(Properties_d) contains "0f6f5a9e-1111-4222-8333-444455556666"
    | extend Finding = "Requester role assigned or unassigned"),
    (AzureActivity
    | where ingestion_time() > ago(5m)
    | where OperationNameValue in~ ("MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE", \
"MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WRITE")
    | extend Body = parse_json(tolower(tostring(Properties_d.requestbody)))
    | where isnotnull(Body)
    | extend Rules = iff(isnotnull(Body.properties.securityrules), Body.properties.securityrules, pack_array(Body))
    | mv-apply Rule = Rules on (
        where tostring(Rule.properties.access) == "allow" and tostring(Rule.properties.direction) == "inbound"
        | extend RuleSources = strcat(tostring(Rule.properties.sourceaddressprefix), ",", \
tostring(Rule.properties.sourceaddressprefixes))
        | where RuleSources matches regex @'"""
    + kql.WILDCARD_SOURCE_REGEX
    + """'
        | summarize WildcardRules = make_set(tostring(Rule.name))
    )
    | where array_length(WildcardRules) > 0
    | extend Finding = "Inbound allow rule from any source", Detail = strcat_array(WildcardRules, ", ")),
    (AzureActivity
    | where ingestion_time() > ago(5m)
    | where OperationNameValue in~ ("MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/WRITE", \
"MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WRITE")
    | where ActivityStatusValue in~ ("Start", "Started")
    | where isempty(tostring(Properties_d.requestbody))
    | extend Finding = "NSG written, request body not recorded: source unverified")
| project TimeGenerated, Finding, Detail, OperationNameValue, ActivityStatusValue, Caller, CallerIpAddress, \
_ResourceId, ResourceGroup, CorrelationId"""
)


def make_args(**change) -> JitAuditTrailArgs:
    values = dict(
        resource_group_name="rg-jit",
        location="westeurope",
        alert_emails=["secops@contoso.com", "oncall@contoso.com"],
        requester_role=ROLE_GUID,
    )
    values.update(change)
    return JitAuditTrailArgs(**values)


def deploy(args: JitAuditTrailArgs, principal: str | None = WORKFLOW_PRINCIPAL):
    def program():
        trail = JitAuditTrail("audit", args)
        if principal:
            trail.allow_ingestion("approvals", principal)
        pulumi.export(
            "sink",
            {
                "endpoint": trail.sink.logs_ingestion_endpoint,
                "dcr": trail.sink.dcr_immutable_id,
                "stream": trail.sink.stream_name,
            },
        )
        pulumi.export("queries", trail.query_names)
        pulumi.export("workspaceId", trail.workspace_id)

    return run_inline(program)


@pytest.fixture(scope="module")
def trail():
    return deploy(make_args())


@pytest.fixture(scope="module")
def existing():
    return deploy(
        make_args(
            existing_workspace_id=EXISTING,
            export_activity_log=False,
            requester_role=None,
            alert_frequency="PT15M",
            alert_window="PT1H",
            initiate_alert_severity=2,
            retain_audit_data=False,
        ),
        principal=None,
    )


def test_every_child_is_parented_to_the_component(trail):
    component = trail.one("azure-jit-access:audit:JitAuditTrail")
    children = trail.children_of(component.urn)
    assert len(children) == len(trail.resources) - 2  # all but the stack and the component
    assert sorted({r.type for r in children}) == [
        "azure-native:authorization:RoleAssignment",
        "azure-native:monitor:ActionGroup",
        "azure-native:monitor:DataCollectionEndpoint",
        "azure-native:monitor:DataCollectionRule",
        SQR,
        "azure-native:monitor:SubscriptionDiagnosticSetting",
        "azure-native:operationalinsights:SavedSearch",
        "azure-native:operationalinsights:Table",
        "azure-native:operationalinsights:Workspace",
    ]


def test_workspace_keeps_90_days_accepts_no_shared_keys_and_survives_destroy(trail):
    workspace = trail.one("azure-native:operationalinsights:Workspace")
    assert workspace.inputs["sku"] == {"name": "PerGB2018"}
    assert workspace.inputs["retentionInDays"] == 90
    assert workspace.inputs["features"] == {"disableLocalAuth": True}
    assert workspace.inputs["location"] == "westeurope"
    assert workspace.options["retainOnDelete"] is True
    assert trail.outputs["workspaceId"] == WORKSPACE_ID


def test_retention_is_configurable():
    result = deploy(make_args(retention_in_days=365), principal=None)
    workspace = result.one("azure-native:operationalinsights:Workspace")
    assert workspace.inputs["retentionInDays"] == 365


def test_activity_log_administrative_and_security_categories_go_to_the_workspace(trail):
    setting = trail.one("azure-native:monitor:SubscriptionDiagnosticSetting")
    assert setting.inputs["workspaceId"] == WORKSPACE_ID
    assert setting.inputs["logs"] == [
        {"category": "Administrative", "enabled": True},
        {"category": "Security", "enabled": True},
    ]


def test_action_group_mails_every_configured_address(trail):
    group = trail.one("azure-native:monitor:ActionGroup")
    assert group.inputs["emailReceivers"] == [
        {"name": "audit-email-1", "emailAddress": "secops@contoso.com", "useCommonAlertSchema": True},
        {"name": "audit-email-2", "emailAddress": "oncall@contoso.com", "useCommonAlertSchema": True},
    ]
    assert group.inputs["groupShortName"] == "jitaudit"
    assert group.inputs["location"] == "Global"
    assert group.inputs["enabled"] is True


REFERENCES = Path(__file__).resolve().parents[2] / "references"


def _schema_operator_enum() -> list[str]:
    schema = json.loads((REFERENCES / "arm-schemas/2025-01-01-preview/Microsoft.Insights.json").read_text())
    return schema["definitions"]["Condition"]["properties"]["operator"]["oneOf"][0]["enum"]


def _condition(alert):
    [condition] = alert.inputs["criteria"]["allOf"]
    return condition


def test_initiate_alert_runs_the_exact_initiate_query_every_5_minutes(trail):
    alert = trail.one(SQR, "audit-initiate-alert")
    condition = _condition(alert)
    assert condition["query"] == INITIATE_ALERT_QUERY
    assert kql.JIT_INITIATE in condition["query"]
    # scheduledQueryRules 2025-01-01-preview criteria.allOf[].operator enum (vendored ARM schema), not the SDK's "gt".
    assert condition["operator"] in _schema_operator_enum() and condition["operator"] == "GreaterThan"
    assert condition["timeAggregation"] == "Count" and condition["threshold"] == 0
    assert [d["name"] for d in condition["dimensions"]] == ["Caller", "CorrelationId"]
    assert all(d["operator"] == "Include" and d["values"] == ["*"] for d in condition["dimensions"])
    assert alert.inputs["scopes"] == [WORKSPACE_ID]
    assert alert.inputs["evaluationFrequency"] == "PT5M"
    assert alert.inputs["windowSize"] == "PT30M"
    assert alert.inputs["kind"] == "LogAlert" and alert.inputs["enabled"] is True
    assert alert.inputs["autoMitigate"] is False  # stateless: every initiate alerts, not only the first
    assert alert.inputs["severity"] == 3
    group = trail.one("azure-native:monitor:ActionGroup")
    assert alert.inputs["actions"] == {"actionGroups": [group.outputs["id"]]}


def test_change_alert_runs_the_exact_changes_query(trail):
    alert = trail.one(SQR, "audit-change-alert")
    condition = _condition(alert)
    assert condition["query"] == CHANGE_ALERT_QUERY
    assert [d["name"] for d in condition["dimensions"]] == ["Finding", "CorrelationId"]
    assert alert.inputs["severity"] == 1
    assert alert.inputs["autoMitigate"] is False
    assert alert.inputs["scopes"] == [WORKSPACE_ID]


def test_alert_frequency_window_and_severity_are_configurable(existing):
    alert = existing.one(SQR, "audit-initiate-alert")
    assert alert.inputs["evaluationFrequency"] == "PT15M"
    assert alert.inputs["windowSize"] == "PT1H"
    assert alert.inputs["severity"] == 2
    assert "| where ingestion_time() > ago(15m)\n" in _condition(alert)["query"]
    change = _condition(existing.one(SQR, "audit-change-alert"))["query"]
    assert "ROLEASSIGNMENTS" not in change  # no requester role given: nothing to match assignments on


def test_decision_table_has_an_explicit_schema(trail):
    table = trail.one("azure-native:operationalinsights:Table")
    assert table.inputs["tableName"] == "JitAccessDecisions_CL"
    assert table.inputs["workspaceName"] == "audit-workspace"
    assert table.inputs["plan"] == "Analytics"
    columns = table.inputs["schema"]["columns"]
    assert [(c["name"], c["type"]) for c in columns] == [
        ("TimeGenerated", "dateTime"),
        ("Decision", "string"),
        ("Reason", "string"),
        ("Requester", "string"),
        ("RequesterObjectId", "string"),
        ("Approver", "string"),
        ("ApproverObjectId", "string"),
        ("Vm", "string"),
        ("Port", "int"),
        ("SourceAddress", "string"),
        ("DurationMinutes", "int"),
        ("Justification", "string"),
        ("Channel", "string"),
        ("WorkflowRunId", "string"),
    ]
    assert all(c["description"] for c in columns)
    assert table.options["retainOnDelete"] is True


def test_dcr_streams_the_record_through_the_dce_into_the_table(trail):
    rule = trail.one("azure-native:monitor:DataCollectionRule")
    endpoint = trail.one("azure-native:monitor:DataCollectionEndpoint")
    table = trail.one("azure-native:operationalinsights:Table")
    assert rule.inputs["dataCollectionEndpointId"] == endpoint.outputs["id"]
    stream = rule.inputs["streamDeclarations"]["Custom-JitAccessDecisions_CL"]["columns"]
    assert {c["name"]: c["type"] for c in stream} == record_stream_columns()
    assert rule.inputs["destinations"] == {
        "logAnalytics": [{"name": "decisionWorkspace", "workspaceResourceId": WORKSPACE_ID}]
    }
    [flow] = rule.inputs["dataFlows"]
    assert flow["streams"] == ["Custom-JitAccessDecisions_CL"]
    assert flow["outputStream"] == "Custom-JitAccessDecisions_CL"
    assert flow["destinations"] == ["decisionWorkspace"]
    assert flow["transformKql"].startswith("source\n| project TimeGenerated, Decision, Reason,")
    assert table.urn in rule.options["dependsOn"]  # Azure refuses a rule whose output table does not exist yet


def test_sink_points_at_the_dce_endpoint_and_the_dcr_immutable_id(trail):
    endpoint = trail.one("azure-native:monitor:DataCollectionEndpoint")
    rule = trail.one("azure-native:monitor:DataCollectionRule")
    assert trail.outputs["sink"] == {
        "endpoint": endpoint.outputs["logsIngestion"]["endpoint"],
        "dcr": rule.outputs["immutableId"],
        "stream": "Custom-JitAccessDecisions_CL",
    }


def test_allow_ingestion_grants_monitoring_metrics_publisher_on_the_rule_only(trail):
    assignment = trail.one("azure-native:authorization:RoleAssignment")
    rule = trail.one("azure-native:monitor:DataCollectionRule")
    assert assignment.name == "audit-approvals-ingestion"
    assert assignment.inputs["scope"] == rule.outputs["id"]
    assert assignment.inputs["roleDefinitionId"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/3913510d-42f4-4e42-8a64-420c390055eb"
    )
    assert assignment.inputs["principalId"] == WORKFLOW_PRINCIPAL
    assert assignment.inputs["principalType"] == "ServicePrincipal"


def test_every_query_is_a_saved_search_and_a_stack_output(trail):
    searches = {r.inputs["savedSearchId"]: r for r in trail.find(SEARCH)}
    expected = {f"audit-{q.name}": q for q in kql.saved_queries(ROLE_GUID)}
    assert sorted(searches) == sorted(expected)
    assert trail.outputs["queries"] == list(expected)
    for search_id, search in searches.items():
        assert search.inputs["query"] == expected[search_id].text
        assert search.inputs["displayName"] == expected[search_id].display_name
        assert search.inputs["category"] == "JIT access audit"
        assert search.inputs["workspaceName"] == "audit-workspace"


def test_existing_workspace_is_used_as_is(existing):
    assert existing.find("azure-native:operationalinsights:Workspace") == []
    assert existing.find("azure-native:monitor:SubscriptionDiagnosticSetting") == []
    assert existing.outputs["workspaceId"] == EXISTING
    table = existing.one("azure-native:operationalinsights:Table")
    assert (table.inputs["resourceGroupName"], table.inputs["workspaceName"]) == ("rg-platform", "law-sec")
    assert table.options["retainOnDelete"] is False
    assert {(s.inputs["resourceGroupName"], s.inputs["workspaceName"]) for s in existing.find(SEARCH)} == {
        ("rg-platform", "law-sec")
    }
    assert existing.one(SQR, "audit-initiate-alert").inputs["scopes"] == [EXISTING]
    assert (
        existing.one("azure-native:monitor:DataCollectionRule").inputs["destinations"]["logAnalytics"][0][
            "workspaceResourceId"
        ]
        == EXISTING
    )


def test_workflow_writes_its_decision_record_to_the_trail_with_its_managed_identity():
    role = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ROLE_GUID}"
    vm_id = f"/subscriptions/{SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-vm"

    def program():
        trail = JitAuditTrail("audit", make_args())
        workflow = JitApprovalWorkflow(
            "approvals",
            JitApprovalWorkflowArgs(
                resource_group_name="rg-jit",
                location="westeurope",
                tenant_id="00000000-0000-4000-8000-000000000002",
                approvers=[Approver("5ec0f500-0000-4000-8000-0000000005ec", "Group", "secops@contoso.com")],
                allowed_vms=[AllowedVm("web-vm", vm_id, "rg-web", "default", "westeurope", [22], 60)],
                source_prefixes=["20.50.1.0/28"],
                requester_role_definition_id=role,
                http=HttpTrigger("api://jit-approvals"),
                audit=trail.sink,
            ),
        )
        trail.allow_ingestion("approvals", workflow.principal_id)
        pulumi.export("principal", workflow.principal_id)

    result = run_inline(program)
    workflow = result.one("azure-native:logic:Workflow")
    actions = workflow.inputs["definition"]["actions"]
    write = actions[AUDIT_WRITE_ACTION]
    assert write["type"] == "Http" and write["inputs"]["method"] == "POST"
    assert write["inputs"]["authentication"] == {
        "type": "ManagedServiceIdentity",
        "audience": "https://monitor.azure.com/",
    }
    assert write["runAfter"] == {AUDIT_RECORD_ACTION: ["Succeeded"]}
    # The record is composed after the decision, whatever its outcome, and has exactly the stream's columns.
    assert set(actions[AUDIT_RECORD_ACTION]["runAfter"]["Request_is_valid"]) >= {"Succeeded", "Failed", "Skipped"}
    assert set(actions[AUDIT_RECORD_ACTION]["inputs"]) == {c.name for c in DECISION_COLUMNS}
    endpoint = result.one("azure-native:monitor:DataCollectionEndpoint").outputs["logsIngestion"]["endpoint"]
    immutable_id = result.one("azure-native:monitor:DataCollectionRule").outputs["immutableId"]
    assert workflow.inputs["parameters"]["auditIngestionUri"]["value"] == (
        f"{endpoint}/dataCollectionRules/{immutable_id}/streams/Custom-JitAccessDecisions_CL?api-version=2023-01-01"
    )
    ingestion = result.one("azure-native:authorization:RoleAssignment", "audit-approvals-ingestion")
    assert ingestion.inputs["principalId"] == result.outputs["principal"]
    assert ingestion.inputs["scope"] == result.one("azure-native:monitor:DataCollectionRule").outputs["id"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"alert_emails": []}, "alert_emails: give at least one address"),
        ({"alert_emails": "secops@contoso.com"}, "alert_emails: give at least one address"),
        ({"alert_emails": ["secops"]}, r"alert_emails\[0\]: 'secops' is not an e-mail address"),
        ({"alert_emails": ["a@contoso.com", "A@contoso.com"]}, r"alert_emails\[1\]: 'A@contoso.com' is listed twice"),
        ({"retention_in_days": 29}, "retention_in_days: 29; a PerGB2018 workspace keeps data 30 to 730 days"),
        ({"retention_in_days": 731}, "retention_in_days: 731"),
        ({"existing_workspace_id": EXISTING, "retention_in_days": 60}, "only applies to a workspace this component"),
        ({"existing_workspace_id": "law-sec"}, "existing_workspace_id: 'law-sec' is not a workspace id"),
        ({"alert_frequency": "5 minutes"}, "alert_frequency: '5 minutes' is not an ISO 8601 duration"),
        ({"alert_frequency": "PT30S"}, "alert_frequency: 'PT30S' is not an ISO 8601 duration of whole minutes"),
        ({"alert_frequency": "P2D", "alert_window": "P2D"}, "alert_frequency: P2D is 2880 minutes"),
        ({"alert_window": "P3D"}, "alert_window: P3D is 4320 minutes"),
        ({"alert_frequency": "PT15M", "alert_window": "PT5M"}, "alert_window: PT5M is shorter than alert_frequency"),
        ({"initiate_alert_severity": 5}, "initiate_alert_severity: 5; alert severity is an integer from 0"),
        ({"change_alert_severity": "1"}, "change_alert_severity"),
        ({"action_group_short_name": "jit-audit-trail"}, "action_group_short_name: 'jit-audit-trail'"),
        ({"requester_role": "JIT requester"}, "requester_role: 'JIT requester' is not a GUID"),
        ({"tags": {"env": 1}}, "tags must map strings to strings"),
    ],
)
def test_invalid_arguments_are_refused_before_anything_is_created(change, message):
    with pytest.raises(ValueError, match=message):
        resolve_audit_settings(make_args(**change))


def test_a_bad_argument_fails_the_program_with_the_field_named():
    with pytest.raises(Exception, match="alert_emails: give at least one address"):
        run_inline(lambda: JitAuditTrail("audit", make_args(alert_emails=[])))


def test_defaults_resolve_to_the_documented_settings():
    settings = resolve_audit_settings(make_args(alert_emails=[" secops@contoso.com "]))
    assert settings.alert_emails == ("secops@contoso.com",)
    assert settings.retention_in_days == 90
    assert (settings.frequency_minutes, settings.window_minutes) == (5, 30)
    assert settings.requester_role_guid == ROLE_GUID


def test_the_sink_url_is_the_endpoint_logs_ingestion_url_and_its_absence_a_clear_error():
    # Without it the workflow would post its decision records to "None/dataCollectionRules/...".
    endpoint = "https://dce-1.westeurope-1.ingest.monitor.azure.com"
    assert _ingestion_url(monitor.outputs.DataCollectionEndpointResponseLogsIngestion(endpoint=endpoint)) == endpoint
    for logs in (None, monitor.outputs.DataCollectionEndpointResponseLogsIngestion(endpoint=None)):
        with pytest.raises(ValueError, match="returned no logsIngestion.endpoint"):
            _ingestion_url(logs)
