"""JitAccessPolicy: one policy listing every VM with its ports, explicit sources and duration caps."""

import base64

import pulumi
import pytest

from azure_jit_access.defender import DefenderForServers
from azure_jit_access.jit_policy import (
    JitAccessPolicy,
    JitAccessPolicyArgs,
    JitPortRule,
    JitVirtualMachine,
    resolve_policy,
)
from azure_jit_access.testing import run
from azure_jit_access.vm import JitProtectedVm, JitProtectedVmArgs

KEY = "ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
POLICY = "azure-native:security:JitNetworkAccessPolicy"
RG_ID = "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg"


def vm_entry(name="vm1", ports=(22,), guarded=None, **extra) -> JitVirtualMachine:
    return JitVirtualMachine(
        vm_id=f"{RG_ID}/providers/Microsoft.Compute/virtualMachines/{name}",
        vm_name=name,
        ports=list(ports),
        guarded_ports=guarded,
        **extra,
    )


def policy_args(**overrides) -> JitAccessPolicyArgs:
    return JitAccessPolicyArgs(
        **{
            "resource_group_name": "rg",
            "location": "westeurope",
            "virtual_machines": [vm_entry()],
            "allowed_source_address_prefixes": ["203.0.113.7"],
            **overrides,
        }
    )


def test_defaults_one_basic_policy_named_default_with_tcp_pt3h_and_the_given_source():
    result = run(lambda: JitAccessPolicy("jit", policy_args()))
    policy = result.one(POLICY)
    assert policy.inputs == {
        "jitNetworkAccessPolicyName": "default",
        "resourceGroupName": "rg",
        "ascLocation": "westeurope",
        "kind": "Basic",
        "virtualMachines": [
            {
                "id": f"{RG_ID}/providers/Microsoft.Compute/virtualMachines/vm1",
                "ports": [
                    {
                        "number": 22,
                        "protocol": "TCP",
                        "maxRequestAccessDuration": "PT3H",
                        "allowedSourceAddressPrefix": "203.0.113.7",
                    }
                ],
            }
        ],
    }
    assert policy.options["ignoreChanges"] == ["requests"]
    assert policy.options["dependsOn"] == []
    assert policy.id == f"{RG_ID}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default"
    assert policy.parent == result.one("azure-jit-access:jit_policy:JitAccessPolicy").urn


def test_recommended_configuration_every_vm_in_one_policy_after_defender():
    def program():
        common = {"resource_group_name": "rg", "location": "westeurope", "subnet_id": "subnet-id"}
        web = JitProtectedVm("web", JitProtectedVmArgs(os_type="linux", ssh_public_key=KEY, **common))
        ops = JitProtectedVm("ops", JitProtectedVmArgs(os_type="windows", winrm=True, **common))
        defender = DefenderForServers("defender")
        policy = JitAccessPolicy(
            "jit",
            policy_args(
                virtual_machines=[web, ops],
                defender=defender,
                max_request_access_duration="PT1H",
                allowed_source_address_prefixes=["203.0.113.0/28", "198.51.100.7"],
            ),
        )
        pulumi.export("caps", policy.caps)
        pulumi.export("policyId", policy.policy_id)
        pulumi.export("policyName", policy.policy_name)
        pulumi.export("location", policy.location)

    result = run(program)
    policy = result.one(POLICY)
    sources = ["203.0.113.0/28", "198.51.100.7"]
    vms = policy.inputs["virtualMachines"]
    assert [vm["id"] for vm in vms] == [
        result.one("azure-native:compute:VirtualMachine", n).id for n in ("web-vm", "ops-vm")
    ]
    assert vms[0]["ports"] == [
        {"number": 22, "protocol": "TCP", "maxRequestAccessDuration": "PT1H", "allowedSourceAddressPrefixes": sources}
    ]
    assert [p["number"] for p in vms[1]["ports"]] == [3389, 5985, 5986]
    assert all(
        p["allowedSourceAddressPrefixes"] == sources and "allowedSourceAddressPrefix" not in p for p in vms[1]["ports"]
    )
    assert policy.options["dependsOn"] == [result.one("azure-native:security:Pricing").urn]
    assert policy.options["ignoreChanges"] == ["requests"]
    assert result.outputs["caps"]["web"] == [
        {"port": 22, "protocol": "TCP", "maxRequestAccessDuration": "PT1H", "allowedSourceAddressPrefixes": sources}
    ]
    assert [c["port"] for c in result.outputs["caps"]["ops"]] == [3389, 5985, 5986]
    assert result.outputs["policyId"] == policy.id
    assert (result.outputs["policyName"], result.outputs["location"]) == ("default", "westeurope")


