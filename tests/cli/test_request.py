"""`jit request`: policy checks before calling Azure, the exact initiate body, errors as one-line advice.

Integration tests run the real azure-mgmt-security client against the fake ARM on 127.0.0.1 (fake_arm.py).
"""

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from jit_cli.main import build_parser
from jit_cli.requester.client import (
    _TenantCredential,
    default_credential,
    resolve_cloud,
    resolve_endpoint,
    resolve_subscription,
)
from jit_cli.requester.policies import VmRef, find_port_rule, find_target, parse_vm
from jit_cli.requester.sources import choose_source, ip_lookup_url, validate_public_ipv4
from tests.cli import fake_arm
from tests.cli.fake_arm import SUB, make_runtime, port_rule, run_cli, vm_id

VM1 = vm_id("vm1")
MY_IP = "20.61.15.9"
INITIATE = f"/subscriptions/{SUB}/resourceGroups/myRg1/providers/Microsoft.Security/locations/westeurope/" \
           "jitNetworkAccessPolicies/default/initiate"
LIST_RG = f"/subscriptions/{SUB}/resourceGroups/myRg1/providers/Microsoft.Security/jitNetworkAccessPolicies"


@pytest.fixture(scope="module")
def server():
    with fake_arm.tls_server() as running:
        yield running


@pytest.fixture
def arm(server, monkeypatch):
    fake = fake_arm.attach(server, monkeypatch)
    fake.add_policy([(VM1, [port_rule(22, "*", "PT3H"),
                            port_rule(3389, [MY_IP, "203.0.113.0/24"], "PT1H", protocol="TCP")])])
    fake.add_vm_network(VM1, public_ip="52.1.2.3")
    return fake


def request(arm, *extra, runtime=None):
    argv = ["request", "--vm", "vm1", "-g", "myRg1", "--justification", "INC-1234 restart nginx", *extra]
    return run_cli(argv, runtime or make_runtime(arm))


# --- the happy path -----------------------------------------------------------------------------------------


def test_request_sends_explicit_source_end_time_and_justification(arm):
    result = request(arm, "--source", "198.51.100.7", "--duration", "90m")

    assert result.status == 0, result.err
    assert arm.initiate_bodies() == [{
        "virtualMachines": [{"id": VM1, "ports": [{"number": 22, "allowedSourceAddressPrefix": "198.51.100.7",
                                                   "endTimeUtc": "2025-03-01T10:30:00.000Z"}]}],
        "justification": "INC-1234 restart nginx",
    }]
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
    assert run_cli(["request", "--vm", "short", "-g", "myRg1", "--source", "198.51.100.7", "--justification", "x"],
                   make_runtime(arm)).status == 0

    ends = [body["virtualMachines"][0]["ports"][0]["endTimeUtc"] for body in arm.initiate_bodies()]
    assert ends == ["2025-03-01T10:00:00.000Z", "2025-03-01T09:30:00.000Z"]


def test_a_full_vm_id_needs_no_resource_group_and_names_are_case_insensitive(arm):
    result = run_cli(["request", "--vm", VM1.upper().replace("VIRTUALMACHINES", "virtualMachines"), "--source",
                      "198.51.100.7", "--justification", "x"], make_runtime(arm))

    assert result.status == 0, result.err
    assert arm.arm_calls()[0] == ("GET", LIST_RG.replace("myRg1", "MYRG1"))
    assert arm.initiate_bodies()[0]["virtualMachines"][0]["id"] == VM1


def test_a_vm_name_without_resource_group_is_searched_in_the_subscription(arm):
    result = run_cli(["request", "--vm", "VM1", "--source", "198.51.100.7", "--justification", "x"],
                     make_runtime(arm))

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


# --- refusals before Azure is asked -------------------------------------------------------------------------


def test_a_port_not_in_the_policy_is_refused_listing_what_the_policy_allows(arm):
    result = request(arm, "--port", "5985", "--source", "198.51.100.7")

    assert result.status == 1
    assert result.err == (
        "jit request: port 5985 is not in the JIT policy default for VM vm1; it allows: 22/* up to PT3H from *; "
        "3389/TCP up to PT1H from 20.61.15.9, 203.0.113.0/24\n"
    )
    assert arm.initiate_bodies() == []


