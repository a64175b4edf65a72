"""The shipped dev stack's example request passes end to end: approved by an approver group member, initiated.

The workflow is the one `jit preview --stack dev` produces from Pulumi.dev.yaml (definition and parameters as the
engine would send them to Azure), run by the workflow simulator with the connectors and Graph stubbed.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from azure_jit_access.approval.decision import APPROVED, SELF_APPROVAL
from azure_jit_access.approval.request import HTTP_TRIGGER
from tests.components.approval.test_definition import http_call
from tests.support.workflow_runner import Stub, run_workflow

ROOT = Path(__file__).resolve().parents[3]
DEV_EXAMPLE = {
    "vm": "vm-web-01",
    "port": 22,
    "sourceIp": "20.50.1.5",
    "durationMinutes": 60,
    "justification": "patching CHG-1234",
}
"""The example request of docs/approval-workflow.md ("Calling the HTTP trigger")."""
REQUESTER_ID = "a11ce000-0000-4000-8000-000000000001"
APPROVER_ID = "b0b00000-0000-4000-8000-000000000002"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The dev stack's workflow inputs and its approvers config."""
    out = tmp_path_factory.mktemp("dev") / "preview.json"
    command = [sys.executable, "-m", "azure_jit_access.cli.main", "preview", "--stack", "dev", "--format", "json"]
    done = subprocess.run([*command, "--output", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (workflow,) = [r for r in json.loads(out.read_text())["resources"] if r["type"] == "azure-native:logic:Workflow"]
    config = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    return workflow["inputs"], config


def run_example(shipped, responder_id, member_of):
    inputs, config = shipped
    parameters = {name: spec["value"] for name, spec in inputs["parameters"].items()}
    claims = {
        "upn": "alice@example.com",
        "oid": REQUESTER_ID,
        "aud": config["azure-jit-access:approvals"]["http"]["audience"],
    }
    stubs = {
        "Send_approval_email": Stub(body={"SelectedOption": "Approve", "UserEmailAddress": "bob@example.com"}),
        "Resolve_responder": Stub(body={"id": responder_id}),
        "Check_approver_groups": Stub(body={"value": member_of}),
    }
    run = run_workflow(inputs["definition"], HTTP_TRIGGER, http_call(claims, **DEV_EXAMPLE), parameters, stubs)
    assert run.errors == {}, run.errors
    return run, parameters, config


def test_the_dev_example_is_documented():
    text = (ROOT / "docs" / "approval-workflow.md").read_text()
    assert f"-d '{json.dumps(DEV_EXAMPLE)}'" in text


def test_the_dev_example_is_approved_by_a_group_member_and_initiated_with_the_listed_prefix(shipped):
    _, config = shipped
    (group,) = [a for a in config["azure-jit-access:approvals"]["approvers"] if a["type"] == "Group"]
    run, parameters, config = run_example(shipped, APPROVER_ID, [group["objectId"]])
    assert run.variables["outcome"]["decision"] == APPROVED
    initiate = run.inputs["Initiate_jit_access"]
    assert initiate["uri"] == parameters["vmTargets"]["vm-web-01"]["initiateUri"]
    (port,) = initiate["body"]["virtualMachines"][0]["ports"]
    # The listed prefix holding 20.50.1.5, written exactly as in allowedSourcePrefixes: what JIT accepts.
    assert port["allowedSourceAddressPrefix"] == "20.50.1.0/29"
    assert port["allowedSourceAddressPrefix"] in config["azure-jit-access:allowedSourcePrefixes"]
    assert port["number"] == 22
    assert run.inputs["Check_approver_groups"]["body"] == {"groupIds": [group["objectId"]]}
    record = run.outputs("Audit_record")
    assert (record["RequesterObjectId"], record["ApproverObjectId"]) == (REQUESTER_ID, APPROVER_ID)


def test_the_dev_example_answered_by_the_requester_is_refused(shipped):
    _, config = shipped
    (group,) = [a for a in config["azure-jit-access:approvals"]["approvers"] if a["type"] == "Group"]
    run, _, _ = run_example(shipped, REQUESTER_ID, [group["objectId"]])
    assert run.variables["outcome"]["decision"] == SELF_APPROVAL
    assert not run.ran("Initiate_jit_access")
