"""nsg-no-public-management-source and nsg-no-inline-rules, judged through the real analyzer."""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

RULE = "azure-native:network:SecurityRule"
NSG = "azure-native:network:NetworkSecurityGroup"
PUBLIC = "nsg-no-public-management-source"
INLINE = "nsg-no-inline-rules"


def rule(**overrides):
    props = {
        "securityRuleName": "mgmt",
        "resourceGroupName": "rg",
        "networkSecurityGroupName": "web-nsg",
        "access": "Allow",
        "direction": "Inbound",
        "protocol": "Tcp",
        "priority": 100,
        "sourceAddressPrefix": "*",
        "sourcePortRange": "*",
        "destinationAddressPrefix": "*",
        "destinationPortRange": "22",
    }
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


@pytest.mark.parametrize(
    "source", ["*", "Any", "any", "Internet", "INTERNET", "internet", "0.0.0.0/0", "::/0", "0::0/0", "AzureCloud"]
)
def test_rule_from_any_wildcard_spelling_to_ssh_is_refused(judge, make, source):
    found = judge(make(RULE, "r", rule(sourceAddressPrefix=source)), policy=PUBLIC)
    assert [(p, level) for p, level, _ in found] == [(PUBLIC, "mandatory")]
    assert found[0][2].startswith(f"Security rule 'mgmt' allows inbound traffic (protocol Tcp) from '{source}'")
    assert "to management port 22 (destination ports '22')" in found[0][2]


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        ({"destinationPortRange": "21-23"}, "port 22 "),
        ({"destinationPortRange": "*"}, "ports 22, 3389, 5985, 5986 "),
        ({"destinationPortRange": "3390-65535"}, "ports 5985, 5986 "),
        ({"destinationPortRange": None, "destinationPortRanges": ["80", "3389"]}, "port 3389 "),
        ({"destinationPortRange": None}, "(destination ports none given, so any port)"),
    ],
)
def test_ports_as_ranges_wildcards_and_lists_are_caught(judge, make, ports, expected):
    found = judge(make(RULE, "r", rule(sourceAddressPrefix="Internet", **ports)), policy=PUBLIC)
    assert len(found) == 1 and expected in found[0][2]


@pytest.mark.parametrize("protocol", ["Udp", "*", "udp"])
def test_udp_and_any_protocol_are_caught(judge, make, protocol):
    found = judge(make(RULE, "r", rule(protocol=protocol, destinationPortRange="3389")), policy=PUBLIC)
    assert len(found) == 1 and f"allows inbound traffic (protocol {protocol}) from '*'" in found[0][2]


def test_any_element_of_source_prefixes_is_checked(judge, make):
    props = rule(sourceAddressPrefix=None, sourceAddressPrefixes=["203.0.113.10/32", "::/0"])
    found = judge(make(RULE, "r", props), policy=PUBLIC)
    assert len(found) == 1 and "from '::/0' (every IPv6 address)" in found[0][2]


def test_the_split_prefix_trick_is_caught(judge, make):
    props = rule(sourceAddressPrefix=None, sourceAddressPrefixes=["0.0.0.0/1", "128.0.0.0/1"])
    found = judge(make(RULE, "r", props), policy=PUBLIC)
    halves = "'0.0.0.0/1' + '128.0.0.0/1' (together 3,702,258,944 public IPv4 addresses, more than a /16)"
    assert len(found) == 1 and f"from {halves} to management port 22 " in found[0][2]


@pytest.mark.parametrize(
    "props",
    [
        rule(destinationPortRange="443", sourceAddressPrefix="Internet"),
        rule(sourceAddressPrefix="203.0.113.10/32"),
        rule(access="Deny"),
        rule(direction="Outbound"),
        rule(protocol="Icmp"),
        rule(destinationPortRange="23-3388"),
        rule(sourceAddressPrefix="10.0.0.0/8", destinationPortRange="*"),
        rule(sourceAddressPrefix="VirtualNetwork"),
        rule(sourceAddressPrefix=None, sourceAddressPrefixes=["198.51.100.0/24", "203.0.113.0/24"]),
    ],
)
def test_safe_rules_pass(judge, make, props):
    assert judge(make(RULE, "r", props)) == []


def test_inline_rules_are_judged_the_same_way(judge, make):
    nsg = make(
        NSG,
        "web-nsg",
        {
            "resourceGroupName": "rg",
            "securityRules": [
                {
                    "name": "https",
                    "access": "Allow",
                    "direction": "Inbound",
                    "protocol": "Tcp",
                    "priority": 100,
                    "sourceAddressPrefix": "Internet",
                    "destinationPortRange": "443",
                },
                {
                    "name": "rdp",
                    "access": "Allow",
                    "direction": "Inbound",
                    "protocol": "Udp",
                    "priority": 110,
                    "sourceAddressPrefixes": ["0.0.0.0/0"],
                    "destinationPortRanges": ["3380-3390"],
                },
            ],
        },
    )
    found = judge(nsg, policy=PUBLIC)
    assert found == [
        (
            PUBLIC,
            "mandatory",
            "Inline rule securityRules[1] ('rdp') of NSG 'web-nsg' allows inbound traffic (protocol Udp) "
            "from '0.0.0.0/0' (every IPv4 address) to management port 3389 (destination ports "
            "'3380-3390').",
        )
    ]


