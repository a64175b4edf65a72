"""DenyWildcardSourcePolicy: the rules' verdicts on ARM payloads, the definitions and the assignments.

The verdict tables run the policy JSON exactly as the component sends it through the strict local
evaluator (tests/support/azure_policy_eval.py), since Azure Policy cannot run offline.
"""

import pulumi
import pytest
from pulumi_azure_native import resources

from azure_jit_access.cli.preview.engine import run_inline
from azure_jit_access.wildcard_policy import (
    JIT_AUDIT_BUILTIN_ID,
    JIT_MESSAGE,
    JIT_TYPE,
    NSG_MESSAGE,
    NSG_TYPE,
    RULE_TYPE,
    DenyWildcardSourcePolicy,
    DenyWildcardSourcePolicyArgs,
    effect_parameter,
    jit_policy_rule,
    nsg_policy_parameters,
    nsg_policy_rule,
    parse_policy_scope,
    policy_definition_guid,
    validate_effect,
    validate_management_ports,
)
from tests.support.azure_policy_eval import evaluate

SUB = "00000000-0000-4000-8000-000000000001"
NSG_DEFINITION = {"mode": "All", "policyRule": nsg_policy_rule(), "parameters": nsg_policy_parameters()}
JIT_DEFINITION = {"mode": "All", "policyRule": jit_policy_rule(), "parameters": {"effect": effect_parameter()}}
BASTION_SUBNET = "10.0.1.0/26"


def rule_properties(**overrides):
    return {
        "protocol": "Tcp",
        "direction": "Inbound",
        "access": "Allow",
        "priority": 100,
        "sourcePortRange": "*",
        "destinationAddressPrefix": "*",
        **overrides,
    }


def standalone(**overrides):
    """A PUT of .../networkSecurityGroups/web-nsg/securityRules/<rule>, as Azure Policy sees it."""
    return {"type": RULE_TYPE, "name": "web-nsg/rule", "properties": rule_properties(**overrides)}


def inline(*rules):
    """A PUT of an NSG with inline rules."""
    return {
        "type": NSG_TYPE,
        "name": "web-nsg",
        "location": "westeurope",
        "properties": {
            "securityRules": [
                {"name": f"rule-{i}", "properties": rule_properties(**{"priority": 100 + i, **r})}
                for i, r in enumerate(rules)
            ]
        },
    }


