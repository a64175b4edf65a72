"""jit-entry-covers-management-ports, subnet-single-owner, and the other claims issue 16 closed (opt-out flags,
multi-tenant service tags, Microsoft's JIT reader actions)."""

import pytest
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE

from jit_guardrails.coverage import vm_os

JIT = "azure-native:security:JitNetworkAccessPolicy"
VM = "azure-native:compute:VirtualMachine"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
COVERS = "jit-entry-covers-management-ports"
SUBNETS = "subnet-single-owner"
VM_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{}"


def jit_policy(*entries):
    machines = [
        {"id": VM_ID.format(name), "ports": [{"number": p, "protocol": "TCP"} for p in ports]}
        for name, ports in entries
    ]
    return {"resourceGroupName": "rg", "jitNetworkAccessPolicyName": "default", "virtualMachines": machines}


def vm(name, os_kind):
    profile = {"linuxConfiguration": {}} if os_kind == "linux" else {"windowsConfiguration": {}}
    return {"vmName": name, "resourceGroupName": "rg", "osProfile": profile}


@pytest.mark.parametrize(
    ("os_kind", "ports", "flagged"),
    [
        ("linux", [8080], True),
        ("linux", [3389], True),  # RDP is not a Linux VM's management port
        ("linux", [22, 8080], False),
        ("windows", [22], True),
        ("windows", [5986], False),
        (None, [443], True),  # VM outside the stack: any management port will do
        (None, [3389], False),
    ],
)
def test_entry_must_cover_a_management_port_of_the_vms_os(judge, make, os_kind, ports, flagged):
    resources = [make(JIT, "jit", jit_policy(("vm1", ports)))]
    if os_kind:
        resources.append(make(VM, "vm1", vm("vm1", os_kind)))
    found = judge(*resources, policy=COVERS)
    assert bool(found) is flagged
    if flagged:
        assert found[0][1] == "mandatory" and found[0][2].startswith("JIT policy 'jit' lists VM 'vm1' with port(s)")


def test_entries_without_ports_are_left_to_the_jit_protected_policy(judge, make):
    assert judge(make(JIT, "jit", jit_policy(("vm1", []))), policy=COVERS) == []


def test_unknown_port_numbers_are_deferred(judge, make):
    found = judge(make(JIT, "jit", jit_policy(("vm1", [UNKNOWN_NUMBER_VALUE]))), policy=COVERS)
    assert [level for _, level, _ in found] == ["advisory"]


def test_vm_os_from_profile_or_disk():
    assert vm_os({"storageProfile": {"osDisk": {"osType": "Windows"}}}) == "windows"
    assert vm_os({"osProfile": {"linuxConfiguration": {"disablePasswordAuthentication": True}}}) == "linux"
    assert vm_os({}) is None


def vnet(subnets=None):
    props = {
        "virtualNetworkName": "vnet",
        "resourceGroupName": "rg",
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
    }
    if subnets is not None:
        props["subnets"] = subnets
    return props


def subnet(name, network="vnet"):
    return {
        "subnetName": name,
        "virtualNetworkName": network,
        "resourceGroupName": "rg",
        "addressPrefix": "10.0.1.0/24",
        "networkSecurityGroup": {"id": "/subscriptions/s/.../networkSecurityGroups/nsg"},
    }


def test_same_subnet_inline_and_standalone_is_refused(judge, make):
    found = judge(
        make(VNET, "vnet", vnet([{"name": "app", "addressPrefix": "10.0.1.0/24"}])),
        make(SUBNET, "app", subnet("app")),
        policy=SUBNETS,
    )
    assert [(p, level) for p, level, _ in found] == [(SUBNETS, "mandatory")]
    assert "subnet 'app' also as the standalone Subnet 'app' (the same subnet twice)" in found[0][2]


def test_mixing_inline_and_standalone_subnets_is_refused(judge, make):
    found = judge(make(VNET, "vnet", vnet([{"name": "web"}])), make(SUBNET, "app", subnet("app")), policy=SUBNETS)
    assert len(found) == 1 and "or failing on a subnet the list omits" in found[0][2]


def test_one_owner_per_subnet_passes(judge, make):
    assert judge(make(VNET, "vnet", vnet()), make(SUBNET, "app", subnet("app")), policy=SUBNETS) == []
    assert judge(make(VNET, "vnet", vnet([{"name": "app"}])), policy=SUBNETS) == []
    assert (
        judge(make(VNET, "vnet", vnet([{"name": "app"}])), make(SUBNET, "x", subnet("app", "other")), policy=SUBNETS)
        == []
    )


@pytest.mark.parametrize("flag", ["false", "False", "no", "0", "off"])
def test_an_opt_out_tag_holding_a_flag_is_no_reason(judge, make, flag):
    found = judge(
        make(VM, "vm1", {**vm("vm1", "linux"), "tags": {"jit-exempt-reason": flag}}),
        policy="vm-management-ports-jit-protected",
    )
    assert len(found) == 1 and found[0][1] == "mandatory"


@pytest.mark.parametrize("tag", ["DataFactory", "DataFactory.WestEurope", "LogicApps", "AzureFrontDoor.Backend"])
def test_multi_tenant_service_tags_are_internet_wide(judge, make, tag):
    rule = {
        "securityRuleName": "r",
        "access": "Allow",
        "direction": "Inbound",
        "protocol": "Tcp",
        "sourceAddressPrefix": tag,
        "destinationPortRange": "22",
    }
    found = judge(make("azure-native:network:SecurityRule", "r", rule), policy="nsg-no-public-management-source")
    assert len(found) == 1 and f"from '{tag}'" in found[0][2]


def test_microsofts_jit_reader_actions_fit_a_requester_role(judge, make):
    role = {
        "roleName": "JIT requester and reader",
        "permissions": [
            {
                "actions": [
                    "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action",
                    "Microsoft.Security/locations/jitNetworkAccessPolicies/read",
                    "Microsoft.Security/policies/read",
                    "Microsoft.Security/pricings/read",
                    "Microsoft.Compute/virtualMachines/read",
                    "Microsoft.Network/*/read",
                ]
            }
        ],
        "assignableScopes": ["/subscriptions/s/resourceGroups/rg"],
    }
    assert (
        judge(make("azure-native:authorization:RoleDefinition", "r", role), policy="jit-requester-role-least-privilege")
        == []
    )
