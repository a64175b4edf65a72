"""The estate's deploy workflow rolls out the platform stack before every workload stack, each gated offline."""

from pathlib import Path

import yaml

from azure_jit_access.cli.preview.estate import discover_stacks

ROOT = Path(__file__).parent.parent
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy-estate.yml").read_text())
JOBS = WORKFLOW["jobs"]


def _runs(job):
    return [step.get("run", "") for step in job["steps"]]


def _index(job, predicate):
    return next(i for i, step in enumerate(job["steps"]) if predicate(step))


def test_platform_deploys_after_the_estate_preview_and_workloads_after_the_platform():
    assert JOBS["platform"]["needs"] == "estate-preview"
    assert JOBS["workloads"]["needs"] == "platform"
    assert "needs" not in JOBS["estate-preview"]


def test_the_matrix_is_every_shipped_workload_stack_with_bounded_parallelism():
    _, stacks = discover_stacks(ROOT)
    strategy = JOBS["workloads"]["strategy"]
    assert strategy["matrix"]["stack"] == [name for name, role in stacks if role == "workload"]
    assert 1 <= strategy["max-parallel"] <= 2 and strategy["fail-fast"] is False


def test_every_deploy_is_gated_by_its_offline_preview_with_the_pack_before_pulumi_up():
    for name in ("platform", "workloads"):
        job = JOBS[name]
        gate = _index(job, lambda s: "bin/jit preview" in s.get("run", ""))
        up = _index(job, lambda s: s.get("uses", "").startswith("pulumi/actions@"))
        assert gate < up, name
        assert job["steps"][up]["with"]["command"] == "up" and job["steps"][up]["with"]["policyPacks"] == "policies"
        gate_run = job["steps"][gate]["run"]
        assert "--policy-pack policies" in gate_run and "--timeout 600" in gate_run and "|| true" not in gate_run
    assert JOBS["platform"]["steps"][-1]["with"]["stack-name"] == "platform"
    assert JOBS["workloads"]["steps"][-1]["with"]["stack-name"] == "${{ matrix.stack }}"
    # A workload's gate reads the platform's outputs, as its StackReference will in Azure.
    assert "--stack-outputs organization/azure-jit-access/platform=platform.json" in "\n".join(_runs(JOBS["workloads"]))


def test_the_estate_preview_fails_the_run_on_any_stack_or_conflict():
    (preview,) = [r for r in _runs(JOBS["estate-preview"]) if "--all-stacks" in r]
    assert "--policy-pack policies" in preview and "exit $status" in preview
    assert all("vars.AZURE_CLIENT_ID != ''" in JOBS[name]["if"] for name in ("platform", "workloads"))
