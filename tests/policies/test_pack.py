"""The pack as a whole: what `policies/__main__.py` serves, per-policy levels and config, the docs table."""

import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from azure_jit_access.cli.preview.packs import resolve_config
from jit_guardrails import PACK_NAME, all_policies, policy_names

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LEVELS = {
    "nsg-no-public-management-source": "mandatory",
    "nsg-no-inline-rules": "mandatory",
    "jit-policy-no-wildcard-source": "mandatory",
    "jit-policy-max-duration": "mandatory",
    "jit-policy-allowed-ports": "advisory",
    "defender-servers-plan-2": "mandatory",
    "defender-pricing-retained": "mandatory",
    "jit-requester-role-least-privilege": "mandatory",
    "no-privileged-role-for-automation": "mandatory",
    "deny-wildcard-policy-enforced": "advisory",
    "workflow-uses-managed-identity": "mandatory",
    "workflow-request-trigger-secured": "mandatory",
    "vm-management-ports-jit-protected": "mandatory",
    "nsg-rule-ownership": "mandatory",
    "vm-has-nsg": "mandatory",
    "jit-policy-single-writer": "mandatory",
    "approval-mode-no-human-initiate": "mandatory",
}
STACK_POLICIES = {
    "deny-wildcard-policy-enforced",
    "vm-management-ports-jit-protected",
    "nsg-rule-ownership",
    "vm-has-nsg",
    "jit-policy-single-writer",
    "approval-mode-no-human-initiate",
}


def test_main_serves_every_policy_with_its_default_level(pack):
    assert pack.name == PACK_NAME == "azure-jit-guardrails"
    assert pack.version == "0.1.0"
    assert {p.name: p.enforcement_level.value for p in pack.policies} == DEFAULT_LEVELS
    assert {p.name for p in pack.policies if isinstance(p, StackValidationPolicy)} == STACK_POLICIES


def test_the_pack_is_self_contained():
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == "python" and manifest["version"] == "0.1.0" and manifest["description"]
    requirements = (ROOT / "policies" / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements and re.search(r"^pulumi[>=<]", requirements, re.M)
    for source in (ROOT / "policies").rglob("*.py"):
        text = source.read_text()
        assert not re.search(r"^\s*(from|import) (components|jit_cli|azure_jit_access)\b", text, re.M), source
        assert len(text.splitlines()) < 300, f"{source} is too long to read top to bottom"


def test_every_policy_explains_itself(pack):
    for policy in pack.policies:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
        assert len(policy.description) > 40 and policy.description.endswith(".")


def test_config_defaults_validate_against_each_schema(pack):
    resolved = resolve_config(pack, None)
    for policy in pack.policies:
        if policy.config_schema is not None:
            jsonschema.validate(
                resolved[policy.name][1], {"type": "object", "properties": policy.config_schema.properties}
            )


def test_levels_can_be_overridden_in_code_like_awsguard():
    policies = {
        p.name: p
        for p in all_policies(
            {"all": "advisory", "vm-has-nsg": EnforcementLevel.MANDATORY, "nsg-rule-ownership": "disabled"}
        )
    }
    assert policies["nsg-no-inline-rules"].enforcement_level == EnforcementLevel.ADVISORY
    assert policies["vm-has-nsg"].enforcement_level == EnforcementLevel.MANDATORY
    assert policies["nsg-rule-ownership"].enforcement_level == EnforcementLevel.DISABLED
    # The pack's own policies keep their defaults.
    assert {p.name: p.enforcement_level.value for p in all_policies()} == DEFAULT_LEVELS


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        (
            {"vm-has-nsgs": "advisory"},
            "levels names unknown policies vm-has-nsgs; known: nsg-no-public-management-source",
        ),
        (
            {"vm-has-nsg": "strict"},
            "levels['vm-has-nsg']: 'strict' is not one of advisory, mandatory, remediate, disabled",
        ),
    ],
)
def test_a_typo_in_levels_is_a_clear_error(levels, message):
    with pytest.raises(ValueError) as err:
        all_policies(levels)
    assert str(err.value).startswith(message)


def test_readme_table_lists_every_policy_with_its_level_and_config(pack):
    doc = (ROOT / "README.md").read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `([a-z0-9-]+)`(?: \(stack\))? \| (\w+) \|", doc, re.M)}
    assert rows == DEFAULT_LEVELS
    for policy in pack.policies:
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{policy.name}`"))
        for key in policy.config_schema.properties if policy.config_schema else {}:
            assert f"`{key}`" in row, (policy.name, key)
    assert policy_names() == list(DEFAULT_LEVELS)
