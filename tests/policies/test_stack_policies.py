"""Stack policies: JIT coverage, NSG in front of every VM, one owner per NSG, one writer per JIT policy."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

VM = "azure-native:compute:VirtualMachine"
NIC = "azure-native:network:NetworkInterface"
NSG = "azure-native:network:NetworkSecurityGroup"
RULE = "azure-native:network:SecurityRule"
SUBNET = "azure-native:network:Subnet"
VNET = "azure-native:network:VirtualNetwork"
JIT = "azure-native:security:JitNetworkAccessPolicy"
COVERED = "vm-management-ports-jit-protected"
HAS_NSG = "vm-has-nsg"
OWNERSHIP = "nsg-rule-ownership"
WRITER = "jit-policy-single-writer"
RG_ID = "/subscriptions/s/resourceGroups/rg-app"


def vm_id(name, group="rg-app"):
    return f"/subscriptions/s/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/{name}"


def nic_id(name):
    return f"{RG_ID}/providers/Microsoft.Network/networkInterfaces/{name}"


def vm(make, name, nic="web-nic", tags=None, **extra):
    props = {
        "resourceGroupName": "rg-app",
        "vmName": name,
        "networkProfile": {"networkInterfaces": [{"id": nic_id(nic), "primary": True}]},
        **extra,
    }
    if tags is not None:
        props["tags"] = tags
    return make(VM, name, props)


def jit(make, *vm_ids, name="default", logical="jit", group="rg-app", location="westeurope"):
    machines = [
        {
            "id": i,
            "ports": [
                {
                    "number": 22,
                    "protocol": "TCP",
                    "allowedSourceAddressPrefix": "203.0.113.10",
                    "maxRequestAccessDuration": "PT3H",
                }
            ],
        }
        for i in vm_ids
    ]
    return make(
        JIT,
        logical,
        {
            "resourceGroupName": group,
            "ascLocation": location,
            "kind": "Basic",
            "jitNetworkAccessPolicyName": name,
            "virtualMachines": machines,
        },
    )


def covered_verdicts(judge, *resources, config=None):
    return [(level, detail) for _, level, detail in judge(*resources, policy=COVERED, config=config)]


def test_a_vm_listed_in_a_jit_policy_is_covered(judge, make):
    assert covered_verdicts(judge, vm(make, "web-1"), jit(make, vm_id("web-1"))) == []


def test_ids_match_case_insensitively_and_with_the_name_output(judge, make):
    machine = make(VM, "web", {"resourceGroupName": "RG-App"}, outputs={"name": "Web-1"})
    assert covered_verdicts(judge, machine, jit(make, vm_id("web-1").upper())) == []


def test_a_vm_in_no_jit_policy_is_refused(judge, make):
    found = covered_verdicts(judge, vm(make, "web-1"), vm(make, "web-2"), jit(make, vm_id("web-1")))
    assert found == [
        (
            "mandatory",
            "VM 'web-2' in resource group 'rg-app' is not listed (with ports) in any JIT "
            "network access policy in this stack, so nothing keeps its management ports closed between "
            "requests (and it has no 'jit-exempt-reason' tag saying why).",
        )
    ]


def test_same_name_in_another_resource_group_does_not_count(judge, make):
    found = covered_verdicts(judge, vm(make, "web-1"), jit(make, vm_id("web-1", "rg-other"), group="rg-other"))
    assert [level for level, _ in found] == ["mandatory"]


def test_a_jit_entry_without_ports_does_not_count(judge, make):
    policy = jit(make, vm_id("web-1"))
    policy.inputs["virtualMachines"][0]["ports"] = []
    assert [level for level, _ in covered_verdicts(judge, vm(make, "web-1"), policy)] == ["mandatory"]


def test_a_vm_without_any_jit_policy_in_the_stack_is_refused(judge, make):
    assert len(covered_verdicts(judge, vm(make, "web-1"))) == 1


@pytest.mark.parametrize(
    ("tags", "passes"),
    [
        ({"jit-exempt-reason": "Build agent, reachable only through the hub firewall (ticket OPS-12)"}, True),
        ({"jit-exempt-reason": "true"}, False),
        ({"jit-exempt-reason": "  "}, False),
        ({"other": "reason"}, False),
    ],
)
def test_opt_out_needs_a_real_reason(judge, make, tags, passes):
    assert (covered_verdicts(judge, vm(make, "agent", tags=tags)) == []) is passes


def test_the_opt_out_tag_is_configurable(judge, make):
    machine = vm(make, "agent", tags={"no-jit": "Jump host replaced by Bastion in Q3"})
    assert len(covered_verdicts(judge, machine)) == 1
    assert covered_verdicts(judge, machine, config={COVERED: {"optOutTag": "no-jit"}}) == []


def test_unknown_jit_ids_make_coverage_unverifiable_not_violated(judge, make):
    found = covered_verdicts(judge, vm(make, "web-1"), jit(make, UNKNOWN))
    assert [level for level, _ in found] == ["advisory"]
    assert "VM 'web-1' (its name or the JIT policies' VM ids are not known yet)" in found[0][1]


def test_known_coverage_is_still_checked_next_to_unknown_ids(judge, make):
    found = covered_verdicts(judge, vm(make, "web-1"), vm(make, "web-2"), jit(make, vm_id("web-1"), UNKNOWN))
    assert [level for level, _ in found] == ["advisory"]
    assert "VM 'web-1'" not in found[0][1]


def nic(make, name="web-nic", nsg=True, subnet_id=None):
    props = {
        "resourceGroupName": "rg-app",
        "networkInterfaceName": name,
        "ipConfigurations": [
            {
                "name": "ipconfig1",
                "subnet": {
                    "id": subnet_id or f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/workload"
                },
            }
        ],
    }
    if nsg:
        props["networkSecurityGroup"] = {"id": f"{RG_ID}/providers/Microsoft.Network/networkSecurityGroups/web-nsg"}
    return make(NIC, name, props)


def subnet(make, nsg=True):
    props = {
        "resourceGroupName": "rg-app",
        "virtualNetworkName": "vnet",
        "subnetName": "workload",
        "addressPrefix": "10.0.1.0/24",
    }
    if nsg:
        props["networkSecurityGroup"] = {"id": f"{RG_ID}/providers/Microsoft.Network/networkSecurityGroups/sub-nsg"}
    return make(SUBNET, "workload", props)


def nsg_verdicts(judge, *resources, config=None):
    return [(level, detail) for _, level, detail in judge(*resources, policy=HAS_NSG, config=config)]


@pytest.mark.parametrize(
    "network",
    [
        lambda make: [nic(make, nsg=True), subnet(make, nsg=False)],
        lambda make: [nic(make, nsg=False), subnet(make, nsg=True)],
        lambda make: [
            nic(make, nsg=False),
            make(
                VNET,
                "vnet",
                {
                    "resourceGroupName": "rg-app",
                    "subnets": [
                        {"name": "workload", "addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": "/x/nsg"}}
                    ],
                },
            ),
        ],
        lambda make: [nic(make, nsg=True)],
    ],
)
def test_an_nsg_on_the_nic_or_its_subnet_passes(judge, make, network):
    assert nsg_verdicts(judge, vm(make, "web-1"), *network(make)) == []


def test_a_vm_with_no_nsg_on_nic_or_subnet_is_refused(judge, make):
    found = nsg_verdicts(judge, vm(make, "web-1"), nic(make, nsg=False), subnet(make, nsg=False))
    assert found == [
        (
            "mandatory",
            "VM 'web-1': neither NIC 'web-nic' nor its subnet vnet/workload has a "
            "networkSecurityGroup. JIT opens and closes ports by writing NSG rules, so without an NSG on "
            "the NIC or its subnet a JIT policy protects nothing.",
        )
    ]


def test_vm_managed_nic_configurations_are_checked(judge, make):
    machine = make(
        VM,
        "web-1",
        {
            "resourceGroupName": "rg-app",
            "networkProfile": {
                "networkInterfaceConfigurations": [
                    {
                        "name": "primary",
                        "ipConfigurations": [
                            {
                                "name": "ip",
                                "subnet": {
                                    "id": f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/workload"
                                },
                            }
                        ],
                    }
                ]
            },
        },
    )
    assert [level for level, _ in nsg_verdicts(judge, machine, subnet(make, nsg=False))] == ["mandatory"]
    assert nsg_verdicts(judge, machine, subnet(make, nsg=True)) == []


def test_networks_outside_the_stack_fail_closed_unless_trusted(judge, make):
    found = nsg_verdicts(judge, vm(make, "web-1"))
    assert len(found) == 1 and "is not managed by this stack" in found[0][1]
    outside = nic(
        make,
        nsg=False,
        subnet_id="/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub/subnets/shared",
    )
    assert "is in subnet" in nsg_verdicts(judge, vm(make, "web-1"), outside)[0][1]
    assert nsg_verdicts(judge, vm(make, "web-1"), outside, config={HAS_NSG: {"trustExternalNetworks": True}}) == []


def test_unknown_nic_reference_is_deferred(judge, make):
    machine = make(VM, "web-1", {"networkProfile": {"networkInterfaces": [{"id": UNKNOWN}]}})
    assert [level for level, _ in nsg_verdicts(judge, machine)] == ["advisory"]


def standalone_rule(make, name, nsg="web-nsg", parent=None):
    return make(
        RULE,
        name,
        {
            "resourceGroupName": "rg-app",
            "networkSecurityGroupName": nsg,
            "securityRuleName": name,
            "access": "Deny",
            "direction": "Inbound",
            "protocol": "*",
            "priority": 4000,
            "sourceAddressPrefix": "*",
            "destinationPortRange": "22",
        },
        parent=parent,
    )


def test_an_nsg_with_inline_and_standalone_rules_is_refused(judge, make):
    nsg = make(
        NSG,
        "web-nsg",
        {
            "resourceGroupName": "rg-app",
            "networkSecurityGroupName": "web-nsg",
            "securityRules": [{"name": "https", "access": "Allow"}],
        },
    )
    found = judge(nsg, standalone_rule(make, "deny-ssh"), policy=OWNERSHIP)
    assert found == [
        (
            OWNERSHIP,
            "mandatory",
            "NSG 'web-nsg' is managed both inline (securityRules: https) and by "
            "standalone SecurityRule resources (deny-ssh). Each update of the NSG replaces its rule list, "
            "deleting the standalone rules and JIT's.",
        )
    ]


def test_an_explicit_empty_inline_list_next_to_standalone_rules_is_refused(judge, make):
    nsg = make(NSG, "n", {"resourceGroupName": "rg-app", "networkSecurityGroupName": "web-nsg", "securityRules": []})
    found = judge(nsg, standalone_rule(make, "deny-ssh"), policy=OWNERSHIP)
    assert len(found) == 1 and "(securityRules: an empty list)" in found[0][2]


def test_rules_are_tied_to_their_nsg_by_parent_too(judge, make):
    nsg = make(NSG, "n", {"securityRules": [{"name": "a"}]})
    assert len(judge(nsg, standalone_rule(make, "r", nsg=UNKNOWN, parent=nsg.urn), policy=OWNERSHIP)) == 1


@pytest.mark.parametrize(
    "resources",
    [
        lambda make: [make(NSG, "web-nsg", {"resourceGroupName": "rg-app"}), standalone_rule(make, "deny-ssh")],
        lambda make: [make(NSG, "web-nsg", {"resourceGroupName": "rg-app", "securityRules": [{"name": "a"}]})],
        lambda make: [
            make(
                NSG,
                "other",
                {"resourceGroupName": "rg-app", "networkSecurityGroupName": "other", "securityRules": [{"name": "a"}]},
            ),
            standalone_rule(make, "deny-ssh"),
        ],
        # State read back from Azure lists standalone and JIT rules in securityRules: that is not inline ownership.
        lambda make: [
            make(
                NSG,
                "web-nsg",
                {"resourceGroupName": "rg-app"},
                outputs={
                    "provisioningState": "Succeeded",
                    "securityRules": [{"name": "deny-ssh"}, {"name": "SecurityCenter-JITRule-123-abc"}],
                },
            ),
            standalone_rule(make, "deny-ssh"),
        ],
    ],
)
def test_single_owner_nsgs_pass(judge, make, resources):
    assert judge(*resources(make), policy=OWNERSHIP) == []


def test_two_resources_writing_one_jit_policy_are_refused(judge, make):
    first = jit(make, vm_id("web-1"), logical="jit-linux")
    second = jit(make, vm_id("web-2"), logical="jit-windows", location="WestEurope")
    found = judge(first, second, policy=WRITER)
    assert found == [
        (
            WRITER,
            "mandatory",
            "JIT policies 'jit-linux' and 'jit-windows' both write policy 'default' "
            "in resource group 'rg-app' at WestEurope. A PUT replaces the policy's whole VM list, so each "
            "deployment silently drops the other's VMs.",
        )
    ]


@pytest.mark.parametrize(
    "second",
    [
        dict(name="other"),
        dict(group="rg-two"),
        dict(location="northeurope"),
    ],
)
def test_distinct_jit_policies_pass(judge, make, second):
    policies = [jit(make, vm_id("a"), logical="one"), jit(make, vm_id("b"), logical="two", **second)]
    assert judge(*policies, policy=WRITER) == []


def test_a_nic_or_subnet_whose_name_is_not_known_yet_defers_instead_of_failing(judge, make):
    pending_nic = make(NIC, "web-nic", {"resourceGroupName": "rg-app", "networkInterfaceName": UNKNOWN})
    assert [level for level, _ in nsg_verdicts(judge, vm(make, "web-1"), pending_nic)] == ["advisory"]
    pending_subnet = make(
        SUBNET, "workload", {"resourceGroupName": "rg-app", "virtualNetworkName": UNKNOWN, "subnetName": "workload"}
    )
    found = nsg_verdicts(judge, vm(make, "web-1"), nic(make, nsg=False), pending_subnet)
    assert [level for level, _ in found] == ["advisory"]