def test_a_duration_over_the_policy_cap_is_refused(arm):
    result = request(arm, "--port", "3389", "--duration", "2h")

    assert result.status == 1
    assert result.err == (
        "jit request: --duration 2h is longer than the JIT policy allows for port 3389 of vm1: at most 1h (PT1H); "
        "ask for --duration 1h or less\n"
    )
    assert arm.initiate_bodies() == []


@pytest.mark.parametrize("source", ["*", "Any", "Internet", "0.0.0.0/0", "::/0"])
def test_a_wildcard_source_is_refused_even_where_the_policy_allows_any(arm, source):
    result = request(arm, "--source", source)

    assert result.status == 1
    assert result.err == (
        f"jit request: --source {source!r} would open the port to the whole internet; give your own address "
        "(--source me) or a single IPv4 address\n"
    )
    assert arm.initiate_bodies() == []


def test_a_range_is_refused_unless_the_policy_lists_exactly_that_prefix(arm):
    refused = request(arm, "--port", "3389", "--source", "203.0.112.0/23")
    allowed = request(arm, "--port", "3389", "--source", "203.0.113.0/24")

    assert refused.status == 1
    assert "is a range of 512 addresses" in refused.err
    assert "(it allows: 20.61.15.9, 203.0.113.0/24)" in refused.err
    assert allowed.status == 0, allowed.err
    assert [b["virtualMachines"][0]["ports"][0]["allowedSourceAddressPrefix"] for b in arm.initiate_bodies()] == [
        "203.0.113.0/24"]


def test_a_source_outside_the_listed_prefixes_is_refused(arm):
    result = request(arm, "--port", "3389", "--source", "198.51.100.7")

    assert result.status == 1
    assert result.err == ("jit request: source 198.51.100.7 is not allowed by the JIT policy for this port; "
                          "it allows: 20.61.15.9, 203.0.113.0/24\n")


def test_source_choice_rules():
    assert choose_source("198.51.100.7/32", ["*"]) == "198.51.100.7"
    assert choose_source("10.0.0.5", ["10.0.0.0/8"]) == "10.0.0.5"
    assert choose_source("10.0.0.0/8", ["10.0.0.0/8"]) == "10.0.0.0/8"
    with pytest.raises(ValueError, match="is not an IPv4 address"):
        choose_source("2001:db8::1", ["*"])
    with pytest.raises(ValueError, match="whole internet"):
        choose_source("*", ["*"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--source", "my-laptop"], "--source 'my-laptop' is not an IPv4 address; use --source me or e.g. 203.0.113.7"),
        (["--duration", "3 hours"], "--duration '3 hours' is not a duration"),
        (["--duration", "2m"], "--duration '2m' is shorter than 5 minutes"),
        (["--justification", "   "], "--justification is empty"),
        (["--endpoint", "http://127.0.0.1:1"], "--endpoint 'http://127.0.0.1:1' must be an https:// URL"),
        (["--cloud", "AzureGermanCloud"], "--cloud 'AzureGermanCloud' is not a known cloud"),
        (["--subscription", "production"], "--subscription 'production' is not a subscription id"),
    ],
)
def test_input_errors_exit_2_before_any_call(arm, extra, message):
    result = request(arm, *extra)

    assert result.status == 2
    assert result.err.startswith(f"jit request: error: {message}")
    assert arm.calls == []


def test_a_vm_no_policy_covers_is_refused(arm):
    result = run_cli(["request", "--vm", "db-1", "-g", "myRg1", "--justification", "x"], make_runtime(arm))

    assert result.status == 1
    assert result.err.startswith("jit request: no JIT policy covers VM db-1 in resource group myRg1; ")


def test_a_vm_name_in_two_resource_groups_asks_for_the_group(arm):
    arm.add_policy([(vm_id("vm1", "otherRg"), [port_rule(22)])], group="otherRg")

    result = run_cli(["request", "--vm", "vm1", "--justification", "x"], make_runtime(arm))

    assert result.status == 2
    assert "--vm vm1 matches several VMs" in result.err
    assert "add --resource-group or pass the full id" in result.err


