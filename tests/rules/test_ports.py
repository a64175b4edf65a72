"""Ports and port ranges as NSG rules and JIT policies write them; junk is always a ValueError."""

import pytest

from azure_jit_access.rules.ports import (
    MANAGEMENT_PORTS,
    covered_ports,
    parse_port,
    parse_port_range,
    protocol_carries_ports,
    ranges_cover,
    try_port_range,
)


def test_management_ports_are_ssh_rdp_and_winrm():
    assert MANAGEMENT_PORTS == (22, 3389, 5985, 5986)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("22", (22, 22)), (22, (22, 22)), (22.0, (22, 22)), ("1000-2000", (1000, 2000)), (" 21 - 23 ", (21, 23))],
)
def test_port_ranges_parse(spec, expected):
    assert parse_port_range(spec) == expected


def test_star_is_every_port():
    assert parse_port_range("*") == (0, 65535)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "ssh",
        "23-21",
        "70000",
        "1-70000",
        "-22",
        "22-",
        None,
        True,
        22.5,
        "2 2",
        "²",
        "٣",
        "2²",
        "1e3",
        "0x16",
        [22],
    ],
)
def test_junk_is_a_value_error_naming_the_value(spec):
    # "²".isdigit() is True but int("²") raises; "٣" (Arabic-Indic three) is a digit int() accepts. Both refused.
    with pytest.raises(ValueError) as err:
        parse_port_range(spec)
    assert repr(spec) in str(err.value) or str(spec) in str(err.value)
    assert try_port_range(spec) is None


@pytest.mark.parametrize("value", [-1, 65536, True, "22.0", None])
def test_single_ports_are_checked(value):
    with pytest.raises(ValueError):
        parse_port(value)


def test_overlap_with_management_ports():
    assert covered_ports(["20-25", "3000-4000"]) == [22, 3389]
    assert covered_ports(["*"]) == [22, 3389, 5985, 5986]
    assert covered_ports(["80", "443", "junk"]) == []
    assert ranges_cover(["5980-5990"], 5985)
    with pytest.raises(ValueError):
        ranges_cover(["²"], 22)


@pytest.mark.parametrize(("protocol", "carries"), [("Tcp", True), ("*", True), (None, True), ("Icmp", False)])
def test_protocols_that_carry_ports(protocol, carries):
    assert protocol_carries_ports(protocol) is carries
