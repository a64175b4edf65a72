"""Is a source address list open to the internet? The detector shared by the NSG and JIT policies.

Peers each missed a spelling: Checkov's CKV_AZURE_9/10 missed `0.0.0.0/0` and `/0` variants, Azure Landing
Zones missed inline rules, the azurecitadel deny rule matched only `*`. Here a source is internet-wide when:
- it is `*`, `Any` or `Internet` (any case, any surrounding blanks);
- it parses as a prefix of length 0 (`0.0.0.0/0`, `::/0`, `0::0/0`, `10.1.2.3/0` ...);
- it is a service tag anyone can get addresses in (`AzureCloud`, `AzureCloud.westeurope`: rent a VM; `DataFactory`
  and the other multi-tenant tags of `rules/service_tags.py`);
- together with the other prefixes of the same rule it covers more public addresses than a limit
  (default: more than a /16), so splitting the internet (`0.0.0.0/1` + `128.0.0.0/1`) does not help.
Private and reserved ranges (RFC 1918, CGNAT, link-local, ULA ...) do not count towards the size.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .rules.service_tags import PUBLIC_SERVICE_TAGS

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

WILDCARD_WORDS = {"*": "any source", "any": "any source", "internet": "the Internet service tag"}
DEFAULT_BROAD_SERVICE_TAGS = PUBLIC_SERVICE_TAGS  # AzureCloud and the multi-tenant service tags (issue 16)
DEFAULT_IPV4_PREFIX_LIMIT = 16
DEFAULT_IPV6_PREFIX_LIMIT = 48

# Address space nobody on the internet can send from: it never counts towards the public size.
_NON_PUBLIC_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]
_NON_PUBLIC_V6 = [ipaddress.ip_network(n) for n in ("::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8")]


@dataclass(frozen=True)
class SourceLimits:
    """How wide a source may be before it counts as the internet."""

    ipv4_prefix_limit: int = DEFAULT_IPV4_PREFIX_LIMIT
    """Public IPv4 space larger than one prefix of this length is internet-wide (16: more than a /16)."""
    ipv6_prefix_limit: int = DEFAULT_IPV6_PREFIX_LIMIT
    """The same for IPv6 (48: more than a /48)."""
    broad_service_tags: Sequence[str] = DEFAULT_BROAD_SERVICE_TAGS
    """Service tags whose addresses anyone can obtain; `Tag.region` variants are included."""
    allowed_sources: Sequence[str] = ()
    """Sources a team accepts although they are wide (a corporate /12); never `*`, `Any`, `Internet` or /0."""


def parse_prefix(source: str) -> IPNetwork | None:
    """An address or CIDR prefix as a network (host bits ignored, as Azure does); None for tags and junk."""
    try:
        return ipaddress.ip_network(source.strip(), strict=False)
    except ValueError:
        return None


def absolute_wildcard_reason(source: str) -> str | None:
    """Why this single source means "anyone" beyond any allow-list: `*`, `Any`, `Internet`, a /0 prefix."""
    word = source.strip().lower()
    if word in WILDCARD_WORDS:
        return WILDCARD_WORDS[word]
    network = parse_prefix(word)
    if network is not None and network.prefixlen == 0:
        return f"every IPv{network.version} address"
    return None


def broad_service_tag_reason(source: str, broad_service_tags: Iterable[str]) -> str | None:
    """Why this service tag is internet-wide (`AzureCloud`, `AzureCloud.<region>`), or None."""
    word = source.strip().lower()
    for tag in broad_service_tags:
        tag = tag.strip().lower()
        if tag and (word == tag or word.startswith(tag + ".")):
            return "a service tag of addresses anyone can rent"
    return None


def _collapsed(networks: Iterable[IPNetwork]) -> list[IPNetwork]:
    return list(ipaddress.collapse_addresses(networks))


def public_address_count(networks: Iterable[IPNetwork], version: int) -> int:
    """How many public addresses of one IP version the networks cover together (overlaps counted once)."""
    union = _collapsed(n for n in networks if n.version == version)
    non_public = _NON_PUBLIC_V4 if version == 4 else _NON_PUBLIC_V6
    total = sum(n.num_addresses for n in union)
    # Both lists are disjoint CIDR blocks, and two CIDR blocks either nest or do not touch.
    for block in union:
        for reserved in non_public:
            if block.subnet_of(reserved):
                total -= block.num_addresses
            elif reserved.subnet_of(block):
                total -= reserved.num_addresses
    return total


def _is_allowed(source: str, allowed: Sequence[str]) -> bool:
    word = source.strip().lower()
    network = parse_prefix(word)
    for entry in allowed:
        entry_network = parse_prefix(entry)
        if entry.strip().lower() == word or (network is not None and entry_network == network):
            return True
    return False


def internet_wide_findings(sources: Iterable[str], limits: SourceLimits = SourceLimits()) -> list[str]:
    """Each reason the sources (one rule's prefix and prefix list together) are open to the internet.

    An empty list means the sources are acceptable. Non-string and unknown values must be filtered first.
    """
    sources = [s for s in sources if isinstance(s, str) and s.strip()]
    findings = []
    sized: list[tuple[str, IPNetwork]] = []
    for source in sources:
        reason = absolute_wildcard_reason(source)
        if reason is None and not _is_allowed(source, limits.allowed_sources):
            reason = broad_service_tag_reason(source, limits.broad_service_tags)
            network = parse_prefix(source)
            if reason is None and network is not None:
                sized.append((source.strip(), network))
        if reason:
            findings.append(f"'{source.strip()}' ({reason})")
    for version, limit in ((4, limits.ipv4_prefix_limit), (6, limits.ipv6_prefix_limit)):
        chosen = [(s, n) for s, n in sized if n.version == version]
        count = public_address_count([n for _, n in chosen], version)
        allowed = 2 ** ((32 if version == 4 else 128) - limit)
        if count > allowed:
            public = [s for s, n in chosen if public_address_count([n], version)]
            names = " + ".join(f"'{s}'" for s in public)
            together = "together " if len(public) > 1 else ""
            findings.append(f"{names} ({together}{count:,} public IPv{version} addresses, more than a /{limit})")
    return findings


SOURCE_CONFIG_SCHEMA: dict[str, dict] = {
    "ipv4PrefixLimit": {
        "type": "integer",
        "minimum": 0,
        "maximum": 32,
        "default": DEFAULT_IPV4_PREFIX_LIMIT,
        "description": "Public IPv4 sources covering more than one prefix of this length count as the internet.",
    },
    "ipv6PrefixLimit": {
        "type": "integer",
        "minimum": 0,
        "maximum": 128,
        "default": DEFAULT_IPV6_PREFIX_LIMIT,
        "description": "Public IPv6 sources covering more than one prefix of this length count as the internet.",
    },
    "broadServiceTags": {
        "type": "array",
        "items": {"type": "string"},
        "default": list(DEFAULT_BROAD_SERVICE_TAGS),
        "description": "Service tags treated as internet-wide (with their `.region` variants).",
    },
    "allowedSources": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Wide prefixes or tags accepted anyway (never *, Any, Internet or a /0).",
    },
}


def limits_from(config: dict) -> SourceLimits:
    """`SourceLimits` from a policy's resolved config (keys of `SOURCE_CONFIG_SCHEMA`)."""
    return SourceLimits(
        ipv4_prefix_limit=int(config.get("ipv4PrefixLimit", DEFAULT_IPV4_PREFIX_LIMIT)),
        ipv6_prefix_limit=int(config.get("ipv6PrefixLimit", DEFAULT_IPV6_PREFIX_LIMIT)),
        broad_service_tags=tuple(config.get("broadServiceTags", DEFAULT_BROAD_SERVICE_TAGS)),
        allowed_sources=tuple(config.get("allowedSources", ())),
    )


def source_defaults() -> dict:
    """The schema defaults of `SOURCE_CONFIG_SCHEMA`."""
    return {key: spec["default"] for key, spec in SOURCE_CONFIG_SCHEMA.items()}
