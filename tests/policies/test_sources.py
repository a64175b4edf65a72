"""The internet-wide source detector every network policy shares."""

import ipaddress

import pytest

from jit_guardrails.sources import (
    SourceLimits,
    absolute_wildcard_reason,
    internet_wide_findings,
    limits_from,
    public_address_count,
    source_defaults,
)

WILDCARD_SPELLINGS = [
    "*",
    " * ",
    "Any",
    "any",
    "ANY",
    "Internet",
    "internet",
    "INTERNET",
    "InTeRnEt",
    "0.0.0.0/0",
    "::/0",
    "0::0/0",
    "::0/0",
    "0:0:0:0:0:0:0:0/0",
    "10.1.2.3/0",
    " 0.0.0.0/0 ",
]


@pytest.mark.parametrize("source", WILDCARD_SPELLINGS)
def test_every_wildcard_spelling_is_internet_wide(source):
    findings = internet_wide_findings([source])
    assert len(findings) == 1
    assert findings[0].startswith(f"'{source.strip()}'")


@pytest.mark.parametrize("source", ["*", "Internet", "0.0.0.0/0", "::/0"])
def test_an_allow_list_cannot_excuse_a_wildcard(source):
    assert internet_wide_findings([source], SourceLimits(allowed_sources=(source,))) != []
    assert absolute_wildcard_reason(source) is not None


@pytest.mark.parametrize(
    "sources",
    [
        ["203.0.113.10/32"],
        ["203.0.113.10"],
        ["198.51.100.0/24", "203.0.113.0/24"],
        ["10.0.0.0/8"],
        ["172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"],
        ["VirtualNetwork"],
        ["AzureLoadBalancer"],
        ["2001:db8::/64"],
        ["fd00::/8"],
        ["20.1.0.0/16"],
        [],
    ],
)
def test_narrow_private_and_tag_sources_are_fine(sources):
    assert internet_wide_findings(sources) == []


def test_splitting_the_internet_into_halves_is_caught():
    findings = internet_wide_findings(["0.0.0.0/1", "128.0.0.0/1"])
    assert len(findings) == 1
    assert findings == ["'0.0.0.0/1' + '128.0.0.0/1' (together 3,702,258,944 public IPv4 addresses, more than a /16)"]


def test_a_set_of_prefixes_just_over_the_limit_is_caught_and_at_the_limit_is_not():
    assert internet_wide_findings(["20.1.0.0/17", "20.1.128.0/17"]) == []  # exactly one /16
    assert internet_wide_findings(["20.1.0.0/16", "20.2.0.0/32"]) != []  # one address more


def test_overlapping_prefixes_are_counted_once():
    assert internet_wide_findings(["20.1.0.0/16", "20.1.0.0/17", "20.1.128.0/24"]) == []


def test_private_space_does_not_count_towards_the_size():
    # 0.0.0.0/1 holds 10/8 and 100.64/10 and 127/8: still far more public space than a /16.
    assert internet_wide_findings(["0.0.0.0/1"])
    assert public_address_count([ipaddress.ip_network("10.0.0.0/7")], 4) == 2**24  # 11/8 is public, 10/8 not
    assert public_address_count([ipaddress.ip_network("10.0.0.0/8")], 4) == 0


def test_ipv6_uses_its_own_limit():
    # 2a01:110::/31 is Microsoft's global space; 2001:db8::/32 (documentation) is not public at all.
    assert internet_wide_findings(["2a01:110::/48"]) == []
    assert internet_wide_findings(["2a01:110::/47"]) != []
    assert internet_wide_findings(["2000::/3"]) != []
    assert internet_wide_findings(["2a01:110::/47"], SourceLimits(ipv6_prefix_limit=32)) == []
    assert internet_wide_findings(["2001:db8::/32"]) == []


def test_service_tags_anyone_can_rent_addresses_in_are_internet_wide():
    assert (
        internet_wide_findings(["AzureCloud"])[0] == "'AzureCloud' (a service tag of addresses anyone can rent or use)"
    )
    assert internet_wide_findings(["azurecloud.westeurope"]) != []
    # An unknown tag fails closed: emptying the named list does not let AzureCloud through.
    assert internet_wide_findings(["AzureCloud"], SourceLimits(broad_service_tags=())) == [
        "'AzureCloud' (a service tag or name not known to be limited to your own network (unknown tags fail closed))"
    ]
    assert internet_wide_findings(["VirtualNetwork", "AzureLoadBalancer"]) == []


def test_allowed_sources_exempt_wide_prefixes_and_tags():
    limits = SourceLimits(allowed_sources=("20.0.0.0/12", "AzureCloud"))
    assert internet_wide_findings(["20.0.0.0/12", "AzureCloud"], limits) == []
    assert internet_wide_findings(["20.0.0.0/12", "30.0.0.0/12"], limits) != []


def test_limit_is_configurable():
    assert internet_wide_findings(["20.1.0.0/16"], SourceLimits(ipv4_prefix_limit=24)) != []
    assert internet_wide_findings(["20.0.0.0/8"], SourceLimits(ipv4_prefix_limit=8)) == []


def test_limits_come_from_policy_config_with_defaults():
    assert limits_from(source_defaults()) == SourceLimits()
    config = {**source_defaults(), "ipv4PrefixLimit": 24.0, "allowedSources": ["198.51.100.0/22"]}
    limits = limits_from(config)
    assert (limits.ipv4_prefix_limit, limits.allowed_sources) == (24, ("198.51.100.0/22",))
