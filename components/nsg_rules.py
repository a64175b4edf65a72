"""Caller-supplied NSG rules of a `JitProtectedVm`: their shape, their checks, and their SecurityRule args.

Callers add their own rules (HTTPS from the Internet, monitoring from a subnet) through the component,
always as standalone `network.SecurityRule`s in the 200-3899 priority band (see `components.vm` for the
whole band plan). An inbound Allow that reaches a management port is refused: it would bypass JIT.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from azure_jit_access import validation

CALLER_PRIORITY_MIN, CALLER_PRIORITY_MAX = 200, 3899
NSG_PROTOCOLS = ("Tcp", "Udp", "Icmp", "Esp", "Ah", "*")


@dataclass
class NsgRule:
    """A caller's own standalone NSG rule (in the 200-3899 band), e.g. HTTPS from the Internet."""

    name: str
    """Rule name in the NSG; unique within the VM."""
    priority: int
    """200 to 3899, so JIT's allows (100-199) still win and our management denies (4000+) stay last."""
    destination_port_ranges: Sequence[str | int]
    """Ports or ranges such as `443` or `'8000-8080'`."""
    source_address_prefixes: Sequence[str]
    """CIDRs, addresses or service tags (`Internet`, `AzureLoadBalancer`)."""
    access: str = "Allow"
    """`Allow` or `Deny`."""
    direction: str = "Inbound"
    """`Inbound` or `Outbound`."""
    protocol: str = "Tcp"
    """NSG protocol spelling: `Tcp`, `Udp`, `Icmp`, `Esp`, `Ah` or `*`."""
    description: str | None = None
    """Shown in the portal."""


def _check_rule_sources(sources: Sequence[str], field_name: str) -> list[str]:
    if isinstance(sources, str) or not sources:
        raise ValueError(f"{field_name}: give a non-empty list of sources, e.g. ['Internet'] or ['10.0.0.0/24']")
    for index, source in enumerate(sources):
        text = str(source).strip()
        try:
            ipaddress.ip_network(text, strict=True)
        except ValueError:
            # Not an address: allow "*" and service tags (letters, digits, '.', '-'), e.g. "AzureCloud.westeurope".
            if text != "*" and not (text and text.replace(".", "").replace("-", "").isalnum()):
                raise ValueError(
                    f"{field_name}[{index}]: {source!r} is neither a CIDR without host bits, an "
                    "address, nor a service tag"
                ) from None
    return [str(s).strip() for s in sources]


def validate_extra_rules(rules: Sequence[NsgRule], management_ports: Sequence[int]) -> tuple[NsgRule, ...]:
    """Check caller rules: band, names, spelling, and no inbound Allow on a management port (that bypasses JIT)."""
    names: set[str] = set()
    priorities: dict[tuple[str, int], str] = {}
    for index, rule in enumerate(rules):
        where = f"extra_rules[{index}] '{getattr(rule, 'name', rule)}'"
        if not isinstance(rule, NsgRule):
            raise ValueError(f"extra_rules[{index}]: expected an NsgRule, got {rule!r}")
        validation.validate_resource_name(rule.name, f"{where}.name", 80)
        if rule.name.lower().startswith("deny-management-") or rule.name.lower() in names:
            raise ValueError(f"{where}.name: duplicate or reserved name (deny-management-* is this component's)")
        names.add(rule.name.lower())
        if (
            isinstance(rule.priority, bool)
            or not isinstance(rule.priority, int)
            or not (CALLER_PRIORITY_MIN <= rule.priority <= CALLER_PRIORITY_MAX)
        ):
            raise ValueError(
                f"{where}.priority: {rule.priority!r} is outside the caller band "
                f"{CALLER_PRIORITY_MIN}-{CALLER_PRIORITY_MAX} (JIT uses 100-199, management denies 4000+)"
            )
        if rule.access not in ("Allow", "Deny") or rule.direction not in ("Inbound", "Outbound"):
            raise ValueError(f"{where}: access must be 'Allow' or 'Deny' and direction 'Inbound' or 'Outbound'")
        if rule.protocol not in NSG_PROTOCOLS:
            raise ValueError(f"{where}.protocol: {rule.protocol!r}; use one of {', '.join(NSG_PROTOCOLS)}")
        clash = priorities.get((rule.direction, rule.priority))
        if clash:
            raise ValueError(f"{where}.priority: {rule.priority} is already used by '{clash}' ({rule.direction})")
        priorities[(rule.direction, rule.priority)] = rule.name
        if isinstance(rule.destination_port_ranges, str) or not rule.destination_port_ranges:
            raise ValueError(f"{where}.destination_port_ranges: give a non-empty list such as [443]")
        ranges = [
            validation.validate_port_range(r, f"{where}.destination_port_ranges[{i}]")
            for i, r in enumerate(rule.destination_port_ranges)
        ]
        _check_rule_sources(rule.source_address_prefixes, f"{where}.source_address_prefixes")
        if rule.access == "Allow" and rule.direction == "Inbound":
            opened = [port for port in management_ports if validation.port_ranges_cover(ranges, port)]
            if opened:
                raise ValueError(
                    f"{where}: an inbound Allow on management port(s) {opened} would bypass JIT; leave these "
                    "ports closed and request time-limited access through the JIT policy (`jit request`)"
                )
    return tuple(rules)


class SingleOrMany(NamedTuple):
    """One value for the singular property, or several for the plural one; the other is None."""

    single: str | None
    many: list[str] | None


def _single_or_many(values: list[str]) -> SingleOrMany:
    return SingleOrMany(values[0], None) if len(values) == 1 else SingleOrMany(None, values)


def rule_fields(rule: NsgRule) -> tuple[SingleOrMany, SingleOrMany]:
    """The rule's destination ports and sources, each in the singular or plural `network.SecurityRule` field."""
    # The singular forms are required for one entry: the plural `sourceAddressPrefixes` refuses service tags.
    ports = [str(p) for p in rule.destination_port_ranges]
    sources = [str(s).strip() for s in rule.source_address_prefixes]
    return _single_or_many(ports), _single_or_many(sources)
