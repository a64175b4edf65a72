"""deny-wildcard-policy-enforced and policy-definition-no-port-opening: Azure Policy judged by what it does."""

import copy

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE as UNKNOWN

from jit_guardrails.policy_rules import is_deny_wildcard_definition, opened_management_ports

POLICY_DEF = "azure-native:authorization:PolicyDefinition"
POLICY_ASSIGNMENT = "azure-native:authorization:PolicyAssignment"
ENFORCED = "deny-wildcard-policy-enforced"
OPENING = "policy-definition-no-port-opening"
RULE = "Microsoft.Network/networkSecurityGroups/securityRules"

# The shape of Microsoft's policy language (Learn: "Azure Policy definition structure"), as the
# DenyWildcardSourcePolicy component and the azurecitadel pattern write it.
DENY_RULE = {
    "if": {
        "allOf": [
            {"field": "type", "equals": RULE},
            {"field": f"{RULE}/direction", "equals": "Inbound"},
            {"field": f"{RULE}/access", "equals": "Allow"},
            {"field": f"{RULE}/sourceAddressPrefix", "in": ["*", "Internet"]},
            {"field": f"{RULE}/destinationPortRange", "in": ["22", "3389", "*"]},
        ]
    },
    "then": {"effect": "[parameters('effect')]"},
}
EFFECT = {"effect": {"type": "String", "allowedValues": ["Deny", "Audit"], "defaultValue": "Deny"}}


def deny_stack(make, mode, definition_id=None, definition_name="deny-wildcard-mgmt-source"):
    definition = make(
        POLICY_DEF,
        "deny-wildcard",
        {"policyDefinitionName": definition_name, "mode": "All", "policyRule": DENY_RULE, "parameters": EFFECT},
        outputs={"name": definition_name},
    )
    definition_id = (
        definition_id or f"/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/{definition_name}"
    )
    props = {"scope": "/subscriptions/s", "policyDefinitionId": definition_id}
    if mode is not None:
        props["enforcementMode"] = mode
    return [definition, make(POLICY_ASSIGNMENT, "deny-wildcard-assignment", props)]


@pytest.mark.parametrize("mode", ["DoNotEnforce", "donotenforce"])
def test_deny_wildcard_assignment_not_enforced_is_advised_against(judge, make, mode):
    found = judge(*deny_stack(make, mode), policy=ENFORCED)
    assert found == [
        (
            ENFORCED,
            "advisory",
            "Policy assignment 'deny-wildcard-assignment' of the deny-wildcard-source "
            "definition has enforcementMode 'DoNotEnforce', so NSG rules and JIT policies that open "
            "management ports to the internet are not blocked.",
        )
    ]


def test_assignments_of_known_outside_definitions_are_checked(judge, make):
    outside = make(
        POLICY_ASSIGNMENT,
        "alz",
        {
            "enforcementMode": "DoNotEnforce",
            "policyDefinitionId": "/providers/Microsoft.Management/managementGroups/alz/providers/"
            "Microsoft.Authorization/"
            "policyDefinitions/Deny-MgmtPorts-From-Internet",
        },
    )
    assert len(judge(outside, policy=ENFORCED)) == 1
    assert judge(outside, policy=ENFORCED, config={ENFORCED: {"definitionNames": []}}) == []


@pytest.mark.parametrize("mode", ["Default", None])
def test_enforced_assignments_pass(judge, make, mode):
    assert judge(*deny_stack(make, mode), policy=ENFORCED) == []


def test_other_definitions_may_be_do_not_enforce(judge, make):
    other = make(
        POLICY_ASSIGNMENT,
        "audit-tags",
        {
            "enforcementMode": "DoNotEnforce",
            "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/"
            "b0f33259-77d7-4c9e-aac6-3aabcfae693c",
        },
    )
    assert judge(other, policy=ENFORCED) == []
    assert judge(*deny_stack(make, "Default"), other, policy=ENFORCED) == []


def test_an_unknown_definition_id_is_matched_through_dependencies(judge, make):
    definition, assignment_ = deny_stack(make, "DoNotEnforce")
    linked = make(
        POLICY_ASSIGNMENT,
        "linked",
        {"enforcementMode": "DoNotEnforce", "policyDefinitionId": UNKNOWN},
        depends_on=[definition.urn],
    )
    assert [level for _, level, _ in judge(definition, linked, policy=ENFORCED)] == ["advisory"]
    assert "Policy assignment 'linked' of the deny-wildcard-source" in judge(definition, linked, policy=ENFORCED)[0][2]
    unlinked = make(POLICY_ASSIGNMENT, "unlinked", {"enforcementMode": "DoNotEnforce", "policyDefinitionId": UNKNOWN})
    found = judge(definition, unlinked, policy=ENFORCED)
    assert len(found) == 1 and found[0][2].startswith("can't run policy 'deny-wildcard-policy-enforced'")


