"""Which management ports does a rule reach? Port specs and protocols as NSG rules and JIT policies write them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_MANAGEMENT_PORTS = (22, 3389, 5985, 5986)
"""SSH, RDP, WinRM over HTTP and HTTPS: the ports JIT exists to keep closed."""

ALL_PORTS = (0, 65535)

# Protocols that never carry SSH/RDP/WinRM; everything else (Tcp, Udp, *, and unknown spellings) does.
NON_PORT_PROTOCOLS = frozenset({"icmp", "esp", "ah"})


def parse_port_spec(spec: Any) -> tuple[int, int] | None:
    """`"22"`, `22`, `"21-23"`, `"*"` as an inclusive (low, high) range; None if it is not a port spec."""
    if isinstance(spec, bool):
        return None
    if isinstance(spec, (int, float)):
        return (int(spec), int(spec)) if float(spec).is_integer() and 0 <= spec <= 65535 else None
    if not isinstance(spec, str):
        return None
    spec = spec.strip()
    if spec == "*":
        return ALL_PORTS
    low, dash, high = spec.partition("-")
    low, high = low.strip(), (high.strip() if dash else low.strip())
    # isdigit() alone accepts superscripts and other scripts' digits ("²"), which int() then refuses.
    if not (low.isascii() and high.isascii() and low.isdigit() and high.isdigit()):
        return None
    low_port, high_port = int(low), int(high)
    if low_port > high_port or high_port > 65535:
        return None
    return low_port, high_port


def covered_ports(specs: Iterable[Any], ports: Iterable[int]) -> list[int]:
    """The ports (sorted) that any of the specs reaches."""
    ranges = [r for r in (parse_port_spec(s) for s in specs) if r is not None]
    return sorted({p for p in ports for low, high in ranges if low <= p <= high})


def protocol_carries_ports(protocol: Any) -> bool:
    """Whether an NSG protocol (`Tcp`, `Udp`, `*`, any case) can reach a TCP/UDP port.

    A missing protocol is treated as `*`: fail closed.
    """
    if not isinstance(protocol, str) or not protocol.strip():
        return True
    return protocol.strip().lower() not in NON_PORT_PROTOCOLS
