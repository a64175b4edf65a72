"""`jit request`: the exact initiate body, the `--source me` lookup, `--wait`, and where and as whom it calls Azure.

Refusals, ours before Azure is asked and Azure's own, are in test_request_errors.py; the shared fake ARM
set-up is in conftest.py. Integration tests run the real azure-mgmt-security client against the fake ARM on
127.0.0.1 (fake_arm.py).
"""

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from azure_jit_access.cli.main import build_parser
from azure_jit_access.cli.requester.client import (
    _TenantCredential,
    default_credential,
    resolve_cloud,
    resolve_endpoint,
    resolve_subscription,
)
from azure_jit_access.cli.requester.sources import ip_lookup_url, validate_public_ipv4
from tests.cli import fake_arm
from tests.cli.conftest import INITIATE, LIST_RG, MY_IP, VM1, request
from tests.cli.fake_arm import SUB, make_runtime, port_rule, run_cli, vm_id

# --- the happy path -----------------------------------------------------------------------------------------


def test_request_sends_explicit_source_end_time_and_justification(arm):
    result = request(arm, "--source", "198.51.100.7", "--duration", "90m")

    assert result.status == 0, result.err
    assert arm.initiate_bodies() == [
        {
            "virtualMachines": [
                {
                    "id": VM1,
                    "ports": [
                        {
                            "number": 22,
                            "allowedSourceAddressPrefix": "198.51.100.7",
                            "endTimeUtc": "2025-03-01T10:30:00.000Z",
                        }
                    ],
                }
            ],
            "justification": "INC-1234 restart nginx",
        }
    ]
    assert result.out == (
        "Requested port 22 (TCP and UDP) on vm1 (resource group myRg1, JIT policy default)\n"
        "  source   198.51.100.7\n"
        "  until    2025-03-01T10:30:00Z (1h30m from now)\n"
        "  reason   INC-1234 restart nginx\n"
        "  status   Initiating\n"
        "Azure opens the port within a minute; follow it with `jit status --vm vm1`.\n"
    )
    assert result.err == ""


def test_request_lists_only_the_resource_group_then_initiates_with_the_fixed_token(arm):
    result = request(arm, "--source", "198.51.100.7")

    assert result.status == 0, result.err
    assert arm.arm_calls() == [("GET", LIST_RG), ("POST", INITIATE)]
    assert all(call.query["api-version"] == "2020-01-01" for call in arm.calls)
    assert {call.authorization for call in arm.calls} == {f"Bearer {fake_arm.TOKEN}"}
    assert result.runtime.credential.requests[0][0] == ("https://management.azure.com/.default",)


def test_without_duration_the_request_is_one_hour_or_the_policy_cap_when_shorter(arm):
    arm.add_policy([(vm_id("short"), [port_rule(22, "*", "PT30M")])], name="short-policy")

    assert request(arm, "--source", "198.51.100.7").status == 0
    assert (
        run_cli(
            ["request", "--vm", "short", "-g", "myRg1", "--source", "198.51.100.7", "--justification", "x"],
            make_runtime(arm),
        ).status
        == 0
    )

    ends = [body["virtualMachines"][0]["ports"][0]["endTimeUtc"] for body in arm.initiate_bodies()]
    assert ends == ["2025-03-01T10:00:00.000Z", "2025-03-01T09:30:00.000Z"]


def test_a_full_vm_id_needs_no_resource_group_and_names_are_case_insensitive(arm):
    result = run_cli(
        [
            "request",
            "--vm",
            VM1.upper().replace("VIRTUALMACHINES", "virtualMachines"),
            "--source",
            "198.51.100.7",
            "--justification",
            "x",
        ],
        make_runtime(arm),
    )

    assert result.status == 0, result.err
    assert arm.arm_calls()[0] == ("GET", LIST_RG.replace("myRg1", "MYRG1"))
    assert arm.initiate_bodies()[0]["virtualMachines"][0]["id"] == VM1


def test_a_vm_name_without_resource_group_is_searched_in_the_subscription(arm):
    result = run_cli(["request", "--vm", "VM1", "--source", "198.51.100.7", "--justification", "x"], make_runtime(arm))

    assert result.status == 0, result.err
    assert arm.arm_calls()[0] == ("GET", f"/subscriptions/{SUB}/providers/Microsoft.Security/jitNetworkAccessPolicies")


# --- --source me --------------------------------------------------------------------------------------------


def test_source_me_is_the_default_and_uses_the_configured_lookup(arm):
    result = request(arm)

    assert result.status == 0, result.err
    assert [call.path for call in arm.calls if call.path == "/ip"] == ["/ip"]
    assert arm.initiate_bodies()[0]["virtualMachines"][0]["ports"][0]["allowedSourceAddressPrefix"] == MY_IP


