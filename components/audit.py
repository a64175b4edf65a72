"""`JitAuditTrail`: the activity log in Log Analytics, alerts on every JIT initiate and on risky changes,
the approval workflow's decision table, and the queries to read it all, as saved searches.

What is recorded where (more in docs/audit.md):
- `AzureActivity` (activity log, Administrative and Security categories): every `initiate` call (who, from
  which IP, on which policy, its status), and every write to JIT policies, NSGs and roles.
- `JitAccessDecisions_CL`: one record per request the approval workflow decided, approved or not (requester,
  approver, VM, port, source, duration, decision, reason), written with the workflow's managed identity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, monitor, operationalinsights

from azure_jit_access import kql, type_tokens, validation
from azure_jit_access.aliases import with_alias_pruning
from azure_jit_access.audit_sink import AuditSink
from azure_jit_access.audit_table import DECISION_STREAM, DECISION_TABLE, create_decision_ingestion, grant_ingestion
from azure_jit_access.control_alerts import control_changes_query, initiate_outside_workflow_query
from azure_jit_access.rules.durations import whole_minutes
from azure_jit_access.rules.emails import is_email

DEFAULT_RETENTION_DAYS = 90
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 30, 730
"""Analytics retention a PerGB2018 workspace accepts."""
ACTIVITY_LOG_CATEGORIES = ("Administrative", "Security")
"""Administrative holds every write, delete and action through ARM (JIT initiate included)."""
QUERY_CATEGORY = "JIT access audit"
MAX_FREQUENCY_MINUTES = 24 * 60
MAX_WINDOW_MINUTES = 2 * 24 * 60
_WORKSPACE_ID = re.compile(
    r"^/subscriptions/(?P<sub>[0-9a-fA-F-]{36})/resourceGroups/(?P<rg>[^/]+)/providers/"
    r"Microsoft\.OperationalInsights/workspaces/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
_SHORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,11}$")


@dataclass
class JitAuditTrailArgs:
    """Arguments of `JitAuditTrail`."""

    resource_group_name: pulumi.Input[str]
    """Resource group for the workspace (when created), alerts, action group, DCE and DCR."""
    location: pulumi.Input[str]
    """Region of the new workspace, DCE, DCR and alert rules (with an existing workspace: its region)."""
    alert_emails: Sequence[str]
    """Who is e-mailed on every initiate and every risky change (at least one)."""
    existing_workspace_id: str | None = None
    """Use this workspace (its ARM id) instead of creating one; its retention is then its owner's business."""
    retention_in_days: int | None = None
    """Retention of the new workspace, 30..730 days; default 90."""
    alert_frequency: str = "PT5M"
    """How often the alert queries run (ISO 8601, whole minutes, PT1M..P1D)."""
    alert_window: str = "PT30M"
    """How far back they look (ISO 8601, at least the frequency, at most P2D). Longer than the frequency, so
    events that reach the workspace late are still seen; each is reported once (docs/audit.md, Alerts)."""
    initiate_alert_severity: int = 3
    """Severity of the initiate alert, 0 (critical) to 4 (verbose)."""
    change_alert_severity: int = 1
    """Severity of the risky-change alert."""
    requester_role: str | None = None
    """The JIT requester role's GUID (or definition id): its assignments are reported as risky changes."""
    export_activity_log: bool = True
    """Create the subscription diagnostic setting; turn off when the activity log already goes to this workspace
    (Azure refuses a second setting sending the same category to the same workspace)."""
    retain_audit_data: bool = True
    """Keep the workspace and decision table on `pulumi destroy`: tearing down a stack must not erase its trail."""
    action_group_short_name: str = "jitaudit"
    """Sender name in SMS and e-mail (at most 12 characters)."""
    tags: Mapping[str, str] | None = None
    keep_api_version_aliases: bool = False
    """Keep the SDK's API-version aliases (only for stacks created with versioned type tokens)."""


@dataclass(frozen=True)
class ExistingWorkspace:
    """A Log Analytics workspace the trail uses instead of creating one."""

    id: str
    resource_group: str
    name: str


@dataclass(frozen=True)
class AuditSettings:
    """Validated `JitAuditTrailArgs`."""

    alert_emails: tuple[str, ...]
    retention_in_days: int | None
    existing_workspace: ExistingWorkspace | None
    """Parsed from `existing_workspace_id`; None when the trail creates its workspace."""
    frequency_minutes: int
    window_minutes: int
    requester_role_guid: str | None
    tags: dict[str, str]