NSG_ROWS = [
    # (case, payload, verdict)
    ("star source to ssh", standalone(sourceAddressPrefix="*", destinationPortRange="22"), "deny"),
    ("Any source to rdp", standalone(sourceAddressPrefix="Any", destinationPortRange="3389"), "deny"),
    ("any in lower case", standalone(sourceAddressPrefix="any", destinationPortRange="22"), "deny"),
    ("Internet to winrm http", standalone(sourceAddressPrefix="Internet", destinationPortRange="5985"), "deny"),
    (
        "INTERNET upper case to winrm https",
        standalone(sourceAddressPrefix="INTERNET", destinationPortRange="5986"),
        "deny",
    ),
    ("0.0.0.0/0 to any port", standalone(sourceAddressPrefix="0.0.0.0/0", destinationPortRange="*"), "deny"),
    ("::/0 to rdp", standalone(sourceAddressPrefix="::/0", destinationPortRange="3389"), "deny"),
    ("another /0 spelling", standalone(sourceAddressPrefix="10.0.0.0/0", destinationPortRange="22"), "deny"),
    (
        "wildcard inside a prefixes list",
        standalone(sourceAddressPrefixes=["10.0.0.0/8", "Internet"], destinationPortRange="22"),
        "deny",
    ),
    (
        "prefixes list without a wildcard",
        standalone(sourceAddressPrefixes=["10.0.0.0/8", "192.168.0.0/16"], destinationPortRange="22"),
        "allow",
    ),
    ("range containing 3389", standalone(sourceAddressPrefix="*", destinationPortRange="3000-4000"), "deny"),
    ("range 20-25 containing 22", standalone(sourceAddressPrefix="internet", destinationPortRange="20-25"), "deny"),
    ("range ending at 22", standalone(sourceAddressPrefix="*", destinationPortRange="1-22"), "deny"),
    ("range between management ports", standalone(sourceAddressPrefix="*", destinationPortRange="23-3388"), "allow"),
    ("range starting after 3389", standalone(sourceAddressPrefix="*", destinationPortRange="3390-3400"), "allow"),
    ("ports list with 22", standalone(sourceAddressPrefix="*", destinationPortRanges=["80", "443", "22"]), "deny"),
    (
        "ports list with a range over 5985",
        standalone(sourceAddressPrefix="*", destinationPortRanges=["8000-9000", "5980-5990"]),
        "deny",
    ),
    ("ports list of web ports", standalone(sourceAddressPrefix="*", destinationPortRanges=["80", "443"]), "allow"),
    ("https from Internet", standalone(sourceAddressPrefix="Internet", destinationPortRange="443"), "allow"),
    ("http from any", standalone(sourceAddressPrefix="*", destinationPortRange="80"), "allow"),
    (
        "deny rule from any to ssh",
        standalone(access="Deny", sourceAddressPrefix="*", destinationPortRange="22"),
        "allow",
    ),
    (
        "outbound rule to any ssh",
        standalone(direction="Outbound", sourceAddressPrefix="*", destinationPortRange="22"),
        "allow",
    ),
    ("bastion subnet to ssh", standalone(sourceAddressPrefix=BASTION_SUBNET, destinationPortRange="22"), "allow"),
    (
        "VirtualNetwork tag to rdp",
        standalone(sourceAddressPrefix="VirtualNetwork", destinationPortRange="3389"),
        "allow",
    ),
    ("JIT-style single IP to ssh", standalone(sourceAddressPrefix="203.0.113.7", destinationPortRange="22"), "allow"),
    (
        "lower-case inbound allow",
        standalone(direction="inbound", access="allow", sourceAddressPrefix="*", destinationPortRange="22"),
        "deny",
    ),
    ("udp 3389 from any", standalone(protocol="Udp", sourceAddressPrefix="*", destinationPortRange="3389"), "deny"),
    (
        "inline: one open rule among safe ones",
        inline(
            {"sourceAddressPrefix": BASTION_SUBNET, "destinationPortRange": "22"},
            {"sourceAddressPrefix": "Internet", "destinationPortRange": "3389"},
        ),
        "deny",
    ),
    (
        "inline: only safe rules",
        inline(
            {"sourceAddressPrefix": BASTION_SUBNET, "destinationPortRange": "22"},
            {"access": "Deny", "sourceAddressPrefix": "*", "destinationPortRange": "*", "priority": 4096},
            {"sourceAddressPrefix": "Internet", "destinationPortRange": "443"},
        ),
        "allow",
    ),
    (
        "inline: prefixes list and port range",
        inline({"sourceAddressPrefixes": ["198.51.100.0/24", "::/0"], "destinationPortRanges": ["21-23"]}),
        "deny",
    ),
    ("inline: wildcard to any port", inline({"sourceAddressPrefix": "0.0.0.0/0", "destinationPortRange": "*"}), "deny"),
    (
        "inline: outbound wildcard",
        inline({"direction": "Outbound", "sourceAddressPrefix": "*", "destinationPortRange": "22"}),
        "allow",
    ),
    ("inline: NSG without rules", {"type": NSG_TYPE, "name": "empty-nsg", "properties": {}}, "allow"),
    (
        "another resource type",
        {"type": "Microsoft.Compute/virtualMachines", "name": "vm", "properties": {"securityRules": "not an NSG"}},
        "allow",
    ),
]


