"""arm-deployment-guardrails and generic-resource-guardrails, and the template reader behind them.

Template shapes: Microsoft Learn, "Template structure and syntax" (parameters with defaultValue, variables,
resources as a list or, with languageVersion 2.0, an object of symbolic names; nested child resources with a
relative type), "Template functions" (parameters(), variables(); a leading `[[` escapes a literal bracket),
"Nested templates" (Microsoft.Resources/deployments with properties.template and expressionEvaluationOptions
scope inner/outer), and the networkSecurityGroups/securityRules and Microsoft.Security/pricings references.
"""

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

from jit_guardrails.arm_templates import arm_type_of_generic, walk

DEPLOYMENT = "azure-native:resources:Deployment"
GENERIC = "azure-native:resources:Resource"
ARM = "arm-deployment-guardrails"
GENERIC_POLICY = "generic-resource-guardrails"


def ssh_rule(source="*", port="22", **extra):
    props = {
        "access": "Allow",
        "direction": "Inbound",
        "protocol": "Tcp",
        "priority": 100,
        "sourceAddressPrefix": source,
        "destinationPortRange": port,
    }
    return {
        "type": "Microsoft.Network/networkSecurityGroups/securityRules",
        "name": "nsg/ssh",
        "properties": {**props, **extra},
    }


def template(*resources, parameters=None, variables=None):
    return {
        "contentVersion": "1.0.0.0",
        "parameters": parameters or {},
        "variables": variables or {},
        "resources": list(resources),
    }


def deployment(tpl, parameters=None, **properties):
    props = {"mode": "Incremental", "template": tpl, **properties}
    if parameters is not None:
        props["parameters"] = parameters
    return {"deploymentName": "d", "resourceGroupName": "rg", "properties": props}


def test_resolves_parameters_defaults_variables_and_escapes():
    tpl = template(
        ssh_rule(source="[parameters('Src')]", port="[variables('port')]", description="[[literal]"),
        parameters={"src": {"type": "string", "defaultValue": "*"}, "other": {"type": "string"}},
        variables={"port": "[variables('base')]", "base": "22"},
    )
    (found,) = list(walk(tpl, {"SRC": {"value": "10.0.0.1"}}))
    assert found.properties["sourceAddressPrefix"] == "10.0.0.1"  # the given value wins, names case-insensitive
    assert found.properties["destinationPortRange"] == "22"
    assert found.properties["description"] == "[literal]"
    assert found.unresolved == []
    (default,) = list(walk(tpl, None))
    assert default.properties["sourceAddressPrefix"] == "*"


def test_other_expressions_become_unknown_and_are_recorded():
    tpl = template(ssh_rule(source="[concat('0.0.0.0', '/0')]"), parameters={"p": {"type": "string"}})
    (found,) = list(walk(tpl, None))
    assert found.properties["sourceAddressPrefix"] == UNKNOWN
    assert found.unresolved == ["[concat('0.0.0.0', '/0')]"]


def test_children_symbolic_names_and_nested_deployments_are_walked():
    nested = template(ssh_rule(source="[parameters('inner')]"), parameters={"inner": {"type": "string"}})
    tpl = {
        "languageVersion": "2.0",
        "resources": {
            "nsg": {
                "type": "Microsoft.Network/networkSecurityGroups",
                "name": "nsg",
                "resources": [{"type": "securityRules", "name": "child", "properties": {}}],
            },
            "inner": {
                "type": "Microsoft.Resources/deployments",
                "name": "n",
                "properties": {
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "template": nested,
                    "parameters": {"inner": {"value": "Internet"}},
                },
            },
        },
    }
    found = {(r.arm_type, r.where) for r in walk(tpl, None)}
    assert ("microsoft.network/networksecuritygroups/securityrules", "template.resources.nsg.resources[0]") in found
    inner = [r for r in walk(tpl, None) if r.where.endswith("properties.template.resources[0]")]
    assert inner[0].properties["sourceAddressPrefix"] == "Internet"


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (
            {
                "resourceProviderNamespace": "Microsoft.Network",
                "parentResourcePath": "networkSecurityGroups/n",
                "resourceType": "securityRules",
            },
            "microsoft.network/networksecuritygroups/securityrules",
        ),
        (
            {
                "resourceProviderNamespace": "Microsoft.Network",
                "parentResourcePath": "",
                "resourceType": "networkSecurityGroups/securityRules",
            },
            "microsoft.network/networksecuritygroups/securityrules",
        ),
        (
            {"resourceProviderNamespace": "Microsoft.Security", "resourceType": "pricings"},
            "microsoft.security/pricings",
        ),
        ({"resourceProviderNamespace": UNKNOWN, "resourceType": "pricings"}, None),
    ],
)
def test_generic_resource_arm_type(props, expected):
    assert arm_type_of_generic(props) == expected


