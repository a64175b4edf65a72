"""Which management ports does a rule reach? Re-exported from `rules.ports`, the one implementation."""

from __future__ import annotations

from .rules.ports import ALL_PORTS, NON_PORT_PROTOCOLS, covered_ports, protocol_carries_ports, try_port_range
from .rules.ports import MANAGEMENT_PORTS as DEFAULT_MANAGEMENT_PORTS

parse_port_spec = try_port_range
"""`"22"`, `22`, `"21-23"`, `"*"` as an inclusive (low, high) range; None if it is not a port spec."""

__all__ = [
    "ALL_PORTS",
    "DEFAULT_MANAGEMENT_PORTS",
    "NON_PORT_PROTOCOLS",
    "covered_ports",
    "parse_port_spec",
    "protocol_carries_ports",
]