def test_ip_lookup_url_flag_overrides_the_environment(arm):
    runtime = make_runtime(arm, JIT_IP_LOOKUP_URL="https://127.0.0.1:9/never-called")

    result = request(arm, "--source", "me", "--ip-lookup-url", f"{arm.url}/ip", runtime=runtime)

    assert result.status == 0, result.err
    assert arm.initiate_bodies()[0]["virtualMachines"][0]["ports"][0]["allowedSourceAddressPrefix"] == MY_IP


@pytest.mark.parametrize("answer", ["10.1.2.3", "127.0.0.1", "198.51.100.7", "<html>captive portal</html>"])
def test_a_lookup_answer_that_is_not_a_public_ipv4_is_refused_before_initiate(arm, answer):
    arm.ip_answer = answer

    result = request(arm)

    assert result.status == 1
    assert result.err.startswith(f"jit request: the IP lookup {arm.url}/ip answered ")
    assert "pass --source with your public IPv4" in result.err
    assert arm.initiate_bodies() == []


def test_a_plain_http_lookup_url_is_refused(arm):
    result = request(arm, "--ip-lookup-url", "http://api.ipify.org")

    assert result.status == 1
    assert result.err == "jit request: --ip-lookup-url 'http://api.ipify.org' must be an https:// URL\n"


def test_lookup_answers_are_validated_as_global_ipv4():
    assert validate_public_ipv4(" 20.61.15.9\n", "https://x") == "20.61.15.9"
    for answer in ("192.168.1.4", "100.64.0.1", "2001:db8::1", "2a01:111::1", "not an ip"):
        with pytest.raises(ValueError):
            validate_public_ipv4(answer, "https://x")


def test_the_lookup_url_comes_from_flag_then_environment_then_ipify():
    assert ip_lookup_url("https://flag", {"JIT_IP_LOOKUP_URL": "https://env"}) == "https://flag"
    assert ip_lookup_url(None, {"JIT_IP_LOOKUP_URL": "https://env"}) == "https://env"
    assert ip_lookup_url(None, {}) == "https://api.ipify.org"


# --- --wait -------------------------------------------------------------------------------------------------


def test_wait_polls_until_initiated_then_prints_the_ssh_hint(arm):
    arm.polls_before_visible = 2

    result = request(arm, "--source", "198.51.100.7", "--wait")

    assert result.status == 0, result.err
    assert result.runtime.sleeps == [5.0, 5.0]
    assert result.out.endswith(
        "Open: port 22 on vm1 for 198.51.100.7 until 2025-03-01T10:00:00Z.\nconnect with: ssh azureuser@52.1.2.3\n"
    )
    assert result.err == "waiting for Azure to open port 22 on vm1...\n"


def test_wait_draws_a_spinner_only_on_a_terminal(arm):
    arm.polls_before_visible = 2

    result = request(arm, "--source", "198.51.100.7", "--wait", runtime=make_runtime(arm, tty=True))

    assert result.status == 0, result.err
    assert "\r| waiting for Azure to open port 22 on vm1..." in result.err
    assert "\r/ waiting for Azure to open port 22 on vm1..." in result.err


def test_wait_for_rdp_prints_mstsc_and_honours_user(arm):
    arm.add_vm_network(VM1, public_ip=None, private_ip="10.0.0.4")

    rdp = request(arm, "--port", "3389", "--wait")
    ssh = request(arm, "--source", "198.51.100.7", "--wait", "--user", "ops")

    assert rdp.out.endswith("connect with: mstsc /v:10.0.0.4  (private address: over VPN, peering or Bastion)\n")
    assert ssh.out.endswith("connect with: ssh ops@10.0.0.4  (private address: over VPN, peering or Bastion)\n")


def test_wait_behind_an_azure_firewall_uses_its_public_ip(arm):
    arm.add_policy([(vm_id("fw-vm"), [port_rule(22)])], name="fw", firewall_ip="40.112.1.1")

    result = run_cli(
        [
            "request",
            "--vm",
            "fw-vm",
            "-g",
            "myRg1",
            "--source",
            "198.51.100.7",
            "--justification",
            "x",
            "--wait",
            "--user",
            "ops",
        ],
        make_runtime(arm),
    )

    assert result.out.endswith("connect with: ssh ops@40.112.1.1\n")


