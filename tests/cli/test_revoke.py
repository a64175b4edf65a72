"""`jit revoke`: there is no revoke API, so a 5-minute replacement request supersedes the active one.

The fake ARM models what the API's status values describe: a newer request for the same VM and port turns
the older one into `Revoked` / `NewerRequestInitiated`.
"""

import pytest

from azure_jit_access.cli.main import build_parser
from azure_jit_access.cli.requester.revoke import caller_names
from tests.cli import fake_arm
from tests.cli.fake_arm import CALLER, make_runtime, make_token, port_rule, request_body, run_cli, vm_id

VM1 = vm_id("vm1")


@pytest.fixture
def arm(server, monkeypatch):
    fake = fake_arm.attach(server, monkeypatch)
    fake.add_policy(
        [(VM1, [port_rule(22, "*", "PT3H"), port_rule(3389, ["20.61.15.9", "203.0.113.0/24"], "PT1H")])],
        requests=[request_body(VM1, 22, "20.61.15.9", "2025-03-01T10:00:00.0000000Z")],
    )
    return fake


def policy_ports(arm):
    policy = next(iter(arm.policies.values()))
    return [
        (p["number"], p["allowedSourceAddressPrefix"], p["status"], p["statusReason"])
        for r in policy["properties"]["requests"]
        for vm in r["virtualMachines"]
        for p in vm["ports"]
    ]


def revoke(arm, *extra, runtime=None):
    return run_cli(["revoke", "--vm", "vm1", "-g", "myRg1", *extra], runtime or make_runtime(arm))


def test_revoke_replaces_the_active_request_with_a_harmless_five_minute_one(arm):
    result = revoke(arm, "--port", "22")

    assert result.status == 0, result.err
    assert arm.initiate_bodies() == [
        {
            "virtualMachines": [
                {
                    "id": VM1,
                    "ports": [
                        {
                            "number": 22,
                            "allowedSourceAddressPrefix": "192.0.2.1",
                            "endTimeUtc": "2025-03-01T09:05:00.000Z",
                        }
                    ],
                }
            ],
            "justification": f"jit revoke: end the access of {CALLER} early",
        }
    ]
    assert result.out == (
        f"Replaced the access of {CALLER} to port 22 on vm1 (from 20.61.15.9, until 2025-03-01T10:00:00Z) with a "
        "request for 192.0.2.1 ending at 2025-03-01T09:05:00Z.\n"
        "Azure lists the earlier request as Revoked (NewerRequestInitiated).\n"
    )
    assert policy_ports(arm) == [
        (22, "20.61.15.9", "Revoked", "NewerRequestInitiated"),
        (22, "192.0.2.1", "Initiated", "UserRequested"),
    ]


def test_revoke_adds_the_justification_to_the_replacement(arm):
    result = revoke(arm, "--port", "22", "--justification", "done early")

    assert result.status == 0, result.err
    assert arm.initiate_bodies()[0]["justification"] == f"jit revoke: end the access of {CALLER} early (done early)"


def test_with_listed_sources_only_the_replacement_keeps_the_same_source_and_says_so(arm):
    policy = next(iter(arm.policies.values()))
    policy["properties"]["requests"] = [request_body(VM1, 3389, "20.61.15.9", "2025-03-01T09:45:00Z")]

    result = revoke(arm, "--port", "3389")

    assert result.status == 0, result.err
    assert arm.initiate_bodies()[0]["virtualMachines"][0]["ports"] == [
        {"number": 3389, "allowedSourceAddressPrefix": "20.61.15.9", "endTimeUtc": "2025-03-01T09:05:00.000Z"}
    ]
    assert (
        "The policy only allows listed sources, so the port stays open for 20.61.15.9 until 2025-03-01T09:05:00Z "
        "(5m, the shortest JIT grants) instead of 2025-03-01T09:45:00Z.\n"
    ) in result.out


