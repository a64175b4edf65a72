"""Evaluating any Python CrossGuard pack the way `pulumi preview --policy-pack` does."""

import json

import pytest

from azure_jit_access.cli.preview.engine import run_program
from azure_jit_access.cli.preview.packs import PackError, evaluate_packs, load_pack, resolve_config


def verdicts(violations):
    return sorted((v.policy, v.enforcement, v.urn.rsplit("::", 1)[-1] if v.urn else None) for v in violations)


def test_pack_is_loaded_without_starting_its_server(pack_dir):
    pack = load_pack(pack_dir)
    assert pack.name == "third-party-pack"
    assert pack.version == "2.0.0"
    assert [p.name for p in pack.policies] == ["no-inline-rules", "always-advice", "stack-size"]


def test_resource_and_stack_policies_with_their_enforcement_levels(program_dir, pack_dir):
    result = run_program(program_dir, "dev")
    violations = evaluate_packs([load_pack(pack_dir)], result.resources, None, result.wire_inputs)
    assert verdicts(violations) == [
        ("always-advice", "advisory", "closed-nsg"),
        ("always-advice", "advisory", "open-nsg"),
        ("no-inline-rules", "mandatory", "open-nsg"),
        ("stack-size", "advisory", None),
    ]
    inline = next(v for v in violations if v.policy == "no-inline-rules")
    assert inline.message == (
        "NSGs must not have inline rules.\ndeclares securityRules inline: use standalone SecurityRule resources"
    )
    stack = next(v for v in violations if v.policy == "stack-size")
    assert stack.message.endswith("3 resources, more than 2")  # the stack policy saw the stack and both NSGs


def test_config_changes_levels_disables_policies_and_sets_properties(program_dir, pack_dir):
    result = run_program(program_dir, "dev")
    config = {"all": "advisory", "always-advice": "disabled", "stack-size": {"maxResources": 10}}
    violations = evaluate_packs([load_pack(pack_dir)], result.resources, config, result.wire_inputs)
    assert verdicts(violations) == [("no-inline-rules", "advisory", "open-nsg")]


def test_remediate_level_is_reported_as_mandatory(program_dir, pack_dir):
    result = run_program(program_dir, "dev")
    violations = evaluate_packs(
        [load_pack(pack_dir)],
        result.resources,
        {"no-inline-rules": "remediate", "always-advice": "disabled"},
        result.wire_inputs,
    )
    assert ("no-inline-rules", "mandatory", "open-nsg") in verdicts(violations)


def test_resolve_config_applies_schema_defaults_and_validates(pack_dir):
    pack = load_pack(pack_dir)
    assert resolve_config(pack, None)["stack-size"] == ("advisory", {"maxResources": 2})
    assert resolve_config(pack, None)["no-inline-rules"] == ("mandatory", {})
    with pytest.raises(PackError, match="config of policy 'stack-size' at maxResources: -1 is less than"):
        resolve_config(pack, {"stack-size": {"maxResources": -1}})
    with pytest.raises(PackError, match="not-a-policy, not in pack 'third-party-pack'"):
        resolve_config(pack, {"not-a-policy": "mandatory"})
    with pytest.raises(PackError, match="enforcement level 'strict' is not one of"):
        resolve_config(pack, {"all": "strict"})


def test_a_misspelt_policy_property_is_refused_with_the_closest_name(pack_dir):
    pack = load_pack(pack_dir)
    with pytest.raises(
        PackError, match="'stack-size' sets unknown property 'maxResource'; did you mean 'maxResources'"
    ):
        resolve_config(pack, {"stack-size": {"maxResource": 10}})
    with pytest.raises(PackError, match="'stack-size' sets unknown property 'limit'; its properties are maxResources"):
        resolve_config(pack, {"stack-size": {"limit": 10}})
    with pytest.raises(PackError, match="'no-inline-rules' sets 'strict', but the policy takes no properties"):
        resolve_config(pack, {"no-inline-rules": {"enforcementLevel": "mandatory", "strict": True}})


def test_a_folder_without_a_pack_is_an_error(tmp_path):
    with pytest.raises(PackError, match="no __main__.py"):
        load_pack(tmp_path)
    (tmp_path / "__main__.py").write_text("x = 1\n")
    with pytest.raises(PackError, match="without building a PolicyPack"):
        load_pack(tmp_path)


def test_wire_inputs_keep_secrets_marked_for_the_analyzer(tmp_path, pack_dir):
    (tmp_path / "Pulumi.yaml").write_text("name: s\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\nfrom pulumi_azure_native import network\n"
        "network.NetworkSecurityGroup('n', resource_group_name=pulumi.Output.secret('rg'))\n"
    )
    result = run_program(tmp_path, "dev")
    nsg = result.one("azure-native:network:NetworkSecurityGroup")
    assert json.dumps(result.wire_inputs[nsg.urn]).count("1b47061264138c4ac30d75fd1eb44270") == 1
    # The policy still sees the plain value, as CrossGuard unwraps secrets for validation.
    assert evaluate_packs([load_pack(pack_dir)], result.resources, {"all": "disabled"}, result.wire_inputs) == []