@pytest.mark.parametrize(
    "tpl",
    [
        template(ssh_rule()),
        template(
            ssh_rule(source="[parameters('s')]"), parameters={"s": {"type": "string", "defaultValue": "Internet"}}
        ),
        template(
            {
                "type": "Microsoft.Network/networkSecurityGroups",
                "name": "nsg",
                "properties": {"securityRules": [{"name": "r", "properties": ssh_rule()["properties"]}]},
            }
        ),
        template(
            {"type": "Microsoft.Security/pricings", "name": "VirtualMachines", "properties": {"pricingTier": "Free"}}
        ),
    ],
)
def test_deployments_with_unsafe_resources_are_refused(judge, make, tpl):
    found = judge(make(DEPLOYMENT, "d", deployment(tpl)), policy=ARM)
    assert found and all((p, level) == (ARM, "mandatory") for p, level, _ in found)
    assert all(detail.startswith("Deployment 'd' template.resources[0]") for _, _, detail in found)


@pytest.mark.parametrize(
    "kind",
    [
        "DeploymentAtScope",
        "DeploymentAtSubscriptionScope",
        "DeploymentAtManagementGroupScope",
        "DeploymentAtTenantScope",
    ],
)
def test_every_deployment_scope_is_judged(judge, make, kind):
    found = judge(make(f"azure-native:resources:{kind}", "d", deployment(template(ssh_rule()))), policy=ARM)
    assert [p for p, _, _ in found] == [ARM]


def test_unresolvable_expression_in_a_security_field_fails_closed(judge, make):
    tpl = template(ssh_rule(source="[reference('ip').ipAddress]"))
    found = judge(make(DEPLOYMENT, "d", deployment(tpl)), policy=ARM)
    assert len(found) == 1 and found[0][1] == "mandatory"
    assert "sourceAddressPrefix depend on template expressions the pack cannot evaluate" in found[0][2]
    assert "[reference('ip').ipAddress]" in found[0][2]


def test_unresolvable_expression_elsewhere_does_not_matter(judge, make):
    tpl = template(ssh_rule(source="203.0.113.10", description="[concat('a', 'b')]"))
    assert judge(make(DEPLOYMENT, "d", deployment(tpl)), policy=ARM) == []


def test_linked_template_fails_closed(judge, make):
    props = {"deploymentName": "d", "properties": {"mode": "Incremental", "templateLink": {"uri": "https://x/t.json"}}}
    found = judge(make(DEPLOYMENT, "d", props), policy=ARM)
    assert len(found) == 1 and "linked template (templateLink)" in found[0][2]


def test_safe_templates_pass(judge, make):
    tpl = template(
        ssh_rule(source="203.0.113.10/32"),
        ssh_rule(port="443", source="Internet"),
        {"type": "Microsoft.Network/networkSecurityGroups", "name": "nsg", "location": "[resourceGroup().location]"},
        {
            "type": "Microsoft.Security/pricings",
            "name": "VirtualMachines",
            "properties": {"pricingTier": "Standard", "subPlan": "P2"},
        },
        {"type": "Microsoft.Security/pricings", "name": "StorageAccounts", "properties": {"pricingTier": "Free"}},
    )
    assert judge(make(DEPLOYMENT, "d", deployment(tpl)), policy=ARM) == []


def test_generic_security_rule_is_judged_like_the_typed_one(judge, make):
    props = {
        "resourceProviderNamespace": "Microsoft.Network",
        "parentResourcePath": "networkSecurityGroups/nsg",
        "resourceType": "securityRules",
        "resourceName": "ssh",
        "properties": ssh_rule()["properties"],
    }
    found = judge(make(GENERIC, "g", props), policy=GENERIC_POLICY)
    assert [(p, level) for p, level, _ in found] == [(GENERIC_POLICY, "mandatory")]
    assert found[0][2].startswith("Generic resource 'ssh' (microsoft.network/networksecuritygroups/securityrules)")
    safe = {**props, "properties": ssh_rule(source="203.0.113.10")["properties"]}
    assert judge(make(GENERIC, "g", safe), policy=GENERIC_POLICY) == []