def test_someone_elses_access_is_only_revoked_with_force(arm):
    policy = next(iter(arm.policies.values()))
    policy["properties"]["requests"] = [
        request_body(VM1, 22, "203.0.113.7", "2025-03-01T10:00:00Z", requestor="alex@contoso.com")
    ]

    refused = revoke(arm, "--port", "22")
    assert refused.status == 1
    assert refused.err == (
        "jit revoke: the active access was requested by alex@contoso.com, not by you; revoking replaces it for "
        "everyone on that port. Pass --force if that is what you want\n"
    )
    assert arm.initiate_bodies() == []

    forced = revoke(arm, "--port", "22", "--force")
    assert forced.status == 0, forced.err
    assert len(arm.initiate_bodies()) == 1


def test_nothing_to_revoke_when_no_access_is_active(arm):
    policy = next(iter(arm.policies.values()))
    policy["properties"]["requests"] = [
        request_body(VM1, 22, "20.61.15.9", "2025-03-01T08:00:00Z", status="Revoked", reason="Expired"),
        request_body(VM1, 22, "20.61.15.9", "2025-03-01T09:50:00Z", status="Revoked", reason="NewerRequestInitiated"),
        request_body(VM1, 22, "20.61.15.9", "2025-03-01T08:59:00Z"),
    ]

    result = revoke(arm, "--port", "22")

    assert result.status == 0
    assert result.out == "No active JIT access to port 22 on vm1; nothing to revoke.\n"
    assert arm.initiate_bodies() == []


def test_access_ending_within_five_minutes_is_left_alone(arm):
    policy = next(iter(arm.policies.values()))
    policy["properties"]["requests"] = [request_body(VM1, 22, "20.61.15.9", "2025-03-01T09:04:00Z")]

    result = revoke(arm, "--port", "22")

    assert result.status == 0
    assert result.out == (
        "The access to port 22 on vm1 ends at 2025-03-01T09:04:00Z, sooner than a replacement "
        "could end it (JIT grants at least 5 minutes); nothing done.\n"
    )
    assert arm.initiate_bodies() == []


def test_revoke_fails_honestly_when_azure_keeps_the_old_request(arm):
    arm.replaces_older = False

    result = revoke(arm, "--port", "22", "--wait-timeout", "10")

    assert result.status == 1
    assert result.runtime.sleeps == [5.0, 5.0]
    assert result.err.endswith(
        "jit revoke: Azure still lists the earlier request as Initiated after 10s; the port may stay open until "
        "2025-03-01T10:00:00Z. Check `jit status --vm vm1`\n"
    )


def test_revoke_403_names_the_role(arm):
    arm.fail(
        "POST",
        "/initiate$",
        403,
        "AuthorizationFailed",
        "The client 'x' with object id 'y' does not have authorization to perform action "
        "'Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action' over scope "
        "'/subscriptions/s/resourceGroups/myRg1/providers/Microsoft.Security/locations/westeurope/"
        "jitNetworkAccessPolicies/default' or the scope is invalid.",
    )

    result = revoke(arm, "--port", "22")

    assert result.status == 1
    assert result.err.startswith(
        "jit revoke: Azure refused to request access to vm1 port 22: you need the JIT "
        "requester role on resource group myRg1"
    )


def test_port_is_required():
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["revoke", "--vm", "vm1"])
    assert done.value.code == 2


def test_revoke_help_states_what_it_really_does(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["revoke", "--help"])

    text = " ".join(capsys.readouterr().out.split())
    assert "the JIT API has no revoke operation" in text
    assert "ends in 5 minutes, the shortest JIT grants" in text
    assert "Revoked (NewerRequestInitiated)" in text
    assert "the port stays open for you for those 5 minutes" in text


def test_caller_names_come_from_the_token_claims():
    token = make_token(upn="Barbara@Contoso.com", appid="04b07795-8ddb-461a-bbee-02f9e1bf7b46")

    assert caller_names(token) == {
        "barbara@contoso.com",
        "a7dd2a4e-7f24-4b6c-9d3b-2f7b4c0e9f11",
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    }
    assert caller_names("not-a-jwt") == set()
    assert caller_names("a.!!!.c") == set()
