"""Port specs and protocols as NSG rules write them."""

import pytest

from jit_guardrails.ports import covered_ports, parse_port_spec, protocol_carries_ports

MANAGEMENT = [22, 3389, 5985, 5986]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("22", (22, 22)),
        (22, (22, 22)),
        (22.0, (22, 22)),
        ("21-23", (21, 23)),
        (" 21 - 23 ", (21, 23)),
        ("*", (0, 65535)),
        ("0-65535", (0, 65535)),
    ],
)
def test_port_specs_parse(spec, expected):
    assert parse_port_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "ssh", "23-21", "70000", "1-70000", "-22", "22-", None, True, 22.5, "2 2"])
def test_junk_is_not_a_port_spec(spec):
    assert parse_port_spec(spec) is None


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (["21-23"], [22]),
        (["23-3388"], []),
        (["3390-65535"], [5985, 5986]),
        (["3389"], [3389]),
        (["*"], MANAGEMENT),
        (["80", "443"], []),
        (["443", "3380-3390"], [3389]),
        (["5986"], [5986]),
        ([], []),
    ],
)
def test_port_range_edges(specs, expected):
    assert covered_ports(specs, MANAGEMENT) == expected


def test_configured_ports_decide_what_counts():
    assert covered_ports(["3390-65535"], [22, 3389]) == []
    assert covered_ports(["2200-2300"], [2222]) == [2222]


@pytest.mark.parametrize("protocol", ["Tcp", "tcp", "TCP", "Udp", "UDP", "*", None, ""])
def test_protocols_that_carry_ports(protocol):
    assert protocol_carries_ports(protocol)


@pytest.mark.parametrize("protocol", ["Icmp", "icmp", "Esp", "Ah"])
def test_protocols_without_ports(protocol):
    assert not protocol_carries_ports(protocol)
