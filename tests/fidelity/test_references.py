"""The vendored references are complete, small and described: what refresh.py extracts is what is there."""

from __future__ import annotations

import importlib.util
import json

import pytest

from azure_jit_access.cli.preview.validate import ARM_SCHEMAS, REFERENCES

_spec = importlib.util.spec_from_file_location("refresh", REFERENCES / "refresh.py")
refresh = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refresh)


def test_every_vendored_schema_is_in_the_manifest_and_every_manifest_file_is_vendored():
    manifest = json.loads((ARM_SCHEMAS / "manifest.json").read_text())
    vendored = {p.relative_to(ARM_SCHEMAS).as_posix() for p in ARM_SCHEMAS.rglob("*.json")}
    extra = {"manifest.json", "common/definitions.json", "2020-10-01/policyDefinition.json"}
    assert vendored - extra == set(manifest["files"])
    assert set(manifest["types"]) == set(refresh.TYPES)


def test_references_stay_small_and_are_all_described():
    total = sum(p.stat().st_size for p in REFERENCES.rglob("*") if p.is_file())
    assert total < 4 * 1024 * 1024
    readme = (REFERENCES / "README.md").read_text()
    for described in (
        "arm-schemas/",
        "policy-aliases.json.gz",
        "logic-apps/functions.json",
        "rest-specs/jitNetworkAccessPolicies.2020-01-01.json",
        "kql/AzureActivity.json",
        "kql/transformation-kql.json",
    ):
        assert f"`{described}" in readme, described


@pytest.mark.parametrize(
    ("definition", "arity"),
    [
        ("utcNow()", {"min": 0, "max": 0}),
        ("addMinutes(timestamp: string, minutes: integer, format?: string)", {"min": 2, "max": 3}),
        ("concat(text_1: string, ...)", {"min": 1, "max": None}),
    ],
)
def test_signature_lines_become_arities(definition, arity):
    assert refresh._arity(definition) == arity


def test_the_readme_types_table_and_pin_are_the_manifest_as_refresh_writes_them():
    manifest = json.loads((ARM_SCHEMAS / "manifest.json").read_text())
    readme = (REFERENCES / "README.md").read_text()
    assert refresh.provenance_note(readme, manifest) == readme
    assert f"commit `{manifest['commit']}` ({manifest['date'][:10]})" in readme
    assert "| `azure-native:resources:DeploymentAtSubscriptionScope` | 2024-03-01 |" in readme


def test_the_provenance_note_is_rewritten_from_the_manifest():
    readme = (REFERENCES / "README.md").read_text()
    manifest = {
        "commit": "f" * 40,
        "date": "2027-01-02T03:04:05+00:00",
        "types": {"azure-native:network:LoadBalancer": {"apiVersion": "2030-01-01", "files": ["2030-01-01/N.json"]}},
    }
    note = refresh.provenance_note(readme, manifest)
    assert f"commit `{'f' * 40}` (2027-01-02)" in note
    assert "| `azure-native:network:LoadBalancer` | 2030-01-01 | `2030-01-01/N.json` |" in note
    assert "azure-native:network:SecurityRule" not in note.split(refresh.TYPES_START)[1].split(refresh.TYPES_END)[0]
    with pytest.raises(SystemExit):
        refresh.provenance_note(readme.replace(refresh.TYPES_END, ""), manifest)
