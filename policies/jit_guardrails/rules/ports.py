"""Ports: management ports, port and port-range parsing, and which management ports a range reaches.

Parsing is strict about what a digit is: `"²".isdigit()` is True but `int("²")` raises, and `int("٣")` is 3;
Azure reads ASCII digits only, so only `0`-`9` count here, and every refusal is a ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable

MANAGEMENT_PORTS: tuple[int, ...] = (22, 3389, 5985, 5986)
"""SSH, RDP, WinRM over HTTP and HTTPS: the ports JIT exists to keep closed."""

MIN_PORT, MAX_PORT = 0, 65535
ALL_PORTS = (MIN_PORT, MAX_PORT)
"""`*` as an inclusive range."""

NON_PORT_PROTOCOLS = frozenset({"icmp", "esp", "ah"})
"""NSG protocols that never carry SSH/RDP/WinRM; everything else (Tcp, Udp, *, unknown spellings) does."""

_ASCII_DIGITS = frozenset("0123456789")


def _number(text: str, original: object) -> int:
    if not text or not set(text) <= _ASCII_DIGITS or len(text) > 5:
        raise ValueError(f"{original!r} is not a port, a range such as '8000-8080', or '*'")
    port = int(text)
    if port > MAX_PORT:
        raise ValueError(f"{original!r}: port {port} is above {MAX_PORT}")
    return port


def parse_port(value: object) -> int:
    """One port number (an int or ASCII digits) from 0 to 65535; booleans and fractions are refused."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a port number")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if not MIN_PORT <= value <= MAX_PORT:
            raise ValueError(f"port {value} is out of range {MIN_PORT}-{MAX_PORT}")
        return value
    if isinstance(value, str):
        return _number(value.strip(), value)
    raise ValueError(f"{value!r} is not a port number")


def parse_port_range(value: object) -> tuple[int, int]:
    """`"22"`, `22`, `"1000-2000"` or `"*"` as an inclusive (low, high) range.

    Raises:
        ValueError: for anything else (a reversed range, junk, out-of-range numbers), naming the value.
    """
    if not isinstance(value, str):
        port = parse_port(value)
        return port, port
    text = value.strip()
    if text == "*":
        return ALL_PORTS
    low, dash, high = text.partition("-")
    first = _number(low.strip(), value)
    last = _number(high.strip(), value) if dash else first
    if first > last:
        raise ValueError(f"{value!r}: the lower port must come first, e.g. '{last}-{first}'")
    return first, last


def try_port_range(value: object) -> tuple[int, int] | None:
    """`parse_port_range`, or None when the value is not a port spec (for checks that skip junk)."""
    try:
        return parse_port_range(value)
    except ValueError:
        return None


def covered_ports(specs: Iterable[object], ports: Iterable[int] = MANAGEMENT_PORTS) -> list[int]:
    """The ports (sorted) that any of the specs reaches; specs that are not port specs are ignored."""
    ranges = [r for r in (try_port_range(s) for s in specs) if r is not None]
    return sorted({p for p in ports for low, high in ranges if low <= p <= high})


def ranges_cover(specs: Iterable[object], port: int) -> bool:
    """Whether any spec reaches `port`; a spec that cannot be read raises ValueError (fail closed)."""
    return any(low <= port <= high for low, high in (parse_port_range(s) for s in specs))


def protocol_carries_ports(protocol: object) -> bool:
    """Whether an NSG protocol (`Tcp`, `Udp`, `*`, any case) can reach a TCP/UDP port.

    A missing protocol is treated as `*`: fail closed.
    """
    if not isinstance(protocol, str) or not protocol.strip():
        return True
    return protocol.strip().lower() not in NON_PORT_PROTOCOLS