@pytest.mark.parametrize("case, payload, verdict", NSG_ROWS, ids=[row[0] for row in NSG_ROWS])
def test_nsg_rule_verdicts(case, payload, verdict):
    result = evaluate(NSG_DEFINITION, payload)
    assert result.failure is None, result.failure
    assert ("deny" if result.denied else "allow") == verdict


def test_the_table_covers_what_the_issue_asks():
    assert len(NSG_ROWS) >= 25
    sources = {row[1]["properties"].get("sourceAddressPrefix") for row in NSG_ROWS if row[1]["type"] == RULE_TYPE}
    assert {"*", "Any", "any", "Internet", "INTERNET", "0.0.0.0/0", "::/0", BASTION_SUBNET} <= sources


def test_malformed_port_fails_evaluation_which_azure_treats_as_deny():
    result = evaluate(NSG_DEFINITION, standalone(sourceAddressPrefix="*", destinationPortRange="ssh"))
    assert result.denied and "int('ssh')" in result.failure


def test_management_ports_are_a_parameter():
    custom = {"managementPorts": [2222]}
    assert evaluate(NSG_DEFINITION, standalone(sourceAddressPrefix="*", destinationPortRange="2222"), custom).denied
    assert not evaluate(NSG_DEFINITION, standalone(sourceAddressPrefix="*", destinationPortRange="22"), custom).denied


def test_audit_effect_reports_without_denying():
    result = evaluate(
        NSG_DEFINITION, standalone(sourceAddressPrefix="*", destinationPortRange="22"), {"effect": "Audit"}
    )
    assert result.audited and not result.denied


def jit_policy(*vms):
    return {
        "type": JIT_TYPE,
        "name": "default",
        "kind": "Basic",
        "location": "westeurope",
        "properties": {
            "virtualMachines": [
                {
                    "id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm{i}",
                    "ports": ports,
                }
                for i, ports in enumerate(vms)
            ]
        },
    }


def port(number=22, **source):
    return {"number": number, "protocol": "*", "maxRequestAccessDuration": "PT3H", **source}


JIT_ROWS = [
    ("star source", jit_policy([port(allowedSourceAddressPrefix="*")]), "deny"),
    ("Any source", jit_policy([port(allowedSourceAddressPrefix="Any")]), "deny"),
    ("internet source", jit_policy([port(allowedSourceAddressPrefix="internet")]), "deny"),
    (
        "/0 inside a prefixes list",
        jit_policy([port(allowedSourceAddressPrefixes=["203.0.113.0/24", "0.0.0.0/0"])]),
        "deny",
    ),
    (
        "second VM's rdp port open to *",
        jit_policy(
            [port(allowedSourceAddressPrefix="203.0.113.7")],
            [port(22, allowedSourceAddressPrefix=BASTION_SUBNET), port(3389, allowedSourceAddressPrefix="*")],
        ),
        "deny",
    ),
    ("no source at all", jit_policy([port()]), "deny"),
    ("empty prefixes list", jit_policy([port(allowedSourceAddressPrefixes=[])]), "deny"),
    ("explicit single source", jit_policy([port(allowedSourceAddressPrefix="203.0.113.7")]), "allow"),
    (
        "explicit prefixes",
        jit_policy(
            [port(allowedSourceAddressPrefixes=["203.0.113.0/24", BASTION_SUBNET])],
            [port(3389, allowedSourceAddressPrefix="198.51.100.10")],
        ),
        "allow",
    ),
    ("an NSG is not a JIT policy", inline({"sourceAddressPrefix": "*", "destinationPortRange": "22"}), "allow"),
]


@pytest.mark.parametrize("case, payload, verdict", JIT_ROWS, ids=[row[0] for row in JIT_ROWS])
def test_jit_policy_verdicts(case, payload, verdict):
    result = evaluate(JIT_DEFINITION, payload)
    assert result.failure is None, result.failure
    assert ("deny" if result.denied else "allow") == verdict


def test_nsg_definition_ignores_jit_policies():
    assert not evaluate(NSG_DEFINITION, jit_policy([port(allowedSourceAddressPrefix="*")])).denied


