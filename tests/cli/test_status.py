"""`jit status`: active and recent requests per VM and port, as a table or JSON, from the policies' `requests`."""

import json

import pytest

from tests.cli import fake_arm
from tests.cli.fake_arm import SUB, make_runtime, port_rule, request_body, run_cli, vm_id

VM1, VM2 = vm_id("vm1"), vm_id("vm2")


@pytest.fixture
def arm(server, monkeypatch):
    fake = fake_arm.attach(server, monkeypatch)
    fake.add_policy(
        [(VM1, [port_rule(22), port_rule(3389)]), (VM2, [port_rule(22)])],
        requests=[
            request_body(VM1, 22, "20.61.15.9", "2025-03-01T10:00:00.0000000Z", justification="INC-1 deploy"),
            request_body(
                VM1,
                3389,
                "203.0.113.7",
                "2025-03-01T08:00:00.5000000Z",
                status="Revoked",
                reason="Expired",
                requestor="alex@contoso.com",
                justification="RDP check",
            ),
            request_body(
                VM2,
                22,
                "203.0.113.7",
                "2025-02-27T09:00:00Z",
                status="Revoked",
                reason="Expired",
                requestor="alex@contoso.com",
                justification="old",
            ),
            request_body(
                VM2,
                22,
                "203.0.113.8",
                "2025-03-01T08:50:00Z",
                status="Revoked",
                reason="NewerRequestInitiated",
                requestor="alex@contoso.com",
                justification="a very long reason that goes on and on about what needs doing today",
            ),
            request_body(
                VM2, 22, "203.0.113.9", "2025-03-01T09:30:00Z", requestor="alex@contoso.com", justification="again"
            ),
        ],
    )
    return fake


def test_status_table_shows_active_first_then_recent(arm):
    result = run_cli(["status"], make_runtime(arm))

    assert result.status == 0, result.err
    assert result.out == (
        "VM   PORT  REQUESTOR            SOURCE       ENDS           STATUS     REASON                 JUSTIFICATION\n"
        "vm1  22    barbara@contoso.com  20.61.15.9   in 1h          Initiated  UserRequested          INC-1 deploy\n"
        "vm2  22    alex@contoso.com     203.0.113.9  in 30m         Initiated  UserRequested          again\n"
        "vm2  22    alex@contoso.com     203.0.113.8  ended 10m ago  Revoked    NewerRequestInitiated  "
        "a very long reason that goes on and on about wh...\n"
        "vm1  3389  alex@contoso.com     203.0.113.7  ended 59m ago  Revoked    Expired                RDP check\n"
    )
    assert arm.arm_calls() == [("GET", f"/subscriptions/{SUB}/providers/Microsoft.Security/jitNetworkAccessPolicies")]


def test_status_all_includes_requests_older_than_a_day(arm):
    result = run_cli(["status", "--all", "--vm", "vm2", "-g", "myRg1"], make_runtime(arm))

    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert [line.split()[4:6] for line in lines[1:]] == [["in", "30m"], ["ended", "10m"], ["ended", "2d"]]
    assert arm.arm_calls() == [
        ("GET", f"/subscriptions/{SUB}/resourceGroups/myRg1/providers/Microsoft.Security/jitNetworkAccessPolicies")
    ]


def test_status_json_has_one_entry_per_vm_and_port(arm):
    result = run_cli(["status", "--vm", "vm1", "--json"], make_runtime(arm))

    assert result.status == 0, result.err
    assert json.loads(result.out) == {
        "subscriptionId": SUB,
        "generatedAtUtc": "2025-03-01T09:00:00Z",
        "requests": [
            {
                "policy": "default",
                "resourceGroup": "myRg1",
                "location": "westeurope",
                "vmId": VM1,
                "vmName": "vm1",
                "port": 22,
                "requestor": "barbara@contoso.com",
                "allowedSourceAddressPrefix": "20.61.15.9",
                "startTimeUtc": "2025-03-01T08:30:00Z",
                "endTimeUtc": "2025-03-01T10:00:00Z",
                "status": "Initiated",
                "statusReason": "UserRequested",
                "justification": "INC-1 deploy",
                "active": True,
                "endsInSeconds": 3600,
            },
            {
                "policy": "default",
                "resourceGroup": "myRg1",
                "location": "westeurope",
                "vmId": VM1,
                "vmName": "vm1",
                "port": 3389,
                "requestor": "alex@contoso.com",
                "allowedSourceAddressPrefix": "203.0.113.7",
                "startTimeUtc": "2025-03-01T08:30:00Z",
                "endTimeUtc": "2025-03-01T08:00:00Z",
                "status": "Revoked",
                "statusReason": "Expired",
                "justification": "RDP check",
                "active": False,
                "endsInSeconds": -3599,
            },
        ],
    }


def test_a_revoked_request_is_not_active_even_before_its_end_time(arm):
    arm.add_policy(
        [(vm_id("vm3"), [port_rule(22)])],
        name="third",
        requests=[
            request_body(
                vm_id("vm3"),
                22,
                "203.0.113.5",
                "2025-03-01T09:45:00Z",
                status="Revoked",
                reason="NewerRequestInitiated",
            )
        ],
    )

    result = run_cli(["status", "--vm", "vm3", "--json"], make_runtime(arm))

    rows = json.loads(result.out)["requests"]
    assert [(r["status"], r["active"], r["endsInSeconds"]) for r in rows] == [("Revoked", False, 2700)]


def test_status_without_requests_says_so(arm):
    arm.add_policy([(vm_id("quiet"), [port_rule(22)])], group="quietRg")

    table = run_cli(["status", "-g", "quietRg"], make_runtime(arm))
    document = run_cli(["status", "-g", "quietRg", "--json"], make_runtime(arm))

    assert table.out == "No JIT requests for resource group quietRg in the last 24 hours (--all shows older ones).\n"
    assert json.loads(document.out)["requests"] == []


def test_status_filters_by_policy_name(arm):
    arm.add_policy(
        [(vm_id("other"), [port_rule(22)])],
        name="second",
        requests=[request_body(vm_id("other"), 22, "203.0.113.5", "2025-03-01T09:10:00Z")],
    )

    result = run_cli(["status", "--policy", "second", "--json"], make_runtime(arm))

    assert [(r["vmName"], r["policy"]) for r in json.loads(result.out)["requests"]] == [("other", "second")]


def test_status_403_names_the_role(arm):
    arm.fail(
        "GET",
        "jitNetworkAccessPolicies$",
        403,
        "AuthorizationFailed",
        "The client 'x' with object id 'y' does not have authorization to perform action "
        "'Microsoft.Security/locations/jitNetworkAccessPolicies/read' over scope "
        f"'/subscriptions/{SUB}' or the scope is invalid.",
    )

    result = run_cli(["status"], make_runtime(arm))

    assert result.status == 1
    assert result.err == (
        f"jit status: Azure refused to list the JIT policies of subscription {SUB}: you need the JIT requester role "
        f"on subscription {SUB} (Microsoft.Security/locations/jitNetworkAccessPolicies/read); if your role is on one "
        "resource group, pass --resource-group. Ask the team that runs azure-jit-access to assign it to you, then run "
        "`az login` again to refresh your token\n"
    )
