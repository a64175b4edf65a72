"""The pack as a whole: what `policies/__main__.py` serves, per-policy levels and config, the docs table."""

import os
import re
import subprocess
import sys
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
    "policy-definition-no-port-opening": "mandatory",
    "workflow-uses-managed-identity": "mandatory",
    "workflow-request-trigger-secured": "mandatory",
    "vm-management-ports-jit-protected": "mandatory",
    "nsg-rule-ownership": "mandatory",
    "vm-has-nsg": "mandatory",
    "jit-policy-single-writer": "mandatory",
    "jit-policy-vm-in-scope": "mandatory",
    "avnm-admin-rule-no-public-management": "mandatory",
    "firewall-dnat-no-public-management": "mandatory",
    "lb-no-public-management-nat": "mandatory",
    "arm-deployment-guardrails": "mandatory",
    "generic-resource-guardrails": "mandatory",
    "jit-principal-effective-permissions": "mandatory",
    "workflow-request-trigger-refuses-sas": "mandatory",
    "jit-entry-covers-management-ports": "mandatory",
    "subnet-single-owner": "mandatory",
}
STACK_POLICIES = {
    "deny-wildcard-policy-enforced",
    "vm-management-ports-jit-protected",
    "nsg-rule-ownership",
    "vm-has-nsg",
    "jit-policy-single-writer",
    "jit-policy-vm-in-scope",
    "lb-no-public-management-nat",
    "jit-principal-effective-permissions",
    "jit-entry-covers-management-ports",
    "subnet-single-owner",
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


def test_the_pack_type_checks_strictly_with_the_sdk_types(tmp_path):
    # Typed with pulumi-policy's ResourceValidationArgs / StackValidationArgs / ReportViolation: a wrong type in a
    # policy is a wrong verdict, so the pack (rules core included) stays clean under mypy --strict.
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), "-p", "jit_guardrails"],
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(ROOT / "policies")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


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


def github_anchor(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation other than `-` and `_` dropped, spaces to `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_policy_carries_its_fix_severity_and_a_docs_anchor_that_exists(pack):
    docs = (ROOT / "docs" / "policies.md").read_text()
    anchors = {github_anchor(m.group(1)) for m in re.finditer(r"^#{2,4} (.+)$", docs, re.M)}
    for policy in pack.policies:
        assert policy.severity is not None and len(policy.remediation_steps or "") > 40, policy.name
        base, _, anchor = policy.url.partition("#")
        assert base == "https://github.com/azure-jit-access/azure-jit-access/blob/main/docs/policies.md"
        assert anchor == policy.name and anchor in anchors, policy.name


def test_each_policy_has_one_reference_section_that_states_its_metadata(pack):
    docs = (ROOT / "docs" / "policies.md").read_text()
    headings = [github_anchor(m.group(1)) for m in re.finditer(r"^#{2,4} (.+)$", docs, re.M)]
    assert len(headings) == len(set(headings)), "duplicate headings make GitHub number the anchors"
    sections = dict(re.findall(r"^### ([a-z0-9-]+)\n\n(.*?)(?=^##)", docs + "##", re.M | re.S))
    for policy in pack.policies:
        section = sections[policy.name]
        kind = "stack" if isinstance(policy, StackValidationPolicy) else "resource"
        assert section.startswith(policy.description + "\n\n"), policy.name
        level = f"Default level: {DEFAULT_LEVELS[policy.name]}. Severity: {policy.severity.value}. Kind: {kind} policy."
        assert level in section, policy.name
        assert f"How to fix: {policy.remediation_steps}" in section, policy.name


def test_jit_preview_shows_the_fix_and_the_link_from_policy_metadata_not_in_the_message(pack):
    from azure_jit_access.cli.preview.model import PreviewResult, Resource
    from azure_jit_access.cli.preview.packs import evaluate_packs
    from azure_jit_access.cli.preview.render import render_text, to_json_document
    from azure_jit_access.cli.preview.violation_groups import policy_docs

    nsg = Resource(
        urn="urn:pulumi:test::guardrails::azure-native:network:NetworkSecurityGroup::nsg",
        type="azure-native:network:NetworkSecurityGroup",
        name="nsg",
        parent=None,
        inputs={"securityRules": []},
        options={"protect": False, "dependsOn": []},
        outputs={},
    )
    result = PreviewResult(project="guardrails", stack="test", resources=[nsg])
    evaluate_packs([pack], result)
    result.policy_docs = policy_docs([pack])
    found = [v for v in result.violations if v.policy == "nsg-no-inline-rules"]
    # The message says what is wrong; the fix is the policy's remediation_steps, shown beside it once.
    assert len(found) == 1 and "How to fix" not in found[0].message
    fix = "Remove `security_rules` from the NSG and declare each rule as a standalone `network.SecurityRule`"
    url = "https://github.com/azure-jit-access/azure-jit-access/blob/main/docs/policies.md#nsg-no-inline-rules"
    text = render_text(result)
    assert f"        How to fix: {fix}" in text and f"        See: {url}" in text
    entry = next(v for v in to_json_document(result)["violations"] if v["policy"] == "nsg-no-inline-rules")
    assert entry["remediation"].startswith(fix) and entry["url"] == url