def test_generic_pricing_below_p2_is_refused(judge, make):
    props = {
        "resourceProviderNamespace": "Microsoft.Security",
        "parentResourcePath": "",
        "resourceType": "pricings",
        "resourceName": "VirtualMachines",
        "properties": {"pricingTier": "Standard", "subPlan": "P1"},
    }
    found = judge(make(GENERIC, "g", props), policy=GENERIC_POLICY)
    assert len(found) == 1 and "subPlan is 'P1', expected 'P2'" in found[0][2]


def test_template_given_as_json_text_is_read(judge, make):
    import json

    found = judge(make(DEPLOYMENT, "d", deployment(json.dumps(template(ssh_rule())))), policy=ARM)
    assert [p for p, _, _ in found] == [ARM]
    broken = judge(make(DEPLOYMENT, "d", deployment("{not json")), policy=ARM)
    assert len(broken) == 1 and "not JSON" in broken[0][2]


def test_unknown_deployment_properties_are_deferred(judge, make):
    found = judge(make(DEPLOYMENT, "d", {"deploymentName": "d", "properties": UNKNOWN}), policy=ARM)
    assert [level for _, level, _ in found] == ["advisory"]


def test_unknown_generic_properties_are_deferred(judge, make):
    props = {
        "resourceProviderNamespace": "Microsoft.Network",
        "parentResourcePath": "networkSecurityGroups/nsg",
        "resourceType": "securityRules",
        "resourceName": "ssh",
        "properties": UNKNOWN,
    }
    assert [level for _, level, _ in judge(make(GENERIC, "g", props), policy=GENERIC_POLICY)] == ["advisory"]


ADMIN_RULE_TYPE = "Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules"


@pytest.mark.parametrize(
    "resource",
    [
        {
            "type": ADMIN_RULE_TYPE,
            "name": "avnm/cfg/coll/ssh",
            "kind": "Custom",
            "properties": {
                "access": "AlwaysAllow",
                "direction": "Inbound",
                "protocol": "Tcp",
                "priority": 10,
                "sources": [{"addressPrefix": "*", "addressPrefixType": "IPPrefix"}],
                "destinationPortRanges": ["22"],
            },
        },
        {
            "type": "Microsoft.Network/azureFirewalls",
            "name": "fw",
            "properties": {
                "natRuleCollections": [
                    {
                        "name": "c",
                        "properties": {
                            "priority": 100,
                            "action": {"type": "Dnat"},
                            "rules": [
                                {
                                    "name": "rdp",
                                    "protocols": ["TCP"],
                                    "sourceAddresses": ["*"],
                                    "destinationPorts": ["3389"],
                                    "translatedAddress": "10.0.0.4",
                                    "translatedPort": "3389",
                                }
                            ],
                        },
                    }
                ]
            },
        },
        {
            "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
            "name": "p/g",
            "properties": {
                "priority": 100,
                "ruleCollections": [
                    {
                        "ruleCollectionType": "FirewallPolicyNatRuleCollection",
                        "action": {"type": "DNAT"},
                        "rules": [
                            {
                                "ruleType": "NatRule",
                                "ipProtocols": ["TCP"],
                                "sourceAddresses": ["Internet"],
                                "destinationPorts": ["50022"],
                                "translatedPort": "22",
                            }
                        ],
                    }
                ],
            },
        },
    ],
)
def test_other_roads_inside_templates_are_judged_too(judge, make, resource):
    found = judge(make(DEPLOYMENT, "d", deployment(template(resource))), policy=ARM)
    assert [p for p, _, _ in found] == [ARM]
    assert "to management port" in found[0][2]


def test_default_admin_rules_inside_templates_are_not_judged(judge, make):
    default = {
        "type": ADMIN_RULE_TYPE,
        "name": "avnm/cfg/coll/d",
        "kind": "Default",
        "properties": {"flag": "AllowRuleSSH"},
    }
    assert judge(make(DEPLOYMENT, "d", deployment(template(default))), policy=ARM) == []