def test_wait_gives_up_after_the_timeout(arm):
    arm.polls_before_visible = 100

    result = request(arm, "--source", "198.51.100.7", "--wait", "--wait-timeout", "12")

    assert result.status == 1
    # Polls every 5 s and never waits past the timeout: the last sleep is what is left of the 12 s.
    assert result.runtime.sleeps == [5.0, 5.0, 2.0]
    assert result.err.endswith(
        "jit request: Azure has not shown the request as Initiated after 12s; it may still "
        "open. Check with `jit status --vm vm1`\n"
    )


# --- where and as whom --------------------------------------------------------------------------------------


def test_endpoint_flag_overrides_the_environment(arm):
    runtime = make_runtime(arm, JIT_ARM_ENDPOINT="https://127.0.0.1:9")

    result = request(arm, "--source", "198.51.100.7", "--endpoint", arm.url, runtime=runtime)

    assert result.status == 0, result.err
    assert len(arm.initiate_bodies()) == 1


def test_cloud_and_tenant_choose_the_credential_and_token_scope(arm):
    runtime = make_runtime(arm)

    result = request(
        arm, "--source", "198.51.100.7", "--cloud", "AzureChinaCloud", "--tenant", "contoso.cn", runtime=runtime
    )

    assert result.status == 0, result.err
    assert runtime.credential.built_for == [("AzureChinaCloud", "contoso.cn")]
    assert runtime.credential.requests[0][0] == ("https://management.chinacloudapi.cn/.default",)


def test_endpoint_resolution_order_and_https_only():
    cloud = resolve_cloud("azureusgovernment")
    assert resolve_endpoint(None, {}, cloud) == "https://management.usgovcloudapi.net"
    assert resolve_endpoint(None, {"JIT_ARM_ENDPOINT": "https://env/"}, cloud) == "https://env"
    assert resolve_endpoint("https://flag", {"JIT_ARM_ENDPOINT": "https://env"}, cloud) == "https://flag"
    with pytest.raises(ValueError, match="must be an https:// URL"):
        resolve_endpoint(None, {"JIT_ARM_ENDPOINT": "http://127.0.0.1:8080"}, cloud)


def test_subscription_comes_from_flag_environment_or_the_az_profile(tmp_path):
    other = "00000000-0000-4000-8000-000000000009"
    profile = {"subscriptions": [{"id": other, "isDefault": False}, {"id": SUB, "isDefault": True}]}
    # The az CLI writes its profile with a byte order mark.
    (tmp_path / "azureProfile.json").write_text(json.dumps(profile), encoding="utf-8-sig")
    env = {"AZURE_CONFIG_DIR": str(tmp_path)}

    assert resolve_subscription(None, env) == SUB
    assert resolve_subscription(None, {**env, "AZURE_SUBSCRIPTION_ID": other}) == other
    assert resolve_subscription(other, {**env, "AZURE_SUBSCRIPTION_ID": SUB}) == other
    with pytest.raises(ValueError, match="no subscription: pass --subscription ID, set AZURE_SUBSCRIPTION_ID"):
        resolve_subscription(None, {"AZURE_CONFIG_DIR": str(tmp_path / "none")})


def test_tenant_is_passed_to_every_token_request():
    asked = []
    inner = SimpleNamespace(get_token=lambda *scopes, **kwargs: asked.append((scopes, kwargs)) or "token")

    assert _TenantCredential(inner, "contoso.cn").get_token("https://management.chinacloudapi.cn/.default") == "token"
    assert asked == [(("https://management.chinacloudapi.cn/.default",), {"tenant_id": "contoso.cn"})]
    assert isinstance(default_credential(resolve_cloud("AzureChinaCloud"), "contoso.cn"), _TenantCredential)
    assert type(default_credential(resolve_cloud("AzureCloud"), None)).__name__ == "DefaultAzureCredential"


# --- help and start-up --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["request", "status", "revoke"])
def test_help_shows_examples(command, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])

    assert done.value.code == 0
    assert f"examples:\n  jit {command} " in capsys.readouterr().out


def test_jit_help_does_not_import_the_azure_sdk():
    code = (
        "import sys, azure_jit_access.cli.main as m\ntry:\n    m.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(n for n in sys.modules if n == 'azure' or n.startswith(('azure.', 'requests'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_an_address_inside_a_listed_range_is_requested_as_that_listed_prefix(arm):
    # The fake refuses any source the policy does not list literally, as JIT does (MicrosoftDocs/azure-docs#53026).
    run = request(arm, "--port", "3389", "--source", "203.0.113.7", "--duration", "30m")
    assert run.status == 0, run.err
    (body,) = arm.initiate_bodies()
    assert body["virtualMachines"][0]["ports"][0]["allowedSourceAddressPrefix"] == "203.0.113.0/24"
    assert "source   203.0.113.0/24" in run.out