@pytest.mark.parametrize(
    "scope, kind, definition_scope",
    [
        (f"/subscriptions/{SUB}", "subscription", f"/subscriptions/{SUB}"),
        (f"/subscriptions/{SUB}/resourceGroups/rg-jit", "resourceGroup", f"/subscriptions/{SUB}"),
        (
            "/providers/Microsoft.Management/managementGroups/platform",
            "managementGroup",
            "/providers/Microsoft.Management/managementGroups/platform",
        ),
    ],
)
def test_policy_scopes(scope, kind, definition_scope):
    parsed = parse_policy_scope(scope)
    assert (parsed.kind, parsed.definition_scope) == (kind, definition_scope)


@pytest.mark.parametrize("scope", ["/", "", "/subscriptions/not-a-guid", "rg-jit", f"/subscriptions/{SUB}/x/y"])
def test_bad_policy_scopes_are_refused(scope):
    with pytest.raises(ValueError, match="is not a management group .* id; give one of those"):
        parse_policy_scope(scope)


def test_effect_and_ports_validation():
    assert validate_effect("deny") == "Deny" and validate_effect(" AUDIT ") == "Audit"
    with pytest.raises(ValueError, match="must be one of Deny, Audit"):
        validate_effect("Disabled")
    assert validate_management_ports([3389, 22, 22]) == [22, 3389]
    for bad in ([], [0], [70000], ["22"], [True], list(range(1, 102))):
        with pytest.raises(ValueError, match="management"):
            validate_management_ports(bad)


def test_definition_names_are_stable_per_scope_and_kind():
    name = policy_definition_guid(f"/subscriptions/{SUB}", "nsg-wildcard-source")
    assert name == policy_definition_guid(f"/SUBSCRIPTIONS/{SUB.upper()}", "nsg-wildcard-source")
    assert name != policy_definition_guid(f"/subscriptions/{SUB}", "jit-wildcard-source")
    assert name != policy_definition_guid("/subscriptions/00000000-0000-4000-8000-00000000000f", "nsg-wildcard-source")


# -- the component under the mock engine ---------------------------------------------------------------


def build(**overrides):
    args = DenyWildcardSourcePolicyArgs(scope=f"/subscriptions/{SUB}", **overrides)
    return run_inline(lambda: DenyWildcardSourcePolicy("guard", args))


@pytest.fixture(scope="module")
def defaults():
    return build()


def test_defaults_create_two_definitions_and_two_assignments(defaults):
    component = defaults.one("azure-jit-access:wildcard_policy:DenyWildcardSourcePolicy")
    definitions = defaults.find("azure-native:authorization:PolicyDefinition")
    assignments = defaults.find("azure-native:authorization:PolicyAssignment")
    assert sorted(r.name for r in definitions + assignments) == [
        "guard-jit-assignment",
        "guard-jit-definition",
        "guard-nsg-assignment",
        "guard-nsg-definition",
    ]
    assert all(r.parent == component.urn for r in definitions + assignments)
    for definition in definitions:
        assert definition.inputs["mode"] == "All" and definition.inputs["policyType"] == "Custom"
        assert definition.inputs["parameters"]["effect"]["allowedValues"] == ["Deny", "Audit"]
        assert definition.inputs["parameters"]["effect"]["defaultValue"] == "Deny"