def test_the_jit_policy_variant_of_the_deny_definition_counts_too(judge, make):
    jit_rule = {
        "if": {
            "allOf": [
                {"field": "type", "equals": "Microsoft.Security/locations/jitNetworkAccessPolicies"},
                {
                    "field": "Microsoft.Security/locations/jitNetworkAccessPolicies/virtualMachines[*].ports[*]"
                    ".allowedSourceAddressPrefix",
                    "equals": "*",
                },
            ]
        },
        "then": {"effect": "deny"},
    }
    definition = make(POLICY_DEF, "deny-jit", {"policyDefinitionName": "deny-jit-any", "policyRule": jit_rule})
    assignment_ = make(
        POLICY_ASSIGNMENT,
        "deny-jit-assignment",
        {
            "enforcementMode": "DoNotEnforce",
            "policyDefinitionId": "/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/deny-jit-any",
        },
    )
    assert [p for p, _, _ in judge(definition, assignment_, policy=ENFORCED)] == [ENFORCED]


def dine(rule_properties, effect="DeployIfNotExists", nested=False):
    """A deployIfNotExists definition (Learn: "deployIfNotExists effect") whose template deploys one rule."""
    resource = {"type": RULE, "apiVersion": "2023-09-01", "name": "[concat(parameters('nsg'), '/r')]"}
    resource["properties"] = rule_properties
    template = {"resources": [resource]}
    if nested:
        template = {
            "resources": [
                {"type": "Microsoft.Resources/deployments", "name": "inner", "properties": {"template": template}}
            ]
        }
    return {
        "policyDefinitionName": "support-ssh",
        "policyRule": {
            "if": {"field": "type", "equals": "Microsoft.Network/networkSecurityGroups"},
            "then": {
                "effect": effect,
                "details": {
                    "type": RULE,
                    "existenceCondition": {"field": f"{RULE}/sourceAddressPrefix", "equals": "*"},
                    "deployment": {"properties": {"mode": "incremental", "template": template}},
                },
            },
        },
    }


def child_rule_of_nsg():
    """ARM child-resource syntax: a `securityRules` resource nested in its NSG, type relative to the parent."""
    props = dine(SSH_FROM_ANY)
    template = props["policyRule"]["then"]["details"]["deployment"]["properties"]["template"]
    rule = {"type": "securityRules", "name": "ssh", "properties": dict(SSH_FROM_ANY)}
    template["resources"] = [{"type": "Microsoft.Network/networkSecurityGroups", "name": "nsg", "resources": [rule]}]
    return props


SSH_FROM_ANY = {
    "access": "Allow",
    "direction": "Inbound",
    "protocol": "Tcp",
    "sourceAddressPrefix": "*",
    "destinationPortRange": "22",
}


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"policyRule": DENY_RULE, "parameters": EFFECT}, True),
        ({"policyRule": {**DENY_RULE, "then": {"effect": "Deny"}}}, True),
        # Audit only, a parameter that also allows Disabled, or a deployment: not the guardrail.
        ({"policyRule": {**DENY_RULE, "then": {"effect": "audit"}}}, False),
        (
            {
                "policyRule": DENY_RULE,
                "parameters": {"effect": {"allowedValues": ["Deny", "Audit", "DeployIfNotExists"]}},
            },
            False,
        ),
        ({"policyRule": {**DENY_RULE, "then": {"effect": "deny", "details": {"deployment": {}}}}}, False),
        ({"policyRule": {"if": {"field": "type", "equals": RULE}, "then": {"effect": "deny"}}}, False),
        # Denying every rule *except* wildcard ones is the opposite of the guardrail.
        ({"policyRule": {"if": {"not": DENY_RULE["if"]}, "then": {"effect": "deny"}}}, False),
        (dine(SSH_FROM_ANY), False),
        ({"policyRule": "deny"}, False),
    ],
)
def test_the_guardrail_is_recognised_by_what_it_does(props, expected):
    assert is_deny_wildcard_definition(props) is expected