def _minutes(value: object, field: str, low: int, high: int) -> int:
    try:
        minutes = whole_minutes(value)
    except ValueError:
        minutes = 0
    if minutes <= 0:
        raise ValueError(f"{field}: {value!r} is not an ISO 8601 duration of whole minutes such as 'PT5M' or 'PT1H'")
    if not low <= minutes <= high:
        raise ValueError(f"{field}: {value} is {minutes} minutes; log search alerts accept {low} to {high} minutes")
    return minutes


def _severity(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 4:
        raise ValueError(f"{field}: {value!r}; alert severity is an integer from 0 (critical) to 4 (verbose)")
    return value


def resolve_audit_settings(args: JitAuditTrailArgs) -> AuditSettings:
    """Validate the arguments; raises `ValueError` naming the field. Creates nothing."""
    emails = args.alert_emails
    if isinstance(emails, str) or not isinstance(emails, Sequence) or not emails:
        raise ValueError(
            "alert_emails: give at least one address to notify on every JIT initiate, e.g. "
            "['secops@contoso.com']; an alert nobody receives is no alert"
        )
    seen: list[str] = []
    for index, email in enumerate(emails):
        if not isinstance(email, str) or not is_email(email.strip()):
            raise ValueError(f"alert_emails[{index}]: {email!r} is not an e-mail address such as 'secops@contoso.com'")
        if email.strip().lower() in (s.lower() for s in seen):
            raise ValueError(f"alert_emails[{index}]: '{email}' is listed twice")
        seen.append(email.strip())
    existing: ExistingWorkspace | None = None
    retention = args.retention_in_days
    if args.existing_workspace_id is not None:
        match = _WORKSPACE_ID.match(str(args.existing_workspace_id).strip())
        if not match:
            raise ValueError(
                f"existing_workspace_id: {args.existing_workspace_id!r} is not a workspace id; expected "
                "/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.OperationalInsights/"
                "workspaces/<name>"
            )
        if retention is not None:
            raise ValueError(
                "retention_in_days: only applies to a workspace this component creates; set the "
                "retention of the existing workspace where it is managed, or drop existing_workspace_id"
            )
        existing = ExistingWorkspace(id=match.group(0), resource_group=match["rg"], name=match["name"])
    else:
        retention = DEFAULT_RETENTION_DAYS if retention is None else retention
        if (
            not isinstance(retention, int)
            or isinstance(retention, bool)
            or not MIN_RETENTION_DAYS <= retention <= MAX_RETENTION_DAYS
        ):
            raise ValueError(
                f"retention_in_days: {retention!r}; a PerGB2018 workspace keeps data "
                f"{MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days (default {DEFAULT_RETENTION_DAYS})"
            )
    frequency = _minutes(args.alert_frequency, "alert_frequency", 1, MAX_FREQUENCY_MINUTES)
    window = _minutes(args.alert_window, "alert_window", 1, MAX_WINDOW_MINUTES)
    if window < frequency:
        raise ValueError(
            f"alert_window: {args.alert_window} is shorter than alert_frequency "
            f"{args.alert_frequency}; events between two runs would never be looked at"
        )
    _severity(args.initiate_alert_severity, "initiate_alert_severity")
    _severity(args.change_alert_severity, "change_alert_severity")
    if not isinstance(args.action_group_short_name, str) or not _SHORT_NAME.match(args.action_group_short_name):
        raise ValueError(
            f"action_group_short_name: {args.action_group_short_name!r}; use 1 to 12 letters, digits, "
            "spaces, '-' or '_'"
        )
    role = kql.requester_role_guid(args.requester_role) if args.requester_role is not None else None
    return AuditSettings(
        alert_emails=tuple(seen),
        retention_in_days=retention,
        existing_workspace=existing,
        frequency_minutes=frequency,
        window_minutes=window,
        requester_role_guid=role,
        tags=validation.validate_tags(args.tags),
    )


class JitAuditTrail(pulumi.ComponentResource):
    """The audit trail of JIT access: who asked, who approved, what opened; alerts on every initiate.

    Example:
        audit = JitAuditTrail("audit", JitAuditTrailArgs(resource_group_name=rg.name, location="westeurope",
                                                         alert_emails=["secops@contoso.com"]))
        workflow = JitApprovalWorkflow("approvals", ..., audit=audit.sink)
        audit.allow_ingestion("approvals", workflow.principal_id)
    """

    workspace_id: pulumi.Output[str]
    workspace_customer_id: pulumi.Output[str] | None
    """The workspace's GUID (for queries by API); None for an existing workspace."""
    action_group_id: pulumi.Output[str]
    initiate_alert_id: pulumi.Output[str]
    change_alert_id: pulumi.Output[str]
    data_collection_rule_id: pulumi.Output[str]
    decision_table: str
    query_names: list[str]
    """The saved searches' ids (category "JIT access audit" in the workspace)."""
    sink: AuditSink
    """Where the approval workflow writes its decision records."""

    def __init__(self, name: str, args: JitAuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = resolve_audit_settings(args)
        super().__init__(
            type_tokens.JIT_AUDIT_TRAIL, name, None, with_alias_pruning(opts, args.keep_api_version_aliases)
        )
        self._name = name
        self._settings = settings
        self._args = args
        tags = settings.tags or None
        child = pulumi.ResourceOptions(parent=self)
        existing = settings.existing_workspace
        if existing is None:
            workspace = operationalinsights.Workspace(
                f"{name}-workspace",
                resource_group_name=args.resource_group_name,
                location=args.location,
                sku=operationalinsights.WorkspaceSkuArgs(name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018),
                retention_in_days=settings.retention_in_days,
                # Shared-key writes (the legacy Data Collector API) could forge decision records; only Entra
                # identities with a role on the DCR may write.
                features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True),
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_audit_data),
            )
            self.workspace_id = workspace.id
            self.workspace_customer_id = workspace.customer_id
            workspace_rg: pulumi.Input[str] = args.resource_group_name
            workspace_name: pulumi.Input[str] = workspace.name
        else:
            self.workspace_id = pulumi.Output.from_input(existing.id)
            self.workspace_customer_id = None
            workspace_rg, workspace_name = existing.resource_group, existing.name

        if args.export_activity_log:
            monitor.SubscriptionDiagnosticSetting(
                f"{name}-activity-log",
                name=f"{name}-jit-audit",
                workspace_id=self.workspace_id,
                logs=[
                    monitor.SubscriptionLogSettingsArgs(category=category, enabled=True)
                    for category in ACTIVITY_LOG_CATEGORIES
                ],
                opts=child,
            )

        action_group = monitor.ActionGroup(
            f"{name}-alerts",
            resource_group_name=args.resource_group_name,
            location="Global",
            group_short_name=args.action_group_short_name,
            enabled=True,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name=f"audit-email-{index + 1}", email_address=email, use_common_alert_schema=True
                )
                for index, email in enumerate(settings.alert_emails)
            ],
            tags=tags,
            opts=child,
        )
        self.action_group_id = action_group.id
        self._action_group = action_group
        since = kql.kql_timespan(settings.frequency_minutes)
        self.initiate_alert_id = self._alert(
            "initiate-alert",
            args,
            action_group,
            "JIT access initiated",
            "Every JIT initiate (approved by the workflow or not): who, from which IP, which policy, status.",
            kql.jit_initiations_query(since=since),
            args.initiate_alert_severity,
            ["Caller", "CorrelationId"],
        )
        self.change_alert_id = self._alert(
            "change-alert",
            args,
            action_group,
            "JIT access could have been widened",
            "JIT policy or custom role changes, requester role assignments, NSG allow rules from any source.",
            kql.privileged_changes_query(settings.requester_role_guid, since=since),
            args.change_alert_severity,
            ["Finding", "CorrelationId"],
        )

        ingestion = create_decision_ingestion(
            name,
            self,
            resource_group_name=args.resource_group_name,
            location=args.location,
            workspace_id=self.workspace_id,
            workspace_resource_group_name=workspace_rg,
            workspace_name=workspace_name,
            retain_on_delete=args.retain_audit_data,
            tags=tags,
        )
        self._rule = ingestion.rule
        self.data_collection_rule_id = ingestion.rule.id
        self.decision_table = DECISION_TABLE
        self.sink = AuditSink(
            logs_ingestion_endpoint=ingestion.logs_ingestion_endpoint,
            dcr_immutable_id=ingestion.rule_immutable_id,
            stream_name=DECISION_STREAM,
        )

        self.query_names = []
        for query in kql.saved_queries(settings.requester_role_guid):
            search_id = f"{name}-{query.name}"  # prefixed: several trails may share one workspace
            operationalinsights.SavedSearch(
                search_id,
                resource_group_name=workspace_rg,
                workspace_name=workspace_name,
                saved_search_id=search_id,
                category=QUERY_CATEGORY,
                display_name=query.display_name,
                query=query.text,
                version=2,
                # A decision query must never exist before its table (it would fail for whoever runs it).
                opts=pulumi.ResourceOptions(parent=self, depends_on=[ingestion.table]),
            )
            self.query_names.append(search_id)
        self.register_outputs(
            {
                "workspaceId": self.workspace_id,
                "actionGroupId": self.action_group_id,
                "initiateAlertId": self.initiate_alert_id,
                "changeAlertId": self.change_alert_id,
                "dataCollectionRuleId": self.data_collection_rule_id,
                "decisionTable": self.decision_table,
                "queryNames": self.query_names,
            }
        )

    def _alert(
        self,
        suffix: str,
        args: JitAuditTrailArgs,
        action_group: monitor.ActionGroup,
        title: str,
        description: str,
        query: str,
        severity: int,
        dimensions: list[str],
    ) -> pulumi.Output[str]:
        rule = monitor.ScheduledQueryRule(
            f"{self._name}-{suffix}",
            resource_group_name=args.resource_group_name,
            location=args.location,
            display_name=title,
            description=description,
            kind=monitor.Kind.LOG_ALERT,
            enabled=True,
            scopes=[self.workspace_id],
            severity=severity,
            evaluation_frequency=args.alert_frequency,
            window_size=args.alert_window,
            # Stateless: a stateful rule stays "fired" and stays silent about the next initiate until resolved.
            auto_mitigate=False,
            # A new workspace may not know the AzureActivity columns until its first event arrives; the queries
            # are checked against the table schemas by tests/components/test_kql.py instead.
            skip_query_validation=True,
            criteria=monitor.ScheduledQueryRuleCriteriaArgs(
                all_of=[
                    monitor.ConditionArgs(
                        query=query,
                        time_aggregation=monitor.TimeAggregation.COUNT,
                        # scheduledQueryRules takes Equals|GreaterThan|... (ARM schema 2025-01-01-preview); the typed
                        # `ConditionOperator` is another API's enum ("gt"), refused by ARM; `Operator` is right.
                        operator=monitor.Operator.GREATER_THAN,
                        threshold=0,
                        # One alert per request (not one per run): every dimension value combination alerts alone.
                        dimensions=[
                            monitor.DimensionArgs(name=d, operator=monitor.DimensionOperator.INCLUDE, values=["*"])
                            for d in dimensions
                        ],
                        failing_periods=monitor.ConditionFailingPeriodsArgs(
                            min_failing_periods_to_alert=1, number_of_evaluation_periods=1
                        ),
                    )
                ]
            ),
            actions=monitor.ActionsArgs(action_groups=[action_group.id]),
            tags=self._settings.tags or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return rule.id

    def alert_on_approval_bypass(self, workflow_principal_id: pulumi.Input[str]) -> None:
        """Approval mode: alert on every `initiate` not made by the workflow's identity, and on every change to a
        control (the workflow, its connections, policies and exemptions, Defender pricing, deny rules, diagnostic
        settings, alerts). Queries: `components/control_alerts.py`."""
        since = kql.kql_timespan(self._settings.frequency_minutes)
        query = pulumi.Output.from_input(workflow_principal_id).apply(
            lambda principal: initiate_outside_workflow_query(principal, since)
        )
        self.bypass_alert_id = self._alert(
            "bypass-alert",
            self._args,
            self._action_group,
            "JIT initiate outside the approval workflow",
            "A JIT initiate whose caller is not the approval workflow's identity: approval was bypassed.",
            query,  # type: ignore[arg-type]
            self._args.change_alert_severity,
            ["Caller", "CorrelationId"],
        )
        self.control_alert_id = self._alert(
            "control-alert",
            self._args,
            self._action_group,
            "A JIT approval control was changed",
            "Writes or deletes of the workflow, its API connections, policy assignments and exemptions, Defender "
            "pricing, JIT policies, NSG rules, role assignments, diagnostic settings or alerts.",
            control_changes_query(since),
            self._args.change_alert_severity,
            ["Control", "CorrelationId"],
        )

    def allow_ingestion(self, name: str, principal_id: pulumi.Input[str]) -> authorization.RoleAssignment:
        """Let an identity (the approval workflow's) send decision records: Monitoring Metrics Publisher on the
        data collection rule only. It can append records; it cannot read, change or delete any."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("allow_ingestion: name must be a non-empty string naming the identity, e.g. 'approvals'")
        return grant_ingestion(f"{self._name}-{name}-ingestion", self, self._rule, principal_id)