# --- Azure's refusals as one line of advice -----------------------------------------------------------------


def test_403_on_initiate_names_the_role_and_the_resource_group(arm):
    arm.fail("POST", "/initiate$", 403, "AuthorizationFailed",
             "The client 'barbara@contoso.com' with object id 'a7dd2a4e' does not have authorization to perform "
             "action 'Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action' over scope "
             f"'{INITIATE.removesuffix('/initiate')}' or the scope is invalid. If access was recently granted, "
             "please refresh your credentials.")

    result = request(arm, "--source", "198.51.100.7")

    assert result.status == 1
    assert result.err == (
        "jit request: Azure refused to request access to vm1 port 22: you need the JIT requester role on resource "
        "group myRg1 (Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action). Ask the team that "
        "runs azure-jit-access to assign it to you, then run `az login` again to refresh your token\n"
    )


def test_404_for_an_unknown_resource_group_says_what_to_check(arm):
    result = run_cli(["request", "--vm", "vm1", "-g", "nope", "--justification", "x"], make_runtime(arm))

    assert result.status == 1
    assert result.err == (
        "jit request: Azure found nothing to list the JIT policies of resource group nope (ResourceGroupNotFound: "
        "Resource group 'nope' could not be found.). Check --subscription and --resource-group, or ask for JIT to be "
        "enabled on the VM; `jit status` lists what you can request\n"
    )


def test_400_from_initiate_is_one_line_with_azures_reason(arm):
    arm.fail("POST", "/initiate$", 400, "InvalidInitiateInput", "Exactly one of endTimeUtc or duration\nmust be set.")

    result = request(arm, "--source", "198.51.100.7")

    assert result.status == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith(
        "jit request: Azure rejected the request to request access to vm1 port 22 as invalid (InvalidInitiateInput: "
        "Exactly one of endTimeUtc or duration must be set.). Check --port, --source and --duration")


def test_401_asks_to_sign_in_again(arm):
    runtime = make_runtime(arm, credential=fake_arm.FixedTokenCredential(fake_arm.make_token(upn="x@y")))

    result = request(arm, runtime=runtime)

    assert result.status == 1
    assert result.err.startswith("jit request: Azure did not accept the sign-in to list the JIT policies of resource "
                                 "group myRg1 (InvalidAuthenticationToken). Run `az login` again")


def test_no_usable_credential_is_one_line_of_sign_in_advice(arm):
    from azure.identity import CredentialUnavailableError

    class NoCredential(fake_arm.FixedTokenCredential):
        def get_token(self, *scopes, **kwargs):
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token.\nAttempted: ...")

    result = request(arm, runtime=make_runtime(arm, credential=NoCredential()))

    assert result.status == 1
    assert result.err == (
        "jit request: could not sign in to Azure to list the JIT policies of resource group myRg1 "
        "(DefaultAzureCredential failed to retrieve a token). Run `az login` (with --tenant if the VM is in another "
        "tenant), set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or run where a managed identity is "
        "available\n")
    assert arm.calls == []


# --- --wait -------------------------------------------------------------------------------------------------


