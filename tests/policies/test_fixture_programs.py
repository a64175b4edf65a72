"""End to end: `jit preview` of small raw azure-native programs with the pack, as a team would run it.

Each bad program makes one mistake and must fail (exit 1) naming exactly the policies in its EXPECTED
file; each good program must pass (exit 0) without any violation, advisory ones included. A program folder
may hold a `policy-config.json` (the `--policy-pack-config` a team would pass), e.g. to make an advisory
policy mandatory.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from azure_jit_access.cli.main import main
from jit_guardrails import all_policies

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PACK = Path(__file__).resolve().parents[2] / "policies"
BAD = sorted(p for p in (FIXTURES / "bad_programs").iterdir() if p.is_dir())
GOOD = sorted(p for p in (FIXTURES / "good_programs").iterdir() if p.is_dir())
POLICIES = {policy.name: policy for policy in all_policies()}


def preview(program: Path, tmp_path: Path) -> tuple[int, dict]:
    out = tmp_path / "preview.json"
    config = program / "policy-config.json"
    extra = ["--policy-config", str(config)] if config.is_file() else []
    status = main(
        ["preview", "--program", str(program), "--policy-pack", str(PACK), "--format", "json", "--output", str(out)]
        + extra
    )
    return status, json.loads(out.read_text()) if out.exists() else {}


def test_there_are_enough_fixture_programs():
    assert len(BAD) >= 15 and len(GOOD) >= 5
    assert all((p / "EXPECTED").is_file() and (p / "Pulumi.yaml").is_file() for p in BAD)


@pytest.mark.parametrize("program", BAD, ids=[p.name for p in BAD])
def test_bad_program_fails_naming_the_right_policy(program, tmp_path):
    expected = set((program / "EXPECTED").read_text().split())
    status, report = preview(program, tmp_path)
    mandatory = {v["policy"] for v in report["violations"] if v["enforcement"] == "mandatory"}
    assert (status, mandatory) == (1, expected)
    assert all(v["pack"] == "azure-jit-guardrails" for v in report["violations"])
    # The fix and the docs link are the policy's metadata, shown beside the message, never glued into it.
    for violation in report["violations"]:
        policy = POLICIES[violation["policy"]]
        assert (violation["remediation"], violation["url"]) == (policy.remediation_steps, policy.url)
        assert policy.remediation_steps[:40] not in violation["message"], violation["policy"]
        assert "How to fix" not in violation["message"] and "docs/policies.md" not in violation["message"]


def test_a_policy_that_opens_ssh_is_never_advised_to_be_enforced(tmp_path):
    status, report = preview(FIXTURES / "bad_programs" / "dine_opens_ssh", tmp_path)
    found = [(v["policy"], v["enforcement"], v["message"]) for v in report["violations"]]
    assert status == 1 and [(p, level) for p, level, _ in found] == [("policy-definition-no-port-opening", "mandatory")]
    assert (
        "Policy definition 'Keep the support team's SSH rule on every NSG' (deployifnotexists) its deployment "
        "template.resources[0] (security rule '[concat(parameters('nsgName'), '/allow-ssh-support')]') allows "
        "inbound traffic from '*' to management port(s) 22." in found[0][2]
    )


def test_jit_entries_elsewhere_say_where_the_vm_is(tmp_path):
    _, other_sub = preview(FIXTURES / "bad_programs" / "jit_vm_other_subscription", tmp_path)
    _, other_region = preview(FIXTURES / "bad_programs" / "jit_vm_other_region", tmp_path)
    assert (
        "JIT policy 'jit' virtualMachines[0].id: the id names subscription '11111111-2222-4333-8444-555555555555', "
        "but this stack's VM 'web-1' is in subscription 00000000-0000-4000-8000-000000000001."
        in other_sub["violations"][0]["message"]
    )
    assert (
        "JIT policy 'jit' virtualMachines[0].id: the VM is in region eastus, the policy at 'westeurope'."
        in other_region["violations"][0]["message"]
    )


@pytest.mark.parametrize("program", GOOD, ids=[p.name for p in GOOD])
def test_good_program_passes(program, tmp_path):
    status, report = preview(program, tmp_path)
    assert (status, report["violations"]) == (0, [])
    assert report["summary"]["resources"] > 1


@pytest.mark.parametrize("stack", ["dev", "bastion"])
def test_this_projects_stacks_have_no_mandatory_violation(stack, tmp_path):
    # A separate process: the project's own folder holds .venv, and the engine forgets modules loaded from the
    # program folder after a run, so a second project run in one process would re-import provider packages.
    root = PACK.parent
    out = tmp_path / "preview.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "azure_jit_access.cli.main",
            "preview",
            "--program",
            str(root),
            "--stack",
            stack,
            "--policy-pack",
            str(PACK),
            "--format",
            "json",
            "--output",
            str(out),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(out.read_text())
    assert (done.returncode, [v for v in report["violations"] if v["enforcement"] == "mandatory"]) == (0, [])
    assert {"azure-native:compute:VirtualMachine", "azure-native:security:JitNetworkAccessPolicy"} <= {
        r["type"] for r in report["resources"]
    }
