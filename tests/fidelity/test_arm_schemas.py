"""ARM resource schemas (Azure/azure-resource-manager-schemas, vendored in references/arm-schemas/) judge every
azure-native resource the project's programs create, and `jit preview --validate` does the same for any program."""

from __future__ import annotations

import copy
import json
import textwrap

from azure_jit_access.cli.main import main
from azure_jit_access.cli.preview import validate
from tests.fidelity.conftest import GOOD_PROGRAMS, preview_of

MANIFEST = json.loads((validate.ARM_SCHEMAS / "manifest.json").read_text())


# Not checked, each for a reason that is Microsoft's, not ours:
# - logic:Workflow: Azure/azure-resource-manager-schemas publishes no Microsoft.Logic schema for 2019-05-01, the
#   SDK's API version;
# - resources:Resource: the generic resource takes its ARM type and API version as inputs, so no single schema
#   describes it (arm_schemas.NO_SINGLE_SCHEMA).
NOT_CHECKED = {"azure-native:logic:Workflow", "azure-native:resources:Resource"}


def test_every_shipped_program_passes_the_arm_schemas(shipped_previews):
    for name, result in shipped_previews.items():
        report = validate.validate_resources(result.resources)
        assert [(i.urn, i.path, i.message) for i in report.issues] == [], name
        native = [r for r in result.resources if r.custom and r.type.startswith("azure-native:")]
        assert report.checked == sum(r.type not in NOT_CHECKED for r in native), name
        assert set(report.not_checked) <= NOT_CHECKED, name


def test_vendored_schemas_are_those_of_the_sdk_default_api_versions():
    for token, entry in MANIFEST["types"].items():
        assert validate.sdk_api_version(token) == entry["apiVersion"], token
    assert MANIFEST["types"]["azure-native:monitor:ScheduledQueryRule"]["apiVersion"] == "2025-01-01-preview"
    assert MANIFEST["types"]["azure-native:security:JitNetworkAccessPolicy"]["apiVersion"] == "2020-01-01"


def _resource(type_suffix: str):
    result = preview_of(validate.REFERENCES.parent, "dev")
    return next(r for r in result.resources if r.type.endswith(type_suffix))


def test_alert_operator_is_the_scheduled_query_rules_enum_and_gt_is_refused():
    rule = _resource(":ScheduledQueryRule")
    # The schema's enum for criteria.allOf[].operator (2025-01-01-preview) is the API's, not the SDK's "gt".
    assert rule.inputs["criteria"]["allOf"][0]["operator"] == "GreaterThan"
    wrong = copy.deepcopy(rule.inputs)
    wrong["criteria"]["allOf"][0]["operator"] = "gt"
    [issue] = validate.validate_resource(rule.urn, rule.type, wrong)
    assert issue.path == "$.properties.criteria.allOf[0].operator"
    assert "'gt' is not one of ['Equals', 'GreaterThan'" in issue.message
    assert issue.reference.endswith(
        "2025-01-01-preview/Microsoft.Insights.json#/resourceDefinitions/scheduledQueryRules"
    )


def test_missing_required_property_is_reported_with_its_parent_path():
    rule = _resource(":SecurityRule")
    wrong = {k: v for k, v in rule.inputs.items() if k != "protocol"}
    [issue] = validate.validate_resource(rule.urn, rule.type, wrong)
    assert (issue.path, issue.message) == ("$.properties", "'protocol' is a required property")


def test_wrong_enum_deep_in_a_flattened_body_names_the_input_path():
    policy = _resource(":JitNetworkAccessPolicy")
    wrong = copy.deepcopy(policy.inputs)
    wrong["virtualMachines"][0]["ports"][0]["protocol"] = "tcp"  # JIT wants upper case, unlike NSG rules
    [issue] = validate.validate_resource(policy.urn, policy.type, wrong)
    assert issue.path == "$.properties.virtualMachines[0].ports[0].protocol"
    assert "(input virtualMachines[0].ports[0].protocol)" in issue.message


def test_unknown_values_and_secrets_are_skipped_not_failed():
    rule = _resource(":SecurityRule")
    # None: an output the mock engine could not know (Pulumi never sends a None input).
    for placeholder in ("[unknown]", "[secret]", None):
        masked = {**rule.inputs, "access": placeholder, "priority": placeholder}
        assert validate.validate_resource(rule.urn, rule.type, masked) == []


def test_a_type_without_a_vendored_schema_is_not_checked_rather_than_passed():
    outcome = validate.validate_resource("urn:x", "azure-native:logic:Workflow", {"definition": {}})
    assert outcome == "no vendored schemas for API version 2019-05-01"
    outcome = validate.validate_resource("urn:y", "azure-native:storage:StorageAccount", {"kind": "StorageV2"})
    version = validate.sdk_api_version("azure-native:storage:StorageAccount")
    assert outcome == f"no vendored Microsoft.storage schema for API version {version}"


def _good(program: str, type_suffix: str):
    result = preview_of(GOOD_PROGRAMS / program)
    return next(r for r in result.resources if r.type.endswith(type_suffix))


