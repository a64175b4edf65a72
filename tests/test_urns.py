"""The URNs of the shipped stacks are state: a refactor must leave them byte-identical.

The golden files were recorded before the namespaced-package refactor (CHANGELOG 0.2.0). A change that alters a
URN makes `pulumi up` replace live resources, so it needs aliases and a CHANGELOG entry, then new golden files.
"""

import json
from pathlib import Path

import pytest

from azure_jit_access.cli.main import main

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("stack", ["dev", "bastion"])
def test_urns_of_the_shipped_stack_are_unchanged(stack, tmp_path):
    out = tmp_path / "preview.json"
    assert (
        main(
            [
                "preview",
                "--stack",
                stack,
                "--policy-pack",
                str(ROOT / "policies"),
                "--format",
                "json",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    urns = [resource["urn"] for resource in json.loads(out.read_text())["resources"]]
    assert urns == (ROOT / "tests" / "golden" / f"urns-{stack}.txt").read_text().splitlines()
