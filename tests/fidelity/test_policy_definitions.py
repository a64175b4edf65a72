"""Every Azure Policy rule the project generates passes the published policy definition schema and uses only
aliases that exist (Get-AzPolicyAlias dump); the same checks catch a wrong rule."""

from __future__ import annotations

import copy

from tests.fidelity.policy_rules import (
    alias_namespaces,
    known_aliases,
    policy_definition_problems,
    schema_errors,
    unknown_aliases,
)

POLICY_TYPES = (
    "azure-native:authorization:PolicyDefinition",
    "azure-native:authorization:PolicyDefinitionAtManagementGroup",
)


def _definitions(previews):
    return [(name, r) for name, result in previews.items() for r in result.resources if r.type in POLICY_TYPES]


def test_generated_policy_rules_pass_the_schema_and_use_existing_aliases(shipped_previews):
    definitions = _definitions(shipped_previews)
    assert len(definitions) >= 2
    for program, definition in definitions:
        assert policy_definition_problems(definition) == [], program


def test_the_catalogue_holds_the_jit_and_nsg_aliases():
    assert set(alias_namespaces()) == {"microsoft.network", "microsoft.security"}
    assert (
        "microsoft.security/locations/jitnetworkaccesspolicies/virtualmachines[*].ports[*].allowedsourceaddressprefix"
        in known_aliases()
    )
    assert "microsoft.network/networksecuritygroups/securityrules/sourceaddressprefix" in known_aliases()


def _a_rule(shipped_previews):
    program, definition = _definitions(shipped_previews)[0]
    return copy.deepcopy(definition.inputs["policyRule"])


def _first_field_path(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "field" and isinstance(value, str) and value.startswith("Microsoft."):
                return (*path, key)
            found = _first_field_path(value, (*path, key))
            if found:
                return found
    if isinstance(node, list):
        for i, value in enumerate(node):
            found = _first_field_path(value, (*path, i))
            if found:
                return found
    return None


def test_an_unknown_alias_is_reported_with_its_json_path(shipped_previews):
    rule = _a_rule(shipped_previews)
    path = _first_field_path(rule)
    node = rule
    for part in path[:-1]:
        node = node[part]
    node["field"] = node["field"] + "Typo"
    expected_path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert unknown_aliases(rule) == [(expected_path, node["field"])]


def test_an_unknown_alias_in_a_deployed_definition_names_the_resource(shipped_previews):
    program, definition = _definitions(shipped_previews)[0]
    broken = copy.deepcopy(definition)
    path = _first_field_path(broken.inputs["policyRule"])
    node = broken.inputs["policyRule"]
    for part in path[:-1]:
        node = node[part]
    node["field"] = "Microsoft.Network/networkSecurityGroups/securityRules/sourceAddressPrefixx"
    [problem] = policy_definition_problems(broken)
    json_path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert problem == (
        f"{definition.urn} policyRule{json_path}: "
        "no alias 'Microsoft.Network/networkSecurityGroups/securityRules/sourceAddressPrefixx'"
    )


def test_a_boolean_equals_fails_the_published_schema():
    # The schema allows number or string for `equals`; "true" passes it and compares equal to a boolean.
    rule = {"if": {"value": "[bool('true')]", "equals": True}, "then": {"effect": "deny"}}
    assert schema_errors(rule) != []
    assert schema_errors({**rule, "if": {"value": "[bool('true')]", "equals": "true"}}) == []


def test_an_effect_outside_the_schema_is_reported():
    errors = schema_errors({"if": {"field": "type", "equals": "x"}, "then": {"effect": "block"}})
    assert errors and errors[0][0] == "$.then.effect"
