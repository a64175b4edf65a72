"""`jit request` refusals: the policy checks before Azure is asked, and Azure's errors as one line of advice.

Covers input errors, ports, durations and sources the JIT policy does not allow, VM and policy matching,
Azure's 403/404/400/401 answers and a failed sign-in. The shared fake ARM set-up is in conftest.py; the
integration tests run the real azure-mgmt-security client against the fake ARM on 127.0.0.1 (fake_arm.py).
"""

from types import SimpleNamespace

import pytest

from azure_jit_access.cli.requester.policies import VmRef, find_port_rule, find_target, parse_vm
from azure_jit_access.cli.requester.sources import choose_source
from tests.cli import fake_arm
from tests.cli.conftest import INITIATE, VM1, request
from tests.cli.fake_arm import SUB, make_runtime, port_rule, run_cli, vm_id

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
        "203.0.113.0/24"
    ]


def test_a_source_outside_the_listed_prefixes_is_refused(arm):
    result = request(arm, "--port", "3389", "--source", "198.51.100.7")

    assert result.status == 1
    assert result.err == (
        "jit request: source 198.51.100.7 is not allowed by the JIT policy for this port; "
        "it allows: 20.61.15.9, 203.0.113.0/24\n"
    )


def test_source_choice_rules():
    assert choose_source("198.51.100.7/32", ["*"]) == "198.51.100.7"
    # JIT matches sources literally: an address inside a listed range is requested as that range.
    assert choose_source("10.0.0.5", ["10.0.0.0/8"]) == "10.0.0.0/8"
    assert choose_source("10.0.0.5", ["10.0.0.5", "10.0.0.0/8"]) == "10.0.0.5"
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


# --- policy matching, pure ----------------------------------------------------------------------------------


def _policy(name, group, vms):
    return SimpleNamespace(
        name=name,
        id=f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Security/locations/"
        f"westeurope/jitNetworkAccessPolicies/{name}",
        virtual_machines=[
            SimpleNamespace(
                id=v,
                ports=[
                    SimpleNamespace(
                        number=22,
                        protocol="TCP",
                        allowed_source_address_prefix="*",
                        allowed_source_address_prefixes=None,
                        max_request_access_duration="PT3H",
                    )
                ],
            )
            for v in vms
        ],
    )


def test_vm_references_by_name_or_id():
    assert parse_vm("vm1", "myRg1") == VmRef("vm1", "myRg1")
    assert parse_vm(VM1 + "/", None) == VmRef("vm1", "myRg1", VM1)
    assert VmRef("VM1", "MYRG1").matches(VM1)
    assert not VmRef("vm1", "otherRg").matches(VM1)
    for bad, message in [
        ("", "--vm is empty"),
        ("rg/vm1", "neither a VM name nor a full ARM id"),
        (f"/subscriptions/{SUB}/resourceGroups/myRg1", "is not a VM id"),
    ]:
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


# --- Azure's refusals as one line of advice -----------------------------------------------------------------


def test_403_on_initiate_names_the_role_and_the_resource_group(arm):
    arm.fail(
        "POST",
        "/initiate$",
        403,
        "AuthorizationFailed",
        "The client 'barbara@contoso.com' with object id 'a7dd2a4e' does not have authorization to perform "
        "action 'Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action' over scope "
        f"'{INITIATE.removesuffix('/initiate')}' or the scope is invalid. If access was recently granted, "
        "please refresh your credentials.",
    )

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
        "Exactly one of endTimeUtc or duration must be set.). Check --port, --source and --duration"
    )


def test_401_asks_to_sign_in_again(arm):
    runtime = make_runtime(arm, credential=fake_arm.FixedTokenCredential(fake_arm.make_token(upn="x@y")))

    result = request(arm, runtime=runtime)

    assert result.status == 1
    assert result.err.startswith(
        "jit request: Azure did not accept the sign-in to list the JIT policies of resource "
        "group myRg1 (InvalidAuthenticationToken). Run `az login` again"
    )


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
        "available\n"
    )
    assert arm.calls == []
