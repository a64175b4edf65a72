"""Approval mode's alerts: initiate by anyone but the workflow, and changes to any control."""

import re

import pytest

from azure_jit_access.audit import JitAuditTrail, JitAuditTrailArgs
from azure_jit_access.cli.preview.engine import run_inline
from azure_jit_access.control_alerts import (
    CONTROL_OPERATIONS,
    control_changes_query,
    initiate_outside_workflow_query,
)
from azure_jit_access.kql import KNOWN_COLUMNS
from tests.components.test_kql import check_query

WORKFLOW = "0f0f0f0f-0000-4000-8000-00000000f10f"
SQR = "azure-native:monitor:ScheduledQueryRule"


def test_the_bypass_query_keeps_only_initiates_by_other_callers():
    query = initiate_outside_workflow_query(WORKFLOW, "5m")
    assert (
        '| where OperationNameValue =~ "MICROSOFT.SECURITY/LOCATIONS/JITNETWORKACCESSPOLICIES/INITIATE/ACTION"' in query
    )
    assert f'| where Caller !~ "{WORKFLOW}"' in query
    assert "| where ingestion_time() > ago(5m)" in query
    assert check_query(query, KNOWN_COLUMNS) == {"AzureActivity"}


def test_the_control_query_names_each_control_and_every_operation():
    query = control_changes_query("5m")
    assert check_query(query, KNOWN_COLUMNS) == {"AzureActivity"}
    for control, operations in CONTROL_OPERATIONS.items():
        assert f'| extend Control = "{control}")' in query
        for operation in operations:
            assert f'"{operation}"' in query
    every = {op for ops in CONTROL_OPERATIONS.values() for op in ops}
    # The list: the Logic App, its API connections, policy assignments and exemptions, Defender pricing,
    # the deny rules, diagnostic settings.
    assert {
        "MICROSOFT.LOGIC/WORKFLOWS/WRITE",
        "MICROSOFT.LOGIC/WORKFLOWS/DISABLE/ACTION",
        "MICROSOFT.WEB/CONNECTIONS/WRITE",
        "MICROSOFT.AUTHORIZATION/POLICYASSIGNMENTS/DELETE",
        "MICROSOFT.AUTHORIZATION/POLICYEXEMPTIONS/WRITE",
        "MICROSOFT.SECURITY/PRICINGS/WRITE",
        "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/SECURITYRULES/DELETE",
        "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE",
    } <= every
    assert all(re.fullmatch(r"MICROSOFT\.[A-Z]+(/[A-Z]+)+", op) for op in every)


@pytest.mark.parametrize(("principal", "since"), [("not-a-guid", "5m"), (WORKFLOW, "5 minutes")])
def test_bad_inputs_are_refused(principal, since):
    with pytest.raises(ValueError):
        initiate_outside_workflow_query(principal, since)


def test_the_trail_creates_both_alerts_with_the_workflow_identity():
    def program():
        trail = JitAuditTrail(
            "audit", JitAuditTrailArgs(resource_group_name="rg-jit", location="westeurope", alert_emails=["a@b.com"])
        )
        trail.alert_on_approval_bypass(WORKFLOW)

    result = run_inline(program)
    bypass = result.one(SQR, "audit-bypass-alert")
    (condition,) = bypass.inputs["criteria"]["allOf"]
    assert condition["query"] == initiate_outside_workflow_query(WORKFLOW, "5m")
    assert (condition["operator"], condition["threshold"]) == (
        "GreaterThan",
        0,
    )  # ARM scheduledQueryRules ConditionOperator (see components/audit.py)
    control = result.one(SQR, "audit-control-alert")
    assert control.inputs["criteria"]["allOf"][0]["query"] == control_changes_query("5m")
    assert bypass.inputs["actions"] == control.inputs["actions"]