def test_every_option_set():
    vms = [
        vm_entry(
            "vm1",
            ports=[
                22,
                JitPortRule(
                    2222,
                    protocol="*",
                    allowed_source_address_prefixes=["10.1.0.0/24"],
                    max_request_access_duration="PT30M",
                ),
            ],
            guarded=[22, 2222],
        ),
        vm_entry(
            "vm2",
            ports=[JitPortRule(3389, protocol="tcp", allowed_source_address_prefixes=["2001:db8::/64", "10.2.0.4"])],
        ),
    ]
    result = run(
        lambda: JitAccessPolicy(
            "jit",
            policy_args(
                virtual_machines=vms,
                policy_name="jit-ops",
                protocol="udp",
                max_request_access_duration="PT8H",
                allowed_source_address_prefixes=["203.0.113.0/28"],
                location="northeurope",
                keep_api_version_aliases=True,
            ),
        )
    )
    policy = result.one(POLICY)
    assert policy.inputs["jitNetworkAccessPolicyName"] == "jit-ops"
    assert policy.inputs["ascLocation"] == "northeurope"
    first, second = policy.inputs["virtualMachines"]
    assert first["ports"] == [
        {
            "number": 22,
            "protocol": "UDP",
            "maxRequestAccessDuration": "PT8H",
            "allowedSourceAddressPrefix": "203.0.113.0/28",
        },
        {
            "number": 2222,
            "protocol": "*",
            "maxRequestAccessDuration": "PT30M",
            "allowedSourceAddressPrefix": "10.1.0.0/24",
        },
    ]
    assert second["ports"] == [
        {
            "number": 3389,
            "protocol": "TCP",
            "maxRequestAccessDuration": "PT8H",
            "allowedSourceAddressPrefixes": ["2001:db8::/64", "10.2.0.4"],
        }
    ]
    assert len(policy.options["aliases"]) > 0


WILDCARD = "means any source on the Internet; a JIT or management-port source must never be open to everyone"


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"virtual_machines": []},
            "virtual_machines: at least one VM is required; a JIT policy without VMs protects nothing",
        ),
        (
            {"allowed_source_address_prefixes": ["203.0.113.7", "*"]},
            f"allowed_source_address_prefixes[1]: '*' {WILDCARD}",
        ),
        ({"allowed_source_address_prefixes": ["Any"]}, f"allowed_source_address_prefixes[0]: 'Any' {WILDCARD}"),
        (
            # The pack's jit-policy-no-wildcard-source refuses more than a /16 of public space; so does the component.
            {"allowed_source_address_prefixes": ["20.0.0.0/8"]},
            "allowed_source_address_prefixes: '20.0.0.0/8' (16,777,216 public IPv4 addresses, more than a /16): that "
            "is open to far more than your own addresses",
        ),
        (
            {"allowed_source_address_prefixes": ["0.0.0.0/1", "128.0.0.0/1"]},
            "allowed_source_address_prefixes: '0.0.0.0/1' + '128.0.0.0/1' (together 3,702,258,944 public IPv4 "
            "addresses, more than a /16)",
        ),
        (
            {"allowed_source_address_prefixes": ["AzureCloud"]},
            "allowed_source_address_prefixes[0]: 'AzureCloud' is not a valid IPv4/IPv6 address or CIDR network",
        ),
        ({"allowed_source_address_prefixes": ["::/0"]}, f"allowed_source_address_prefixes[0]: '::/0' {WILDCARD}"),
        (
            {"allowed_source_address_prefixes": ["10.0.0.256"]},
            "allowed_source_address_prefixes[0]: '10.0.0.256' is not a valid IPv4/IPv6 address or CIDR network",
        ),
        (
            {"allowed_source_address_prefixes": []},
            "virtual_machines[0].ports[22].allowed_source_address_prefixes: no source given and no policy default; set "
            "allowed_source_address_prefixes (e.g. ['203.0.113.0/28']) or use Bastion mode",
        ),
        (
            {"max_request_access_duration": "3h"},
            "max_request_access_duration: '3h' does not start with 'P': use ISO 8601 such as PT30M, PT3H, PT1H30M "
            "or P1D; accepted range is PT5M (5 minutes) to PT24H (24 hours), e.g. 'PT3H'",
        ),
        (
            {"max_request_access_duration": "PT48H"},
            "max_request_access_duration: 'PT48H' is 2d, outside what "
            "JIT allows; accepted range is PT5M (5 minutes) to PT24H (24 hours)",
        ),
        ({"protocol": "Tcp6"}, "protocol: unknown protocol 'Tcp6'; use 'TCP', 'UDP' or '*'"),
        ({"location": "West Europe"}, "location: 'West Europe' is not a region name such as 'westeurope'"),
        ({"virtual_machines": [vm_entry("a"), vm_entry("A")]}, "virtual_machines[1]: VM 'A' is listed twice"),
        (
            {"virtual_machines": [vm_entry("v" * 50)]},
            f"virtual_machines[0].vm_name: policy name 'default' (7) plus VM name "
            f"'{'v' * 50}' (50) is 57 characters; JIT allows at most 56",
        ),
        ({"virtual_machines": [vm_entry(ports=[22, 22])]}, "virtual_machines[0].ports: duplicate ports [22]"),
        ({"virtual_machines": [vm_entry(ports=[0])]}, "virtual_machines[0].ports[0]: port 0 is out of range"),
        ({"virtual_machines": [vm_entry(ports=[])]}, "virtual_machines[0].ports: at least one port is required"),
        (
            {"virtual_machines": [vm_entry(ports=[22, 8080], guarded=[22])]},
            "virtual_machines[0].ports[8080]: port 8080 is not a management port of 'vm1' ([22]); add it to the VM's "
            "management_ports so its NSG denies it outside JIT windows",
        ),
        (
            {"virtual_machines": [vm_entry(ports=[JitPortRule(22, allowed_source_address_prefixes=["internet"])])]},
            f"virtual_machines[0].ports[22].allowed_source_address_prefixes[0]: 'internet' {WILDCARD}",
        ),
        (
            {"virtual_machines": [vm_entry(ports=[JitPortRule(22, max_request_access_duration="PT4M")])]},
            "virtual_machines[0].ports[22].max_request_access_duration: 'PT4M' is 4m, outside what JIT allows",
        ),
        (
            {"virtual_machines": [vm_entry(resource_group_name="other-rg")]},
            "virtual_machines[0].resource_group_name: VM 'vm1' is in 'other-rg' but the policy is for 'rg'; one policy "
            "covers one resource group and location",
        ),
        ({"virtual_machines": [vm_entry(location="eastus")]}, "virtual_machines[0].location: VM 'vm1' is in 'eastus'"),
        (
            {"virtual_machines": ["vm1"]},
            "virtual_machines[0]: expected a JitProtectedVm or JitVirtualMachine, got 'vm1'",
        ),
        ({"policy_name": "a/b"}, "policy_name: 'a/b' contains ['/']"),
    ],
)
def test_invalid_arguments_are_refused_naming_the_field(overrides, message):
    with pytest.raises(ValueError) as err:
        resolve_policy(policy_args(**overrides))
    assert str(err.value).startswith(message)