def test_inline_rules_in_arm_shape_are_read_too(judge, make):
    nsg = make(
        NSG,
        "n",
        {
            "securityRules": [
                {
                    "name": "ssh",
                    "properties": {
                        "access": "Allow",
                        "direction": "Inbound",
                        "protocol": "Tcp",
                        "sourceAddressPrefix": "*",
                        "destinationPortRange": "22",
                    },
                }
            ]
        },
    )
    assert len(judge(nsg, policy=PUBLIC)) == 1


def test_versioned_and_classic_provider_types_are_judged(judge, make):
    versioned = make("azure-native:network/v20240301:SecurityRule", "v", rule())
    classic = make("azure:network/networkSecurityRule:NetworkSecurityRule", "c", rule(securityRuleName=None))
    assert [p for p, _, _ in judge(versioned, classic, policy=PUBLIC)] == [PUBLIC, PUBLIC]


def test_config_overrides_ports_size_limit_and_allowed_sources(judge, make):
    wide = make(RULE, "r", rule(sourceAddressPrefix="20.0.0.0/12", destinationPortRange="2222"))
    assert judge(wide, policy=PUBLIC) == []
    assert len(judge(wide, policy=PUBLIC, config={PUBLIC: {"managementPorts": [2222]}})) == 1
    edge = make(RULE, "e", rule(destinationPortRange="3390-65535"))
    assert judge(edge, policy=PUBLIC, config={PUBLIC: {"managementPorts": [22, 3389]}}) == []
    office = make(RULE, "o", rule(sourceAddressPrefix="20.1.0.0/16"))
    assert judge(office, policy=PUBLIC) == []
    assert len(judge(office, policy=PUBLIC, config={PUBLIC: {"ipv4PrefixLimit": 24}})) == 1
    corp = make(RULE, "c", rule(sourceAddressPrefix="20.0.0.0/12"))
    assert judge(corp, policy=PUBLIC, config={PUBLIC: {"allowedSources": ["20.0.0.0/12"]}}) == []
    assert judge(corp, policy=PUBLIC, config={PUBLIC: "advisory"})[0][1] == "advisory"
    assert judge(corp, policy=PUBLIC, config={PUBLIC: "disabled"}) == []


def test_unknown_source_is_an_advisory_note_not_a_pass_or_a_crash(judge, make):
    found = judge(make(RULE, "r", rule(sourceAddressPrefix=UNKNOWN)), policy=PUBLIC)
    assert found == [
        (
            PUBLIC,
            "advisory",
            "can't run policy 'nsg-no-public-management-source' from policy pack "
            "'azure-jit-guardrails@v0.1.0' during preview: security rule 'mgmt': sourceAddressPrefix "
            "(checked again with real values on `pulumi up`)",
        )
    ]


def test_a_known_violation_wins_over_an_unknown_list_element(judge, make):
    props = rule(sourceAddressPrefix=None, sourceAddressPrefixes=["*", UNKNOWN])
    assert [level for _, level, _ in judge(make(RULE, "r", props), policy=PUBLIC)] == ["mandatory"]


def test_an_unknown_access_defers_the_verdict(judge, make):
    found = judge(make(RULE, "r", rule(access=UNKNOWN)), policy=PUBLIC)
    assert [level for _, level, _ in found] == ["advisory"] and "security rule 'mgmt': access" in found[0][2]


def test_an_unknown_port_with_a_narrow_source_is_simply_fine(judge, make):
    assert judge(make(RULE, "r", rule(sourceAddressPrefix="203.0.113.10/32", destinationPortRange=UNKNOWN))) == []


INLINE_CASES = [
    (
        [
            {
                "name": "https",
                "access": "Allow",
                "direction": "Inbound",
                "protocol": "Tcp",
                "priority": 100,
                "sourceAddressPrefix": "Internet",
                "destinationPortRange": "443",
            }
        ],
        "declares 1 inline securityRules",
    ),
    ([], "declares an empty list of inline securityRules"),
    (UNKNOWN, "declares an unknown number of inline securityRules"),
    ([{"name": "a"}, {"name": "b"}], "declares 2 inline securityRules"),
]


@pytest.mark.parametrize(("rules", "phrase"), INLINE_CASES)
def test_nsgs_with_inline_rules_are_refused(judge, make, rules, phrase):
    found = judge(make(NSG, "web-nsg", {"resourceGroupName": "rg", "securityRules": rules}), policy=INLINE)
    assert found == [
        (
            INLINE,
            "mandatory",
            f"NSG 'web-nsg' {phrase}. With inline rules every update PUTs exactly "
            "that list, deleting the allow and deny rules JIT adds on each request (even an empty list "
            "does).",
        )
    ]


@pytest.mark.parametrize(
    "resource",
    [
        (NSG, {"resourceGroupName": "rg"}),
        (NSG, {"resourceGroupName": "rg", "networkSecurityGroupName": "web-nsg", "tags": {"a": "b"}}),
        (RULE, rule(sourceAddressPrefix="203.0.113.10/32")),
        ("azure-native:network:VirtualNetwork", {"securityRules": [{"name": "not-an-nsg"}]}),
    ],
)
def test_nsgs_without_inline_rules_pass(judge, make, resource):
    assert judge(make(resource[0], "x", resource[1]), policy=INLINE) == []


def test_classic_provider_nsg_with_inline_rules_is_refused(judge, make):
    nsg = make("azure:network/networkSecurityGroup:NetworkSecurityGroup", "n", {"securityRules": [{"name": "a"}]})
    assert [p for p, _, _ in judge(nsg, policy=INLINE)] == [INLINE]
