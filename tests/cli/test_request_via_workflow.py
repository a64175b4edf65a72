"""`jit request` and `jit status` in approval mode, against local fakes of the workflow and Log Analytics.

The requests go through the real code paths (requests for the trigger, azure-monitor-query's LogsQueryClient
for the records) over TLS to 127.0.0.1. No token or trigger URL may appear in any output.
"""

import re

import pytest

from tests.cli import fake_arm
from tests.cli.fake_arm import FixedTokenCredential, make_runtime, make_token, run_cli
from tests.cli.fake_workflow import RUN_ID, WORKSPACE, FakeWorkflow, record

TOKEN = make_token(aud="api://jit-approvals")


@pytest.fixture(scope="module")
def server():
    with fake_arm.tls_server() as running:
        yield running


@pytest.fixture
def workflow(server, monkeypatch):
    fake_arm.attach(server, monkeypatch)  # trust the fake's CA, no proxy
    server.clear()
    fake = FakeWorkflow(url=server.url_for("/").rstrip("/"), token=TOKEN)
    server.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return fake


def runtime_for(workflow, token=TOKEN, **environ):
    env = {
        "JIT_APPROVAL_URL": workflow.trigger_url,
        "JIT_APPROVAL_AUDIENCE": "api://jit-approvals",
        "JIT_AUDIT_WORKSPACE": WORKSPACE,
        "JIT_LOGS_ENDPOINT": workflow.url,
        **environ,
    }
    runtime = make_runtime(None, FixedTokenCredential(token), **env)
    runtime.http_get = lambda url: "20.50.1.5"
    runtime.poll_interval = 1.0
    return runtime


def request(workflow, *extra, runtime=None):
    argv = ["request", "--vm", "vm-web-01", "--justification", "CHG-1234  patch openssl", *extra]
    return run_cli(argv, runtime or runtime_for(workflow))


def assert_no_secret(run, workflow, token=TOKEN):
    for text in (run.out, run.err):
        assert token not in text and token.split(".")[1] not in text
        assert workflow.trigger_url not in text and "/triggers/" not in text and workflow.url not in text


def test_a_request_goes_to_the_workflow_with_the_users_token_and_prints_the_request_id(workflow):
    run = request(workflow, "--duration", "1h30m")
    assert run.status == 0, run.err
    (submission,) = workflow.submissions
    assert submission["body"] == {
        "vm": "vm-web-01",
        "port": 22,
        "sourceIp": "20.50.1.5",
        "durationMinutes": 90,
        "justification": "CHG-1234 patch openssl",
    }
    assert submission["authorization"] == f"Bearer {TOKEN}"
    # The token was asked for the workflow's audience, not Resource Manager's.
    assert run.runtime.credential.requests[0][0] == ("api://jit-approvals/.default",)
    assert f"request  {RUN_ID}" in run.out
    assert f"jit status --request {RUN_ID}" in run.out
    assert_no_secret(run, workflow)


@pytest.mark.parametrize(
    ("decision", "reason", "status", "expected"),
    [
        ("Approved", "approved by lead@contoso.com; open until 2025-03-01T10:05:00Z", 0, "Open: approved by lead"),
        (
            "SelfApprovalBlocked",
            "the requester cannot approve their own request",
            1,
            "was refused (SelfApprovalBlocked)",
        ),
        ("TimedOut", "no approver answered within PT8H (approval step: TimedOut)", 1, "was refused (TimedOut)"),
        (
            "InitiateFailed",
            "approved by lead@contoso.com, but the JIT initiate call failed (403)",
            1,
            "approved but not opened",
        ),
    ],
)
def test_wait_follows_the_decision_record(workflow, decision, reason, status, expected):
    workflow.records.append(record(decision, reason))
    run = request(workflow, "--wait", "--wait-timeout", "5")
    assert run.status == status, run.err
    assert expected in run.out + run.err
    query = workflow.queries[0]
    assert f"WorkflowRunId == '{RUN_ID}'" in query["body"]["query"]
    assert query["authorization"] == f"Bearer {TOKEN}"
    assert_no_secret(run, workflow)