def test_wait_polls_until_initiated_then_prints_the_ssh_hint(arm):
    arm.polls_before_visible = 2

    result = request(arm, "--source", "198.51.100.7", "--wait")

    assert result.status == 0, result.err
    assert result.runtime.sleeps == [5.0, 5.0]
    assert result.out.endswith(
        "Open: port 22 on vm1 for 198.51.100.7 until 2025-03-01T10:00:00Z.\n"
        "connect with: ssh azureuser@52.1.2.3\n"
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

    result = run_cli(["request", "--vm", "fw-vm", "-g", "myRg1", "--source", "198.51.100.7", "--justification", "x",
                      "--wait", "--user", "ops"], make_runtime(arm))

    assert result.out.endswith("connect with: ssh ops@40.112.1.1\n")


def test_wait_gives_up_after_the_timeout(arm):
    arm.polls_before_visible = 100

    result = request(arm, "--source", "198.51.100.7", "--wait", "--wait-timeout", "12")

    assert result.status == 1
    assert result.runtime.sleeps == [5.0, 5.0, 5.0]
    assert result.err.endswith("jit request: Azure has not shown the request as Initiated after 12s; it may still "
                               "open. Check with `jit status --vm vm1`\n")


# --- where and as whom --------------------------------------------------------------------------------------


def test_endpoint_flag_overrides_the_environment(arm):
    runtime = make_runtime(arm, JIT_ARM_ENDPOINT="https://127.0.0.1:9")

    result = request(arm, "--source", "198.51.100.7", "--endpoint", arm.url, runtime=runtime)

    assert result.status == 0, result.err
    assert len(arm.initiate_bodies()) == 1


def test_cloud_and_tenant_choose_the_credential_and_token_scope(arm):
    runtime = make_runtime(arm)

    result = request(arm, "--source", "198.51.100.7", "--cloud", "AzureChinaCloud", "--tenant", "contoso.cn",
                     runtime=runtime)

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


# --- policy matching, pure ----------------------------------------------------------------------------------


def _policy(name, group, vms):
    return SimpleNamespace(
        name=name, id=f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Security/locations/"
        f"westeurope/jitNetworkAccessPolicies/{name}",
        virtual_machines=[SimpleNamespace(id=v, ports=[SimpleNamespace(number=22, protocol="TCP",
                          allowed_source_address_prefix="*", allowed_source_address_prefixes=None,
                          max_request_access_duration="PT3H")]) for v in vms])


def test_tenant_is_passed_to_every_token_request():
    asked = []
    inner = SimpleNamespace(get_token=lambda *scopes, **kwargs: asked.append((scopes, kwargs)) or "token")

    assert _TenantCredential(inner, "contoso.cn").get_token("https://management.chinacloudapi.cn/.default") == "token"
    assert asked == [(("https://management.chinacloudapi.cn/.default",), {"tenant_id": "contoso.cn"})]
    assert isinstance(default_credential(resolve_cloud("AzureChinaCloud"), "contoso.cn"), _TenantCredential)
    assert type(default_credential(resolve_cloud("AzureCloud"), None)).__name__ == "DefaultAzureCredential"


def test_vm_references_by_name_or_id():
    assert parse_vm("vm1", "myRg1") == VmRef("vm1", "myRg1")
    assert parse_vm(VM1 + "/", None) == VmRef("vm1", "myRg1", VM1)
    assert VmRef("VM1", "MYRG1").matches(VM1)
    assert not VmRef("vm1", "otherRg").matches(VM1)
    for bad, message in [("", "--vm is empty"), ("rg/vm1", "neither a VM name nor a full ARM id"),
                         (f"/subscriptions/{SUB}/resourceGroups/myRg1", "is not a VM id")]:
        with pytest.raises(ValueError, match=message):
            parse_vm(bad, None)
    with pytest.raises(ValueError, match="contradicts the VM id's group myRg1"):
        parse_vm(VM1, "otherRg")


def test_a_vm_in_two_policies_needs_policy_and_policy_picks_one():
    policies = [_policy("default", "myRg1", [VM1]), _policy("extra", "myRg1", [VM1])]

    with pytest.raises(ValueError, match="is in several JIT policies: default .*, extra .*; choose one with --policy"):
        find_target(policies, VmRef("vm1", "myRg1"), None)
    target = find_target(policies, VmRef("vm1", "myRg1"), "EXTRA")
    assert (target.policy.name, target.resource_group, target.location) == ("extra", "myRg1", "westeurope")
    assert find_port_rule(target, 22).number == 22


# --- help and start-up --------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["request", "status", "revoke"])
def test_help_shows_examples(command, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])

    assert done.value.code == 0
    assert f"examples:\n  jit {command} " in capsys.readouterr().out


def test_jit_help_does_not_import_the_azure_sdk():
    code = ("import sys, jit_cli.main as m\ntry:\n    m.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(n for n in sys.modules if n.startswith(('azure', 'requests'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip().splitlines()[-1] == "[]"
