"""What counts as "anyone" as a source: one rule for the component, the pack, the CLI, KQL and Azure Policy.

References: NSG source spellings and service tags (MS Learn, "Virtual network service tags"); IANA special-purpose
address registries for non-public space, as Python's `ipaddress` encodes them.
"""

import ipaddress
import re

import pytest

from azure_jit_access.rules.sources import (
    BROAD_SERVICE_TAGS,
    NARROW_SERVICE_TAGS,
    NON_PUBLIC_NETWORKS,
    WILDCARD_SOURCES,
    SourceLimits,
    absolute_wildcard_reason,
    internet_wide_findings,
    is_wildcard,
    kql_wildcard_regex,
    public_address_count,
    service_tag_reason,
)


@pytest.mark.parametrize(
    "source",
    ["*", " Any ", "INTERNET", "0.0.0.0/0", "::/0", "0::0/0", "10.1.2.3/0", "0.0.0.0", "::", *WILDCARD_SOURCES],
)
def test_every_spelling_of_anyone_is_a_wildcard(source):
    assert is_wildcard(source)
    assert internet_wide_findings([source]) != []


@pytest.mark.parametrize("source", ["203.0.113.7", "198.51.100.0/24", "10.0.0.0/8", "AzureCloud", "any-host"])
def test_addresses_and_names_are_not_absolute_wildcards(source):
    assert absolute_wildcard_reason(source) is None


@pytest.mark.parametrize(
    ("sources", "wide"),
    [
        (["20.0.0.0/8"], True),  # Microsoft's own public /8: far more than a /16
        (["20.1.0.0/16"], False),  # exactly a /16 is the limit, not over it
        (["20.1.0.0/16", "20.2.0.0/16"], True),  # two /16s together are more than one
        (["0.0.0.0/1", "128.0.0.0/1"], True),  # the split-internet trick
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], False),  # private space is not public
        (["100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"], False),  # shared, loopback, link-local
        (["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"], False),  # documentation ranges
        (["2a01:110::/48"], False),
        (["2a01:110::/47"], True),
        (["2001:db8::/32", "fc00::/7", "fe80::/10"], False),  # IPv6 documentation, ULA, link-local
        (["AzureCloud"], True),
        (["AzureCloud.westeurope"], True),
        (["Storage.WestUS"], True),
        (["SomeTagNobodyKnows"], True),  # unknown tags fail closed
        (["VirtualNetwork", "AzureLoadBalancer"], False),
        (["virtualnetwork"], False),
        ([], False),
    ],
)
def test_internet_wide_sources(sources, wide):
    assert bool(internet_wide_findings(sources)) is wide


def test_the_threshold_is_the_packs_default_a_slash_16():
    assert SourceLimits().ipv4_prefix_limit == 16 and SourceLimits().ipv6_prefix_limit == 48
    assert internet_wide_findings(["0.0.0.0/1", "128.0.0.0/1"]) == [
        "'0.0.0.0/1' + '128.0.0.0/1' (together 3,702,258,944 public IPv4 addresses, more than a /16)"
    ]


def test_non_public_networks_are_not_global_according_to_ipaddress():
    for network in NON_PUBLIC_NETWORKS:
        # Multicast is "global" to ipaddress but never the source of a connection.
        assert not network.is_global or network.is_multicast, network
    assert public_address_count([ipaddress.ip_network("10.0.0.0/7")], 4) == 2**24  # 11/8 is public


def test_service_tags_are_classified():
    for tag in BROAD_SERVICE_TAGS:
        assert service_tag_reason(tag) == "a service tag of addresses anyone can rent or use"
    for tag in NARROW_SERVICE_TAGS:
        assert service_tag_reason(tag) is None
    assert "unknown tags fail closed" in service_tag_reason("GatewayManagerTypo")
    assert service_tag_reason("203.0.113.7") is None


def test_allowed_sources_never_exempt_absolute_wildcards():
    assert internet_wide_findings(["*"], SourceLimits(allowed_sources=("*",))) != []
    assert internet_wide_findings(["20.0.0.0/8"], SourceLimits(allowed_sources=("20.0.0.0/8",))) == []


@pytest.mark.parametrize(
    ("element", "matches"),
    [
        ('"*"', True),
        ('"internet"', True),
        ('"any"', True),
        ('"0.0.0.0/0"', True),
        ('"::/0"', True),
        ('"azurecloud"', True),
        ('"azurecloud.westeurope"', True),
        ('"storage"', True),
        ('"203.0.113.7"', False),
        ('"virtualnetwork"', False),
        ('"10.0.0.0/8"', False),
        ('"company"', False),
    ],
)
def test_the_kql_regex_is_built_from_the_same_words(element, matches):
    # KQL's `matches regex` is RE2; this pattern uses only syntax RE2 and Python read alike.
    assert bool(re.search(kql_wildcard_regex(), f"[{element}]")) is matches
