"""jit-policy-no-wildcard-source, jit-policy-max-duration and jit-policy-allowed-ports."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

from jit_guardrails.jit import duration_cap

JIT = "azure-native:security:JitNetworkAccessPolicy"
SOURCE = "jit-policy-no-wildcard-source"
DURATION = "jit-policy-max-duration"
PORTS = "jit-policy-allowed-ports"
VM_ID = "/subscriptions/s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-1"


def policy(*ports, vm_id=VM_ID):
    return {
        "resourceGroupName": "rg-app",
        "ascLocation": "westeurope",
        "kind": "Basic",
        "jitNetworkAccessPolicyName": "default",
        "virtualMachines": [{"id": vm_id, "ports": list(ports)}],
    }


def port(number=22, **overrides):
    props = {
        "number": number,
        "protocol": "TCP",
        "allowedSourceAddressPrefix": "203.0.113.10",
        "maxRequestAccessDuration": "PT3H",
    }
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


@pytest.mark.parametrize(
    "sources",
    [
        {"allowedSourceAddressPrefix": "*"},
        {"allowedSourceAddressPrefix": "Any"},
        {"allowedSourceAddressPrefix": "internet"},
        {"allowedSourceAddressPrefix": "0.0.0.0/0"},
        {"allowedSourceAddressPrefix": None, "allowedSourceAddressPrefixes": ["203.0.113.10", "::/0"]},
        {"allowedSourceAddressPrefix": None, "allowedSourceAddressPrefixes": ["0.0.0.0/1", "128.0.0.0/1"]},
    ],
)
def test_wildcard_and_internet_wide_sources_are_refused(judge, make, sources):
    found = judge(make(JIT, "jit", policy(port(**sources))), policy=SOURCE)
    assert [(p, level) for p, level, _ in found] == [(SOURCE, "mandatory")]
    assert found[0][2].startswith("VM 'web-1' port rule [0] (port 22) lets requests open the port to '")


def test_a_port_rule_without_any_source_is_refused(judge, make):
    found = judge(make(JIT, "jit", policy(port(allowedSourceAddressPrefix=None))), policy=SOURCE)
    assert len(found) == 1 and "sets neither allowedSourceAddressPrefix nor allowedSourceAddressPrefixes" in found[0][2]


@pytest.mark.parametrize(
    "sources",
    [
        {"allowedSourceAddressPrefix": "203.0.113.10"},
        {"allowedSourceAddressPrefix": "10.0.255.0/26"},
        {"allowedSourceAddressPrefix": None, "allowedSourceAddressPrefixes": ["203.0.113.10", "198.51.100.0/24"]},
        {"allowedSourceAddressPrefix": None, "allowedSourceAddressPrefixes": ["2001:db8::1"]},
    ],
)
def test_explicit_narrow_sources_pass(judge, make, sources):
    assert judge(make(JIT, "jit", policy(port(**sources))), policy=SOURCE) == []


def test_every_vm_and_port_is_checked_and_config_applies(judge, make):
    props = policy(port(22), port(3389, allowedSourceAddressPrefix="20.0.0.0/12"))
    web_2 = VM_ID.replace("web-1", "web-2")
    props["virtualMachines"].append({"id": web_2, "ports": [port(allowedSourceAddressPrefix="*")]})
    found = judge(make(JIT, "jit", props), policy=SOURCE)
    assert [d.split(" lets")[0] for _, _, d in found] == [
        "VM 'web-1' port rule [1] (port 3389)",
        "VM 'web-2' port rule [0] (port 22)",
    ]
    found = judge(make(JIT, "jit", props), policy=SOURCE, config={SOURCE: {"allowedSources": ["20.0.0.0/12"]}})
    assert [d.split(" lets")[0] for _, _, d in found] == ["VM 'web-2' port rule [0] (port 22)"]


def test_unknown_source_is_deferred(judge, make):
    found = judge(make(JIT, "jit", policy(port(allowedSourceAddressPrefix=UNKNOWN))), policy=SOURCE)
    assert [level for _, level, _ in found] == ["advisory"]
    assert "VM 'web-1' port rule [0] (port 22): allowed source" in found[0][2]


@pytest.mark.parametrize(
    ("duration", "phrase"),
    [
        ("PT48H", "'PT48H' (2d) is longer than the team's cap (policy config maxDuration)"),
        ("P1D", "'P1D' (1d) is longer than the team's cap"),
        ("PT3H1M", "'PT3H1M' (3h1m) is longer than the team's cap"),
        ("PT4M", "'PT4M' (4m) is below JIT's minimum; set it between PT5M and PT3H."),
        ("3h", "is not a valid ISO 8601 duration ('3h' does not start with 'P'"),
        ("pt3h", "(designators are upper case)"),
        (None, "is not set; set it between PT5M and PT3H, e.g. PT1H."),
    ],
)
def test_durations_outside_the_cap_or_not_iso_are_refused(judge, make, duration, phrase):
    found = judge(make(JIT, "jit", policy(port(maxRequestAccessDuration=duration))), policy=DURATION)
    assert [(p, level) for p, level, _ in found] == [(DURATION, "mandatory")]
    assert found[0][2].startswith("VM 'web-1' port rule [0] (port 22): maxRequestAccessDuration ")
    assert phrase in found[0][2]


@pytest.mark.parametrize("duration", ["PT3H", "PT5M", "PT1H30M", "PT180M"])
def test_durations_within_the_cap_pass(judge, make, duration):
    assert judge(make(JIT, "jit", policy(port(maxRequestAccessDuration=duration))), policy=DURATION) == []


def test_the_cap_is_configurable_but_never_above_a_day(judge, make):
    day = make(JIT, "jit", policy(port(maxRequestAccessDuration="PT24H")))
    assert judge(day, policy=DURATION, config={DURATION: {"maxDuration": "PT24H"}}) == []
    assert judge(day, policy=DURATION, config={DURATION: {"maxDuration": "P2D"}}) == []
    longer = make(JIT, "jit", policy(port(maxRequestAccessDuration="PT25H")))
    found = judge(longer, policy=DURATION, config={DURATION: {"maxDuration": "P2D"}})
    assert len(found) == 1 and "is longer than JIT's maximum of one day" in found[0][2]
    short = make(JIT, "jit", policy(port(maxRequestAccessDuration="PT1H")))
    assert len(judge(short, policy=DURATION, config={DURATION: {"maxDuration": "PT30M"}})) == 1


@pytest.mark.parametrize(
    ("configured", "message"),
    [
        ("3 hours", "maxDuration: '3 hours' does not start with 'P'"),
        ("PT1M", "maxDuration 'PT1M' is below JIT's minimum of PT5M"),
    ],
)
def test_a_broken_cap_in_config_is_a_clear_error(configured, message):
    with pytest.raises(ValueError, match="policy config jit-policy-max-duration") as err:
        duration_cap(configured)
    assert message in str(err.value)


@pytest.mark.parametrize("number", [80, 443, 1433])
def test_non_management_ports_are_advised_against(judge, make, number):
    found = judge(make(JIT, "jit", policy(port(number))), policy=PORTS)
    assert found == [
        (
            PORTS,
            "advisory",
            f"VM 'web-1' port rule [0] opens port {number}, which is not a configured "
            "management port (22, 3389, 5985, 5986): JIT is for administrative access.",
        )
    ]


@pytest.mark.parametrize("number", [22, 3389, 5985, 5986])
def test_management_ports_pass(judge, make, number):
    assert judge(make(JIT, "jit", policy(port(number))), policy=PORTS) == []


def test_allowed_ports_are_configurable(judge, make):
    ssh_alt = make(JIT, "jit", policy(port(2222)))
    assert judge(ssh_alt, policy=PORTS, config={PORTS: {"allowedPorts": [2222]}}) == []
    assert len(judge(make(JIT, "j", policy(port(22))), policy=PORTS, config={PORTS: {"allowedPorts": [2222]}})) == 1
    assert judge(make(JIT, "j", policy(port(80))), policy=PORTS, config={PORTS: "mandatory"})[0][1] == "mandatory"


def test_unknown_vm_list_is_deferred_by_every_jit_policy(judge, make):
    props = policy()
    props["virtualMachines"] = UNKNOWN
    found = judge(make(JIT, "jit", props))
    assert sorted((p, level) for p, level, _ in found) == [
        (PORTS, "advisory"),
        (DURATION, "advisory"),
        (SOURCE, "advisory"),
        ("jit-policy-vm-in-scope", "advisory"),
    ]