def test_invalid_arguments_create_nothing():
    registered = []
    with pytest.raises(ValueError, match=r"^allowed_source_address_prefixes\[0\]: '0.0.0.0/0' means any source"):
        run(
            lambda: JitAccessPolicy("jit", policy_args(allowed_source_address_prefixes=["0.0.0.0/0"])),
            on_register=registered.append,
        )
    assert registered == [1]


def test_a_vm_in_another_resource_group_is_refused_when_known_only_at_deployment():
    def program():
        vm = JitProtectedVm(
            "web",
            JitProtectedVmArgs(
                resource_group_name="other",
                location="westeurope",
                subnet_id="subnet-id",
                os_type="linux",
                ssh_public_key=KEY,
            ),
        )
        JitAccessPolicy("jit", policy_args(virtual_machines=[vm]))

    with pytest.raises(ValueError) as err:
        run(program)
    # Pulumi may prefix where it happened; the reason is ours.
    assert str(err.value).endswith(
        "virtual_machines: VM 'web' is in resource group 'other', the policy in 'rg'; "
        "one policy covers one resource group and location"
    )


def test_bastion_mode_sources_are_the_bastion_subnet_only():
    resolved = resolve_policy(policy_args(allowed_source_address_prefixes=[], bastion_subnet_prefix="10.0.255.0/26"))
    assert resolved[0].ports[0].sources == ("10.0.255.0/26",)
    with pytest.raises(ValueError) as err:
        resolve_policy(policy_args(bastion_subnet_prefix="10.0.255.0/26"))
    assert str(err.value) == (
        "allowed_source_address_prefixes: in Bastion mode the only source is the Bastion "
        "subnet (10.0.255.0/26); remove the other sources"
    )
    with pytest.raises(
        ValueError,
        match=r"^virtual_machines\[0\]: VM 'vm1' has a public IP; in Bastion mode VMs are "
        r"reached through Bastion only: set public_ip=False$",
    ):
        resolve_policy(
            policy_args(
                allowed_source_address_prefixes=[],
                bastion_subnet_prefix="10.0.255.0/26",
                virtual_machines=[vm_entry(has_public_ip=True)],
            )
        )
    with pytest.raises(
        ValueError,
        match=r"^virtual_machines\[0\].ports\[22\].allowed_source_address_prefixes: in "
        r"Bastion mode the only source is the Bastion subnet",
    ):
        resolve_policy(
            policy_args(
                allowed_source_address_prefixes=[],
                bastion_subnet_prefix="10.0.255.0/26",
                virtual_machines=[vm_entry(ports=[JitPortRule(22, allowed_source_address_prefixes=["203.0.113.7"])])],
            )
        )


def test_docstring_explains_the_single_writer_rule_and_shows_an_example():
    doc = JitAccessPolicy.__doc__
    assert "two writers" in doc and "requests" in doc and "Example:" in doc
