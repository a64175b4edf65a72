"""avnm-admin-rule-no-public-management and firewall-dnat-no-public-management, through the real analyzer.

Shapes: Microsoft Learn REST API "Admin Rules - Create Or Update" (kind Custom; access Allow / Deny /
AlwaysAllow; sources[] of addressPrefix + addressPrefixType; destinationPortRanges), "Azure Firewalls - Create
Or Update" (natRuleCollections[].action.type Dnat, rules[].sourceAddresses / destinationPorts / translatedPort)
and "Firewall Policy Rule Collection Groups - Create Or Update" (ruleCollectionType
FirewallPolicyNatRuleCollection, rules[].ruleType NatRule). "Security admin rules in Azure Virtual Network
Manager" (Learn): AlwaysAllow is final, NSGs do not see the traffic.
"""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

ADMIN_RULE = "azure-native:network:AdminRule"
FIREWALL = "azure-native:network:AzureFirewall"
GROUP = "azure-native:network:FirewallPolicyRuleCollectionGroup"
AVNM = "avnm-admin-rule-no-public-management"
DNAT = "firewall-dnat-no-public-management"


def admin_rule(**overrides):
    props = {
        "ruleName": "r",
        "kind": "Custom",
        "access": "AlwaysAllow",
        "direction": "Inbound",
        "protocol": "Tcp",
        "priority": 10,
        "sources": [{"addressPrefix": "*", "addressPrefixType": "IPPrefix"}],
        "destinationPortRanges": ["22"],
    }
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


@pytest.mark.parametrize("access", ["AlwaysAllow", "Allow", "alwaysallow"])
def test_admin_rule_opening_ssh_to_anyone_is_refused(judge, make, access):
    found = judge(make(ADMIN_RULE, "a", admin_rule(access=access)), policy=AVNM)
    assert [(p, level) for p, level, _ in found] == [(AVNM, "mandatory")]
    assert found[0][2].startswith("Security admin rule 'r' allows inbound traffic (protocol Tcp) from '*'")
    final = "AlwaysAllow is final" in found[0][2]
    assert final is (access.lower() == "alwaysallow")


@pytest.mark.parametrize(
    "overrides",
    [
        {"sources": [{"addressPrefix": "Internet", "addressPrefixType": "ServiceTag"}]},
        {"sources": None},  # no sources: any
        {"destinationPortRanges": None, "protocol": "Any"},  # no ports: every port
        {"destinationPortRanges": ["3000-4000"]},
        {"sources": [{"addressPrefix": "0.0.0.0/1"}, {"addressPrefix": "128.0.0.0/1"}]},
    ],
)
def test_admin_rule_spellings_of_anyone_and_any_port_are_caught(judge, make, overrides):
    assert [p for p, _, _ in judge(make(ADMIN_RULE, "a", admin_rule(**overrides)), policy=AVNM)] == [AVNM]


@pytest.mark.parametrize(
    "overrides",
    [
        {"access": "Deny"},
        {"direction": "Outbound"},
        {"protocol": "Icmp"},
        {"destinationPortRanges": ["443"]},
        {"sources": [{"addressPrefix": "203.0.113.10/32", "addressPrefixType": "IPPrefix"}]},
        {"kind": "Default"},
    ],
)
def test_harmless_admin_rules_pass(judge, make, overrides):
    assert judge(make(ADMIN_RULE, "a", admin_rule(**overrides)), policy=AVNM) == []


def test_unknown_admin_rule_source_is_deferred(judge, make):
    found = judge(make(ADMIN_RULE, "a", admin_rule(sources=[UNKNOWN])), policy=AVNM)
    assert [level for _, level, _ in found] == ["advisory"]


def nat_rule(**overrides):
    rule = {
        "name": "ssh",
        "protocols": ["TCP"],
        "sourceAddresses": ["*"],
        "destinationAddresses": ["20.50.60.70"],
        "destinationPorts": ["50022"],
        "translatedAddress": "10.0.1.4",
        "translatedPort": "22",
    }
    rule.update(overrides)
    return {k: v for k, v in rule.items() if v is not None}


def firewall(*rules, action="Dnat"):
    collection = {"name": "inbound", "priority": 100, "action": {"type": action}, "rules": list(rules)}
    return {"azureFirewallName": "fw", "resourceGroupName": "rg", "natRuleCollections": [collection]}


def test_classic_dnat_to_ssh_from_anyone_is_refused(judge, make):
    found = judge(make(FIREWALL, "fw", firewall(nat_rule())), policy=DNAT)
    assert [(p, level) for p, level, _ in found] == [(DNAT, "mandatory")]
    assert found[0][2].startswith("DNAT rule natRuleCollections[0].rules[0] ('ssh') of 'fw' forwards to 10.0.1.4")
    assert "to management port 22" in found[0][2]


def test_the_translated_port_decides_not_the_public_one(judge, make):
    assert (
        judge(make(FIREWALL, "fw", firewall(nat_rule(destinationPorts=["22"], translatedPort="8022"))), policy=DNAT)
        == []
    )
    no_translation = nat_rule(destinationPorts=["3389"], translatedPort=None)
    assert [p for p, _, _ in judge(make(FIREWALL, "fw", firewall(no_translation)), policy=DNAT)] == [DNAT]


@pytest.mark.parametrize(
    "rule",
    [
        nat_rule(sourceAddresses=["203.0.113.10"]),
        nat_rule(sourceAddresses=None, sourceIpGroups=["/subscriptions/s/.../ipGroups/office"]),
        nat_rule(translatedPort="443"),
    ],
)
def test_safe_dnat_rules_pass(judge, make, rule):
    assert judge(make(FIREWALL, "fw", firewall(rule)), policy=DNAT) == []


def test_snat_collections_are_not_dnat(judge, make):
    assert judge(make(FIREWALL, "fw", firewall(nat_rule(), action="Snat")), policy=DNAT) == []


def test_arm_shaped_rules_under_properties_are_read(judge, make):
    props = {
        "azureFirewallName": "fw",
        "natRuleCollections": [{"name": "c", "properties": {"action": {"type": "Dnat"}, "rules": [nat_rule()]}}],
    }
    assert [p for p, _, _ in judge(make(FIREWALL, "fw", props), policy=DNAT)] == [DNAT]


def group(*collections):
    return {"ruleCollectionGroupName": "g", "firewallPolicyName": "p", "ruleCollections": list(collections)}


def test_firewall_policy_nat_collection_is_judged(judge, make):
    nat = {
        "ruleCollectionType": "FirewallPolicyNatRuleCollection",
        "action": {"type": "DNAT"},
        "rules": [{**nat_rule(protocols=None, translatedPort="3389"), "ruleType": "NatRule", "ipProtocols": ["TCP"]}],
    }
    found = judge(make(GROUP, "g", group(nat)), policy=DNAT)
    assert len(found) == 1 and "ruleCollections[0].rules[0]" in found[0][2] and "port 3389" in found[0][2]


def test_filter_collections_are_not_dnat(judge, make):
    allow = {
        "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
        "action": {"type": "Allow"},
        "rules": [{"ruleType": "NetworkRule", "sourceAddresses": ["*"], "destinationPorts": ["22"]}],
    }
    assert judge(make(GROUP, "g", group(allow)), policy=DNAT) == []


def test_unknown_dnat_source_is_deferred(judge, make):
    found = judge(make(FIREWALL, "fw", firewall(nat_rule(sourceAddresses=[UNKNOWN]))), policy=DNAT)
    assert [level for _, level, _ in found] == ["advisory"]