def test_assignments_point_at_their_definitions_with_parameters_and_messages(defaults):
    nsg_definition = defaults.one("azure-native:authorization:PolicyDefinition", "guard-nsg-definition")
    nsg = defaults.one("azure-native:authorization:PolicyAssignment", "guard-nsg-assignment")
    jit = defaults.one("azure-native:authorization:PolicyAssignment", "guard-jit-assignment")
    assert nsg.inputs["policyDefinitionId"] == nsg_definition.id
    assert nsg_definition.id == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyDefinitions/"
        + policy_definition_guid(f"/subscriptions/{SUB}", "nsg-wildcard-source")
    )
    assert nsg.inputs["scope"] == f"/subscriptions/{SUB}"
    assert nsg.inputs["parameters"] == {
        "effect": {"value": "Deny"},
        "managementPorts": {"value": [22, 3389, 5985, 5986]},
    }
    assert nsg.inputs["nonComplianceMessages"] == [{"message": NSG_MESSAGE}]
    assert jit.inputs["nonComplianceMessages"] == [{"message": JIT_MESSAGE}]
    assert "jit request" in NSG_MESSAGE and "AzureBastionSubnet" in JIT_MESSAGE
    assert jit.inputs["parameters"] == {"effect": {"value": "Deny"}}


def test_the_deployed_definition_json_gives_the_same_verdicts(defaults):
    recorded = defaults.one("azure-native:authorization:PolicyDefinition", "guard-nsg-definition").inputs
    assignment = defaults.one("azure-native:authorization:PolicyAssignment", "guard-nsg-assignment").inputs
    wire = {key: recorded[key] for key in ("mode", "policyRule", "parameters")}
    for case, payload, verdict in NSG_ROWS:
        result = evaluate(wire, payload, assignment["parameters"])
        assert ("deny" if result.denied else "allow") == verdict, case


def test_audit_effect_ports_and_builtin_at_a_management_group():
    result = run_inline(
        lambda: DenyWildcardSourcePolicy(
            "guard",
            DenyWildcardSourcePolicyArgs(
                scope="/providers/Microsoft.Management/managementGroups/platform",
                effect="audit",
                management_ports=[2222, 22],
                assign_jit_audit_builtin=True,
            ),
        )
    )
    definitions = result.find("azure-native:authorization:PolicyDefinitionAtManagementGroup")
    assert {d.inputs["managementGroupId"] for d in definitions} == {"platform"}
    assert not result.find("azure-native:authorization:PolicyDefinition")
    nsg = result.one("azure-native:authorization:PolicyAssignment", "guard-nsg-assignment")
    assert nsg.inputs["parameters"] == {"effect": {"value": "Audit"}, "managementPorts": {"value": [22, 2222]}}
    builtin = result.one("azure-native:authorization:PolicyAssignment", "guard-jit-audit-assignment")
    assert builtin.inputs["policyDefinitionId"] == JIT_AUDIT_BUILTIN_ID
    assert builtin.inputs["scope"] == "/providers/Microsoft.Management/managementGroups/platform"
    assert all(
        len(a.inputs["policyAssignmentName"]) <= 24  # Azure's limit at management group scope
        for a in result.find("azure-native:authorization:PolicyAssignment")
    )


def test_resource_group_scope_defines_in_the_subscription_and_waits_for_the_group():
    scope = f"/subscriptions/{SUB}/resourceGroups/rg-jit-dev"

    def program():
        group = resources.ResourceGroup("rg", resource_group_name="rg-jit-dev")
        DenyWildcardSourcePolicy(
            "guard", DenyWildcardSourcePolicyArgs(scope=scope), opts=pulumi.ResourceOptions(depends_on=[group])
        )

    result = run_inline(program)
    group_urn = result.one("azure-native:resources:ResourceGroup").urn
    assignments = result.find("azure-native:authorization:PolicyAssignment")
    assert {a.inputs["scope"] for a in assignments} == {scope}
    assert len(result.find("azure-native:authorization:PolicyDefinition")) == 2
    assert all(group_urn in a.options["dependsOn"] for a in assignments)


def test_invalid_args_fail_before_any_resource_is_created():
    for bad in (
        dict(scope="/"),
        dict(scope=f"/subscriptions/{SUB}", effect="Disabled"),
        dict(scope=f"/subscriptions/{SUB}", management_ports=[]),
    ):
        with pytest.raises(ValueError):
            run_inline(lambda bad=bad: DenyWildcardSourcePolicy("guard", DenyWildcardSourcePolicyArgs(**bad)))
