"""Every policy is total: on any props (junk types, unknowns, odd ports and durations) it reports, defers or
passes; it never crashes. The crash guard is the safety net, not the behaviour: a finding made by the guard
fails these properties, so a policy that only survives thanks to it is caught here.

Budgets are fixed and derandomized so `make test` is deterministic and stays within seconds.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

from jit_guardrails import all_policies
from jit_guardrails.testing import SyntheticResource, judge_all, judge_resource, judge_stack

from .test_robustness import KEYS, TYPES

POLICIES = all_policies()
CRASH = "failed while judging"
BUDGET = settings(
    max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], database=None
)

# Strings users and generators get wrong: superscript digits pass str.isdigit(), huge durations overflow timedelta.
ODD_TEXT = [
    "²",
    "٣",
    "22-²",
    "P99999999999D",
    "PT99999999999999999999H",
    "P1Y2M3W4DT5H6M7.5S",
    "PT1.5H",
    "PT",
    "P",
    "",
    " ",
    "*",
    "Any",
    "Internet",
    "0.0.0.0/0",
    "::/0",
    "10.0.0.0/33",
    "22",
    "65536",
    "-1",
    "3389-22",
    "Allow",
    "Inbound",
    "DoNotEnforce",
    "[parameters('effect')]",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
    "/subscriptions//resourceGroups/",
    "/",
    UNKNOWN,
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(ODD_TEXT),
    st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(KEYS + ["ports", "number", "maxRequestAccessDuration", "then", "if", "details"]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=12,
)
props = st.dictionaries(keys, values, max_size=8)
resources = st.builds(
    SyntheticResource, type=st.sampled_from(TYPES), name=st.sampled_from(["a", "b", "c"]), props=props
)


def crashes(findings):
    return [f"{f.policy}: {f.message}" for f in findings if CRASH in f.message]


@BUDGET
@given(resource=resources)
def test_every_resource_policy_is_total(resource):
    assert crashes(judge_resource(POLICIES, resource)) == []


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(stack=st.lists(resources, max_size=6))
def test_every_stack_policy_is_total(stack):
    named = [SyntheticResource(r.type, f"{r.name}{i}", r.props) for i, r in enumerate(stack)]
    assert crashes(judge_stack(POLICIES, named)) == []


JIT = "azure-native:security:JitNetworkAccessPolicy"
RG = "/subscriptions/s/resourceGroups/rg/providers"


def either(valid):
    """A valid value most of the time, anything else otherwise."""
    return st.one_of(st.just(valid), st.just(valid), scalars)


@st.composite
def wired_stack(draw):
    """A VM, its NIC, subnet, NSG, a standalone rule and a JIT policy, wired by ids, with junk in any leaf."""
    nic_id = draw(either(f"{RG}/Microsoft.Network/networkInterfaces/nic"))
    subnet_id = draw(either(f"{RG}/Microsoft.Network/virtualNetworks/vnet/subnets/sn"))
    vm_id = draw(either(f"{RG}/Microsoft.Compute/virtualMachines/vm"))
    return [
        SyntheticResource(
            "azure-native:compute:VirtualMachine",
            "vm",
            {
                "vmName": draw(either("vm")),
                "resourceGroupName": draw(either("rg")),
                "location": draw(either("westeurope")),
                "tags": draw(either({"jit-exempt-reason": draw(scalars)})),
                "networkProfile": {
                    "networkInterfaces": [{"id": nic_id}],
                    "networkInterfaceConfigurations": draw(values),
                },
            },
        ),
        SyntheticResource(
            "azure-native:network:NetworkInterface",
            "nic",
            {
                "networkInterfaceName": draw(either("nic")),
                "resourceGroupName": "rg",
                "networkSecurityGroup": draw(either({"id": draw(scalars)})),
                "ipConfigurations": [{"subnet": draw(either({"id": subnet_id}))}],
            },
        ),
        SyntheticResource(
            "azure-native:network:Subnet",
            "sn",
            {"subnetName": draw(either("sn")), "virtualNetworkName": draw(either("vnet")), "resourceGroupName": "rg"},
        ),
        SyntheticResource(
            "azure-native:network:NetworkSecurityGroup",
            "nsg",
            {"networkSecurityGroupName": draw(either("nsg")), "securityRules": draw(values)},
        ),
        SyntheticResource(
            "azure-native:network:SecurityRule",
            "rule",
            {"networkSecurityGroupName": draw(either("nsg")), "id": draw(scalars), "name": draw(scalars)},
        ),
        SyntheticResource(
            JIT,
            "jit",
            {
                "resourceGroupName": draw(either("rg")),
                "ascLocation": draw(either("westeurope")),
                "id": draw(scalars),
                "jitNetworkAccessPolicyName": draw(either("default")),
                "virtualMachines": draw(either([{"id": vm_id, "ports": draw(values)}])),
            },
        ),
    ]


@BUDGET
@given(stack=wired_stack())
def test_every_policy_is_total_on_a_wired_stack(stack):
    assert crashes(judge_all(POLICIES, stack)) == []


@BUDGET
@given(
    number=st.one_of(scalars, st.sampled_from(["²", "22", 22.0])),
    duration=st.one_of(scalars, st.sampled_from(["P99999999999D", "PT3H"])),
)
def test_jit_port_rules_with_any_number_and_duration_are_judged(number, duration):
    rule = {"number": number, "maxRequestAccessDuration": duration, "allowedSourceAddressPrefix": "203.0.113.7"}
    policy = {"resourceGroupName": "rg", "ascLocation": "westeurope", "virtualMachines": [{"id": "x", "ports": [rule]}]}
    assert crashes(judge_all(POLICIES, [SyntheticResource(JIT, "jit", policy)])) == []


RULE = "azure-native:network:SecurityRule"


@BUDGET
@given(port=st.one_of(scalars, st.lists(scalars, max_size=3)), source=scalars)
def test_nsg_rules_with_any_port_and_source_are_judged(port, source):
    rule = {"access": "Allow", "direction": "Inbound", "destinationPortRange": port, "sourceAddressPrefix": source}
    assert crashes(judge_resource(POLICIES, SyntheticResource(RULE, "r", rule))) == []


def test_the_known_crash_inputs_are_judged_not_crashed():
    rule = {"access": "Allow", "direction": "Inbound", "destinationPortRange": "²", "sourceAddressPrefix": "*"}
    port = {"number": 22, "maxRequestAccessDuration": "P99999999999D", "allowedSourceAddressPrefix": "203.0.113.7"}
    jit = {"resourceGroupName": "rg", "ascLocation": "westeurope", "virtualMachines": [{"id": "x", "ports": [port]}]}
    found = judge_all(POLICIES, [SyntheticResource(RULE, "r", rule), SyntheticResource(JIT, "jit", jit)])
    assert crashes(found) == []
    duration = [f.message for f in found if f.policy == "jit-policy-max-duration"]
    assert len(duration) == 1 and "P99999999999D" in duration[0]
