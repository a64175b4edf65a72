"""Sources: which address prefixes mean "anyone on the internet", and which are narrow enough.

Peers each missed a spelling: Checkov's CKV_AZURE_9/10 missed `0.0.0.0/0` and `/0` variants, Azure Landing
Zones missed inline rules, the azurecitadel deny rule matched only `*`. Here a source is internet-wide when:
- it is `*`, `Any` or `Internet` (any case, any surrounding blanks), a /0 prefix, or the unspecified address;
- it is a service tag or a name that is not one of the few tags limited to the customer's own network
  (`AzureCloud` and the service tags of shared Azure services hold addresses anyone can rent or use; an
  unknown name fails closed);
- together with the other prefixes of the same rule it covers more public addresses than a limit
  (default: more than a /16), so splitting the internet (`0.0.0.0/1` + `128.0.0.0/1`) does not help.
Non-public space (private, shared, loopback, link-local, documentation, multicast, reserved) does not count.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_N = TypeVar("_N", ipaddress.IPv4Network, ipaddress.IPv6Network)

WILDCARD_WORDS: dict[str, str] = {"*": "any source", "any": "any source", "internet": "the Internet service tag"}
"""Lower-case words NSG rules and JIT policies read as "every address"."""

WILDCARD_SOURCES: tuple[str, ...] = ("*", "Any", "Internet", "0.0.0.0/0", "::/0")
"""The literal spellings of "anyone", as Azure writes them (generated Azure Policy and KQL use these)."""

BROAD_SERVICE_TAGS: tuple[str, ...] = (
    "AzureCloud",
    "AppService",
    "AzureFrontDoor.Frontend",
    "AzureTrafficManager",
    "ApiManagement",
    "AzureContainerApps",
    "Storage",
    "Sql",
)
"""Service tags of shared Azure services whose addresses any Azure customer can send from (MS Learn,
"Virtual network service tags"); named in messages and in the generated Azure Policy. Any tag that is not in
`NARROW_SERVICE_TAGS` is treated the same way, so a tag missing here still fails closed."""

NARROW_SERVICE_TAGS: tuple[str, ...] = ("VirtualNetwork", "AzureLoadBalancer")
"""The only tags that are not "anyone": the VNet's own (and peered / connected on-premises) address space,
and the platform's health probe address 168.63.129.16 (MS Learn, "Virtual network service tags")."""

DEFAULT_IPV4_PREFIX_LIMIT = 16
"""Public IPv4 sources covering more addresses than one /16 are internet-wide (the pack's default)."""
DEFAULT_IPV6_PREFIX_LIMIT = 48
"""The same for IPv6: more than one /48."""

# IANA special-purpose registries: address space nobody on the internet sends from. `ipaddress` agrees that
# none of these is global (a test checks). 192.0.0.0/24 is left out: IANA marks parts of it global.
NON_PUBLIC_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)


@dataclass(frozen=True)
class SourceLimits:
    """How wide a source may be before it counts as the internet."""

    ipv4_prefix_limit: int = DEFAULT_IPV4_PREFIX_LIMIT
    """Public IPv4 space larger than one prefix of this length is internet-wide (16: more than a /16)."""
    ipv6_prefix_limit: int = DEFAULT_IPV6_PREFIX_LIMIT
    """The same for IPv6 (48: more than a /48)."""
    broad_service_tags: Sequence[str] = BROAD_SERVICE_TAGS
    """Tags named as "anyone can rent these"; every tag outside `NARROW_SERVICE_TAGS` is refused anyway."""
    allowed_sources: Sequence[str] = ()
    """Sources a team accepts although they are wide (a corporate /12); never `*`, `Any`, `Internet` or /0."""


def parse_prefix(source: str) -> IPNetwork | None:
    """An address or CIDR prefix as a network (host bits ignored, as Azure does); None for tags and junk."""
    try:
        return ipaddress.ip_network(source.strip(), strict=False)
    except ValueError:
        return None


def absolute_wildcard_reason(source: str) -> str | None:
    """Why this single source means "anyone" beyond any allow-list: `*`, `Any`, `Internet`, /0, `0.0.0.0`."""
    word = source.strip().lower()
    if word in WILDCARD_WORDS:
        return WILDCARD_WORDS[word]
    network = parse_prefix(word)
    if network is not None and network.prefixlen == 0:
        return f"every IPv{network.version} address"
    if network is not None and network.network_address.is_unspecified and network.num_addresses == 1:
        return "the unspecified address, which many tools read as any address"
    return None


def is_wildcard(source: str) -> bool:
    """True when `absolute_wildcard_reason` finds a reason."""
    return absolute_wildcard_reason(source) is not None


