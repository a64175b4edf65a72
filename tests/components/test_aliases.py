"""Alias pruning keeps URNs, inputs and caller aliases, and can be turned off."""

import pulumi
from pulumi_azure_native import network

from azure_jit_access.aliases import is_api_version_alias, with_alias_pruning
from azure_jit_access.cli.preview.engine import run_inline


class Holder(pulumi.ComponentResource):
    def __init__(self, name, keep=False, child_aliases=None, opts=None):
        super().__init__("test:index:Holder", name, None, with_alias_pruning(opts, keep))
        network.SecurityRule(
            f"{name}-rule",
            resource_group_name="rg",
            network_security_group_name="nsg",
            access="Deny",
            direction="Inbound",
            protocol="*",
            priority=4000,
            destination_port_range="22",
            opts=pulumi.ResourceOptions(parent=self, aliases=child_aliases),
        )
        self.register_outputs({})


def rule_of(result):
    return result.one("azure-native:network:SecurityRule")


def test_only_the_childs_own_versioned_type_is_an_api_version_alias():
    own = "azure-native:network:SecurityRule"
    assert is_api_version_alias(pulumi.Alias(type_="azure-native:network/v20230501:SecurityRule"), own)
    assert is_api_version_alias(pulumi.Alias(type_="azure-native:network/v20150501preview:SecurityRule"), own)
    assert not is_api_version_alias(pulumi.Alias(type_="azure-native:network/v20230501:Subnet"), own)
    assert not is_api_version_alias(pulumi.Alias(type_="azure-native:network:SecurityRule"), own)
    assert not is_api_version_alias(pulumi.Alias(name="old-name"), own)
    assert not is_api_version_alias(
        pulumi.Alias(type_="azure-native:network/v20230501:SecurityRule", name="renamed"), own
    )
    assert not is_api_version_alias("urn:pulumi:dev::p::azure-native:network/v20230501:SecurityRule::x", own)


def test_pruning_keeps_urns_and_inputs_identical():
    pruned = rule_of(run_inline(lambda: Holder("h")))
    naive = rule_of(run_inline(lambda: Holder("h", keep=True)))
    assert pruned.urn == naive.urn
    assert pruned.inputs == naive.inputs
    assert pruned.id == naive.id
    assert len(naive.options["aliases"]) > 20
    assert pruned.options["aliases"] == []


def test_caller_aliases_survive_pruning():
    rule = rule_of(run_inline(lambda: Holder("h", child_aliases=[pulumi.Alias(name="legacy-rule")])))
    assert rule.options["aliases"] == [{"spec": {"name": "legacy-rule", "parentUrn": ""}}]


def test_keep_option_keeps_every_sdk_alias():
    rule = rule_of(run_inline(lambda: Holder("h", keep=True)))
    types = {a["spec"]["type"] for a in rule.options["aliases"]}
    assert "azure-native:network/v20230501:SecurityRule" in types