def test_deployments_at_subscription_scope_are_judged_by_the_subscription_deployment_schema():
    deployment = _good("arm_template_https_and_defender_p2", ":DeploymentAtSubscriptionScope")
    assert validate.find_schema(deployment.type, deployment.inputs).reference.endswith(
        "2024-03-01/Microsoft.Resources.json#/subscription_resourceDefinitions/deployments"
    )
    wrong = copy.deepcopy(deployment.inputs)
    wrong["properties"]["mode"] = "Full"
    [issue] = validate.validate_resource(deployment.urn, deployment.type, wrong)
    assert (issue.path, issue.message) == (
        "$.properties.mode",
        "'Full' is not one of ['Incremental', 'Complete'] (input properties.mode)",
    )


def test_load_balancer_and_firewall_rule_groups_are_checked_against_the_network_schema():
    balancer = _good("lb_internal_nat_and_public_https", ":LoadBalancer")
    wrong = copy.deepcopy(balancer.inputs)
    wrong["inboundNatRules"][0]["protocol"] = "TCP"  # the load balancer enum is Udp/Tcp/All
    [issue] = validate.validate_resource(balancer.urn, balancer.type, wrong)
    assert issue.path == "$.properties.inboundNatRules[0].properties.protocol"
    assert issue.message.startswith("'TCP' is not one of ['Udp', 'Tcp', 'All']")
    group = _good("firewall_dnat_https_and_office_ssh", ":FirewallPolicyRuleCollectionGroup")
    # The token's class name is not the ARM type's last segment (ruleCollectionGroups): SPECIAL_TYPES maps it.
    assert (
        validate.find_schema(group.type, group.inputs).arm_type
        == "Microsoft.Network/firewallPolicies/ruleCollectionGroups"
    )
    wrong = copy.deepcopy(group.inputs)
    wrong["priority"] = 50  # Azure's minimum rule collection group priority is 100
    [issue] = validate.validate_resource(group.urn, group.type, wrong)
    assert issue.path == "$.properties.priority"


def test_the_generic_resource_is_not_checked_and_says_why():
    outcome = validate.validate_resource("urn:z", "azure-native:resources:Resource", {"resourceType": "x"})
    assert outcome.startswith("a generic resource: its ARM type and API version are inputs")


FOREIGN = """
import pulumi
from pulumi_azure_native import network

nsg = network.NetworkSecurityGroup("app-nsg", resource_group_name="rg-app")
network.SecurityRule(
    "allow-https",
    resource_group_name="rg-app",
    network_security_group_name=nsg.name,
    access="Allow",
    direction="Inbound",
    protocol="HTTPS",
    priority=200,
    source_address_prefix="10.0.0.0/8",
    source_port_range="*",
    destination_address_prefix="*",
    destination_port_range="443",
)
"""


def test_validate_flag_on_a_foreign_program_names_file_resource_and_property(tmp_path, capsys):
    (tmp_path / "Pulumi.yaml").write_text("name: foreign-app\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(FOREIGN))
    out = tmp_path / "preview.json"
    args = ["preview", "--program", str(tmp_path), "--validate", "--format", "json", "--output", str(out)]
    assert main(args) == 2
    [issue] = json.loads(out.read_text())["validation"]
    assert issue["urn"].endswith("azure-native:network:SecurityRule::allow-https")
    assert issue["path"] == "$.properties.protocol"
    assert issue["message"].startswith("'HTTPS' is not one of ['Tcp', 'Udp', 'Icmp', 'Esp', '*', 'Ah']")
    # The program line that constructed the resource (the engine records it).
    line = textwrap.dedent(FOREIGN).splitlines().index("network.SecurityRule(") + 1
    assert issue["source"] == f"__main__.py:{line}"
    assert "Microsoft.Network.NRP.json" in issue["reference"]
    assert "Azure schema error" in capsys.readouterr().err

    assert main(["preview", "--program", str(tmp_path), "--validate"]) == 2
    text = capsys.readouterr().out
    assert (
        f"[error] $.properties.protocol  (azure-native:network:SecurityRule allow-https at __main__.py:{line})" in text
    )

    assert main(["preview", "--program", str(tmp_path), "--validate", "--format", "markdown"]) == 2
    markdown = capsys.readouterr().out
    assert "#### Azure schema check (`--validate`)" in markdown and "`$.properties.protocol`" in markdown
    assert "❌ 1 Azure schema error(s) (`--validate`)" in markdown.splitlines()[2]

    # Without the flag nothing is checked and the exit status is the policy one.
    assert main(["preview", "--program", str(tmp_path), "--format", "json"]) == 0
    assert "validation" not in json.loads(capsys.readouterr().out)


def test_inputs_the_sdk_renamed_are_checked_under_their_arm_name():
    role = _resource(":RoleDefinition")
    match = validate.find_schema(role.type, role.inputs)
    body, _ = validate.arm_body(match, role.inputs)
    assert body["type"] == "Microsoft.Authorization/roleDefinitions"
    assert body["properties"]["type"] == role.inputs["roleType"] == "CustomRole"
    [issue] = validate.validate_resource(role.urn, role.type, {**role.inputs, "roleType": 5})
    assert (issue.path, issue.message) == ("$.properties.type", "5 is not of type 'string' (input type)")


def test_date_times_are_checked_as_rfc_3339():
    checker = validate.format_checker()
    assert checker.conforms("2026-05-04T11:30:00Z", "date-time")
    assert checker.conforms("2026-05-04T11:30:00.000+02:00", "date-time")
    assert not checker.conforms("2026-05-04 11:30:00", "date-time")
    assert not checker.conforms("2026-05-04T11:30:00", "date-time")  # no offset: ambiguous, refused