def test_a_dine_that_opens_ssh_is_mandatory_and_never_advised_to_enforce(judge, make):
    definition = make(POLICY_DEF, "support-ssh", dine(SSH_FROM_ANY))
    assignment_ = make(
        POLICY_ASSIGNMENT,
        "support-ssh",
        {
            "enforcementMode": "DoNotEnforce",
            "policyDefinitionId": "/subscriptions/s/providers/Microsoft.Authorization/policyDefinitions/support-ssh",
        },
        depends_on=[f"urn:pulumi:test::guardrails::{POLICY_DEF}::support-ssh"],
    )
    found = judge(definition, assignment_, config={ENFORCED: {"definitionNames": ["support-ssh"]}})
    assert found == [
        (
            OPENING,
            "mandatory",
            "Policy definition 'support-ssh' (deployifnotexists) its deployment template.resources[0] (security rule "
            "'[concat(parameters('nsg'), '/r')]') allows inbound traffic from '*' to management port(s) 22. Azure "
            "applies it to every matching resource in its assignment scope, so it opens management ports without "
            "any JIT request.",
        )
    ]


@pytest.mark.parametrize(
    ("props", "opened"),
    [
        (dine(SSH_FROM_ANY), ["from '*' to management port(s) 22"]),
        (dine(SSH_FROM_ANY, nested=True), ["template.resources[0].properties.template.resources[0]"]),
        (dine({**SSH_FROM_ANY, "destinationPortRange": "[parameters('port')]"}), ["port(s) [parameters('port')]"]),
        (dine({**SSH_FROM_ANY, "sourceAddressPrefix": "10.0.0.0/8"}), ["from '10.0.0.0/8' to management port(s) 22"]),
        (dine({**SSH_FROM_ANY, "destinationPortRange": "3000-4000"}), ["port(s) 3389"]),
        (child_rule_of_nsg(), ["template.resources[0].resources[0] (security rule 'ssh')"]),
        (dine({**SSH_FROM_ANY, "access": "Deny"}), []),
        (dine({**SSH_FROM_ANY, "direction": "Outbound"}), []),
        (dine({**SSH_FROM_ANY, "destinationPortRange": "443"}), []),
        (dine(SSH_FROM_ANY, effect="auditIfNotExists"), []),
    ],
)
def test_what_a_deployment_opens_is_said(props, opened):
    found = opened_management_ports(props)
    assert len(found) == len(opened) and all(part in text for part, text in zip(opened, found, strict=True))


def test_modify_operations_that_widen_rules_are_refused(judge, make):
    rule = {
        "if": {"field": "type", "equals": RULE},
        "then": {
            "effect": "modify",
            "details": {
                "roleDefinitionIds": ["/providers/Microsoft.Authorization/roleDefinitions/x"],
                "operations": [
                    {"operation": "addOrReplace", "field": f"{RULE}/sourceAddressPrefix", "value": "Internet"},
                    {"operation": "addOrReplace", "field": f"{RULE}/access", "value": "Deny"},
                    {"operation": "addOrReplace", "field": "tags['owner']", "value": "ops"},
                ],
            },
        },
    }
    found = judge(make(POLICY_DEF, "widen", {"policyRule": rule, "displayName": "Open up"}), policy=OPENING)
    assert [detail.split(". Azure")[0] for _, _, detail in found] == [
        f"Policy definition 'Open up' (modify) its operations[0] (addorreplace) sets {RULE}/sourceAddressPrefix to "
        "'Internet'"
    ]


def test_unknown_definitions_are_deferred_and_other_resources_not_applicable(judge, make):
    found = judge(make(POLICY_DEF, "later", {"policyRule": UNKNOWN}), policy=OPENING)
    assert [level for _, level, _ in found] == ["advisory"] and "can't run policy" in found[0][2]
    assert judge(make("azure-native:network:NetworkSecurityGroup", "nsg", {}), policy=OPENING) == []


def test_a_deny_definition_is_not_flagged_as_opening(judge, make):
    definition = make(POLICY_DEF, "deny", {"policyRule": copy.deepcopy(DENY_RULE), "parameters": EFFECT})
    assert judge(definition, policy=OPENING) == []


def test_this_projects_own_guardrail_definitions_are_recognised():
    from azure_jit_access.wildcard_policy import (
        effect_parameter,
        jit_policy_rule,
        nsg_policy_parameters,
        nsg_policy_rule,
    )

    nsg = {"policyRule": nsg_policy_rule(), "parameters": nsg_policy_parameters()}
    jit = {"policyRule": jit_policy_rule(), "parameters": {"effect": effect_parameter()}}
    assert is_deny_wildcard_definition(nsg) and is_deny_wildcard_definition(jit)
    assert opened_management_ports(nsg) == [] and opened_management_ports(jit) == []