def service_tag_reason(source: str, broad_service_tags: Iterable[str] = BROAD_SERVICE_TAGS) -> str | None:
    """Why a non-address source (a service tag or a name) is internet-wide, or None for the narrow tags.

    `Tag.region` variants count as their tag. Addresses and wildcard words return None (sized elsewhere).
    """
    word = source.strip().lower()
    if not word or word in WILDCARD_WORDS or parse_prefix(word) is not None:
        return None
    base = word.split(".", 1)[0]
    if base in {tag.lower() for tag in NARROW_SERVICE_TAGS}:
        return None
    for tag in broad_service_tags:
        tag = tag.strip().lower()
        if tag and (word == tag or word.startswith(tag + ".")):
            return "a service tag of addresses anyone can rent or use"
    return "a service tag or name not known to be limited to your own network (unknown tags fail closed)"


def _public_count(union: list[_N], reserved: list[_N]) -> int:
    total = sum(n.num_addresses for n in union)
    # Both lists are disjoint CIDR blocks, and two CIDR blocks either nest or do not touch.
    for block in union:
        for private in reserved:
            if block.subnet_of(private):
                total -= block.num_addresses
            elif private.subnet_of(block):
                total -= private.num_addresses
    return total


def public_address_count(networks: Iterable[IPNetwork], version: int) -> int:
    """How many public addresses of one IP version the networks cover together (overlaps counted once)."""
    chosen = list(networks)
    if version == 4:
        v4 = ipaddress.collapse_addresses(n for n in chosen if isinstance(n, ipaddress.IPv4Network))
        private4 = ipaddress.collapse_addresses(n for n in NON_PUBLIC_NETWORKS if isinstance(n, ipaddress.IPv4Network))
        return _public_count(list(v4), list(private4))
    v6 = ipaddress.collapse_addresses(n for n in chosen if isinstance(n, ipaddress.IPv6Network))
    private6 = ipaddress.collapse_addresses(n for n in NON_PUBLIC_NETWORKS if isinstance(n, ipaddress.IPv6Network))
    return _public_count(list(v6), list(private6))


def _is_allowed(source: str, allowed: Sequence[str]) -> bool:
    word = source.strip().lower()
    network = parse_prefix(word)
    for entry in allowed:
        entry_network = parse_prefix(entry)
        if entry.strip().lower() == word or (network is not None and entry_network == network):
            return True
    return False


def internet_wide_findings(sources: Iterable[object], limits: SourceLimits = SourceLimits()) -> list[str]:
    """Each reason the sources (one rule's prefix and prefix list together) are open to the internet.

    An empty list means the sources are acceptable. Non-string and blank values are ignored: callers decide
    what a missing or unknown source means.
    """
    texts = [s.strip() for s in sources if isinstance(s, str) and s.strip()]
    findings = []
    sized: list[tuple[str, IPNetwork]] = []
    for source in texts:
        reason = absolute_wildcard_reason(source)
        if reason is None and not _is_allowed(source, limits.allowed_sources):
            reason = service_tag_reason(source, limits.broad_service_tags)
            network = parse_prefix(source)
            if reason is None and network is not None:
                sized.append((source, network))
        if reason:
            findings.append(f"'{source}' ({reason})")
    for version, limit in ((4, limits.ipv4_prefix_limit), (6, limits.ipv6_prefix_limit)):
        chosen = [(s, n) for s, n in sized if n.version == version]
        count = public_address_count([n for _, n in chosen], version)
        if count > 2 ** ((32 if version == 4 else 128) - limit):
            public = [s for s, n in chosen if public_address_count([n], version)]
            names = " + ".join(f"'{s}'" for s in public)
            together = "together " if len(public) > 1 else ""
            findings.append(f"{names} ({together}{count:,} public IPv{version} addresses, more than a /{limit})")
    return findings


def kql_wildcard_regex() -> str:
    """A KQL regex matching one element of a JSON source list that means "anyone" (compared in lower case).

    Built from `WILDCARD_SOURCES` and `BROAD_SERVICE_TAGS`, so the alert and the checks name the same words.
    """
    words = sorted({w.lower() for w in WILDCARD_SOURCES if "/" not in w} | {t.lower() for t in BROAD_SERVICE_TAGS})
    escaped = "|".join(w.replace(".", r"\.").replace("*", r"\*") for w in words)
    tags = "|".join(t.lower().replace(".", r"\.") + r"\.[a-z0-9]+" for t in BROAD_SERVICE_TAGS)
    return r'(^|[",\[])(' + escaped + "|" + tags + r'|[0-9a-f.:]*/0)($|[",\]])'


def listed_prefix_for(address: str, prefixes: Iterable[str]) -> str | None:
    """The first listed prefix (exactly as written) whose network holds `address`, or None.

    JIT compares a requested source literally with the policy's listed prefixes, not by containment
    (MicrosoftDocs/azure-docs#53026): a request must name the listed prefix itself. Only IPv4 addresses
    written as four decimal numbers are mapped; tags, wildcards and anything unparsable map to None.
    """
    try:
        wanted = ipaddress.IPv4Address(address.strip()) if isinstance(address, str) else None
    except ValueError:
        return None
    if wanted is None:
        return None
    for prefix in prefixes:
        if not isinstance(prefix, str) or is_wildcard(prefix):
            continue
        network = parse_prefix(prefix)
        if isinstance(network, ipaddress.IPv4Network) and wanted in network:
            return prefix.strip()
    return None