def test_wait_without_a_decision_says_pending_and_exits_1(workflow):
    run = request(workflow, "--wait", "--wait-timeout", "2")
    assert run.status == 1
    assert f"request {RUN_ID} is still pending" in run.err
    assert len(workflow.queries) >= 2
    assert_no_secret(run, workflow)


def test_a_refused_token_is_reported_without_the_token_or_url(workflow):
    wrong = make_token(aud="api://other")
    run = request(workflow, runtime=runtime_for(workflow, token=wrong))
    assert run.status == 1
    assert "refused your token (HTTP 401)" in run.err
    assert_no_secret(run, workflow, wrong)


@pytest.mark.parametrize(
    ("extra", "environ", "message"),
    [
        (["--source", "20.50.1.0/29"], {}, "--source: give one IPv4 address"),
        (["--vm", "rg/vm-web-01"], {}, "is neither a VM name nor a full ARM id"),
        ([], {"JIT_APPROVAL_AUDIENCE": ""}, "give the approval workflow's token audience"),
        (["--approval-url", "http://127.0.0.1:1/x"], {}, "--approval-url must be an https URL"),
    ],
)
def test_usage_mistakes_exit_2_before_anything_is_sent(workflow, extra, environ, message):
    run = request(workflow, *extra, runtime=runtime_for(workflow, **environ))
    assert run.status == 2
    assert message in run.err
    assert workflow.submissions == []
    assert_no_secret(run, workflow)


def test_status_of_one_request_pending_then_opened(workflow):
    runtime = runtime_for(workflow)
    run = run_cli(["status", "--request", RUN_ID], runtime)
    assert (run.status, run.out.splitlines()[0]) == (0, f"Request {RUN_ID}: pending")
    workflow.records.append(record("Approved", "approved by lead@contoso.com; open until 10:05"))
    run = run_cli(["status", "--request", RUN_ID, "--json"], runtime_for(workflow))
    assert run.status == 0
    assert '"state": "opened"' in run.out and '"Decision": "Approved"' in run.out
    assert_no_secret(run, workflow)


def test_status_refuses_a_run_id_that_could_change_the_query(workflow):
    run = run_cli(["status", "--request", "x' or 1==1 //"], runtime_for(workflow))
    assert run.status == 2 and "is not a workflow run id" in run.err
    assert workflow.queries == []


def test_status_with_a_workspace_shows_decisions_then_the_active_jit_requests(server, monkeypatch):
    """Both sources through one local server: Log Analytics answers /v1/..., the fake ARM everything else."""
    arm = fake_arm.attach(server, monkeypatch)
    arm.add_policy(
        [(fake_arm.vm_id("vm1"), [fake_arm.port_rule(22)])],
        requests=[fake_arm.request_body(fake_arm.vm_id("vm1"), 22, "20.50.1.0/29", "2025-03-01T10:00:00Z")],
    )
    logs = FakeWorkflow(url=arm.url, token=TOKEN)
    logs.records += [
        record("Approved", "approved by lead@contoso.com; open until 2025-03-01T10:00:00Z"),
        record("NotAnApprover", "the answer from eve@contoso.com was refused", run_id="0858553329729141331157738987"),
    ]
    server.clear()
    server.expect_request(re.compile(".*")).respond_with_handler(
        lambda request: logs.handle(request) if request.path.startswith("/v1/") else arm.handle(request)
    )
    runtime = make_runtime(arm, JIT_AUDIT_WORKSPACE=WORKSPACE, JIT_LOGS_ENDPOINT=arm.url)
    run = run_cli(["status"], runtime)
    assert run.status == 0, run.err
    decisions, jit = run.out.split("JIT requests:\n")
    assert decisions.startswith("Approval workflow decisions:\n")
    assert "opened" in decisions.splitlines()[1] and RUN_ID in decisions.splitlines()[1]
    assert decisions.splitlines()[2].startswith("refused") and "NotAnApprover" in decisions.splitlines()[2]
    assert "vm1" in jit and "20.50.1.0/29" in jit
    assert logs.queries[0]["body"]["query"].startswith("JitAccessDecisions_CL\n| project TimeGenerated")
    assert logs.queries[0]["authorization"] == f"Bearer {fake_arm.TOKEN}"
