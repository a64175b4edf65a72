"""Reading the `approvals` stack config and mapping the JIT policy's VMs; the audit record contract."""

import re

import pytest

from approval_config import (
    allowed_vms_from_policy,
    approval_args_from_config,
    check_approvals_config,
)
from azure_jit_access.approval.approvers import Approver
from azure_jit_access.approval.audit import AUDIT_RECORD_COLUMNS
from azure_jit_access.audit_table import record_stream_columns
from azure_jit_access.validation import duration_minutes

ROLE = "/providers/Microsoft.Authorization/roleDefinitions/4a1c7f0e-9c57-4f4b-9a3e-2b1c0d9e8f70"
CAPS = {
    "vm-web-01": [{"port": 22, "protocol": "TCP", "maxRequestAccessDuration": "PT3H"}],
    "vm-win-01": [
        {"port": 3389, "protocol": "TCP", "maxRequestAccessDuration": "PT3H"},
        {"port": 5986, "protocol": "TCP", "maxRequestAccessDuration": "PT1H30M"},
    ],
}
RAW = {
    "tenantId": "00000000-0000-4000-8000-000000000002",
    "approvers": [{"objectId": "5ec0f500-0000-4000-8000-0000000005ec", "type": "Group", "mail": "secops@contoso.com"}],
    "http": {"audience": "api://jit-approvals", "allowedCallerIpRanges": ["198.51.100.0/24"]},
    "forms": {
        "formId": "Fm1d-formid_0123",
        "fields": {"vm": "r1", "port": "r2", "sourceIp": "r3", "durationMinutes": "r4", "justification": "r5"},
    },
}


def vm_ids():
    return {
        name: f"/subscriptions/s/resourceGroups/rg-jit-dev/providers/Microsoft.Compute/virtualMachines/{name}"
        for name in CAPS
    }


def test_durations_convert_to_whole_minutes():
    assert [duration_minutes(v, "x") for v in ("PT3H", "PT1H30M", "PT90M", "PT5M", "P1D")] == [180, 90, 90, 5, 1440]
    for bad in ("PT", "3h", "", None, "PT48H", "PT4M", "PT5M30S"):
        with pytest.raises(ValueError, match="^x: "):
            duration_minutes(bad, "x")


def test_policy_vms_become_allowed_vms_with_their_shortest_port_cap():
    web, win = allowed_vms_from_policy(CAPS, vm_ids(), "rg-jit-dev", "default", "westeurope")
    assert (web.name, list(web.ports), web.max_duration_minutes) == ("vm-web-01", [22], 180)
    assert (win.name, list(win.ports), win.max_duration_minutes) == ("vm-win-01", [3389, 5986], 90)
    assert (win.resource_group, win.jit_policy_name, win.location) == ("rg-jit-dev", "default", "westeurope")
    with pytest.raises(ValueError, match="^vm_ids: no id for 'vm-win-01'"):
        allowed_vms_from_policy(CAPS, {"vm-web-01": "x"}, "rg-jit-dev", "default", "westeurope")


def test_config_becomes_component_args():
    args = approval_args_from_config(
        RAW,
        resource_group_name="rg-jit-dev",
        location="westeurope",
        requester_role_definition_id=ROLE,
        allowed_vms=allowed_vms_from_policy(CAPS, vm_ids(), "rg-jit-dev", "default", "westeurope"),
        source_prefixes=["20.50.1.0/29"],
    )
    assert args.approvers == [Approver("5ec0f500-0000-4000-8000-0000000005ec", "Group", "secops@contoso.com")]
    assert args.source_prefixes == ["20.50.1.0/29"]
    assert args.http.audience == "api://jit-approvals"
    assert args.http.allowed_caller_ip_ranges == ("198.51.100.0/24",)
    assert args.forms.fields.source_ip == "r3" and args.forms.form_id == "Fm1d-formid_0123"
    assert args.approval_timeout == "PT8H" and args.max_duration_minutes == 1440
    assert args.audit is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"approver": ["x@y.z"]}, "azure-jit-access:approvals: unknown key(s) ['approver']"),
        ({"approvers": "secops@contoso.com"}, "azure-jit-access:approvals.approvers: list the approvers"),
        ({"approvers": []}, "azure-jit-access:approvals.approvers: list the approvers"),
        (
            {"approvers": ["secops@contoso.com"]},
            "azure-jit-access:approvals.approvers[0]: 'secops@contoso.com' is an e-mail address alone",
        ),
        (
            {"approvers": [{"objectId": "secops", "type": "Group", "mail": "secops@contoso.com"}]},
            "azure-jit-access:approvals: approvers[0].object_id: give the user's or group's Entra object id",
        ),
        (
            {"approvers": [{"id": "x"}]},
            "azure-jit-access:approvals.approvers[0]: unknown key(s) ['id']",
        ),
        ({"tenantId": None}, "azure-jit-access:approvals: tenant_id: give the Entra ID tenant id"),
        ({"maxDurationMinutes": "3h"}, "azure-jit-access:approvals.maxDurationMinutes: give whole minutes"),
        (
            {"http": {"audience": "api://x", "ipRanges": []}},
            "azure-jit-access:approvals.http: unknown key(s) ['ipRanges']",
        ),
        (
            {"forms": {"formId": "Fm1d-formid_0123", "fields": {"vm": "r1"}}},
            "azure-jit-access:approvals.forms.fields: give the question id of "
            "['durationMinutes', 'justification', 'port', "
            "'sourceIp']",
        ),
        ({"http": None, "forms": None}, "azure-jit-access:approvals: forms/http: enable at least one trigger"),
    ],
)
def test_config_mistakes_name_the_key(change, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        check_approvals_config(
            {**RAW, **change},
            resource_group="rg-jit-dev",
            location="westeurope",
            caps=CAPS,
            policy_name="default",
            source_prefixes=["20.50.1.0/29"],
        )


def test_public_mode_needs_the_policys_source_prefixes():
    with pytest.raises(ValueError, match=re.escape("azure-jit-access:approvals: source_prefixes: give the JIT")):
        check_approvals_config(RAW, resource_group="rg-jit-dev", location="westeurope", caps=CAPS, policy_name="d")


def test_bastion_mode_config_is_checked_against_the_bastion_prefix():
    check_approvals_config(
        RAW,
        resource_group="rg-jit-dev",
        location="westeurope",
        caps=CAPS,
        policy_name="default",
        bastion_source_prefixes=["10.30.255.0/26"],
        audit=True,
    )
    with pytest.raises(ValueError, match=re.escape("bastion_source_prefixes[0]: '20.0.0.0/26' must be the private")):
        check_approvals_config(
            RAW,
            resource_group="rg-jit-dev",
            location="westeurope",
            caps=CAPS,
            policy_name="default",
            bastion_source_prefixes=["20.0.0.0/26"],
        )


def test_the_audit_record_matches_the_audit_trail_stream():
    assert AUDIT_RECORD_COLUMNS == record_stream_columns()
