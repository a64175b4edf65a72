"""The GitHub workflows are valid against GitHub's schema and do what the README promises."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).parent.parent / ".github" / "workflows"


def check_schema(*paths):
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True,
        text=True,
    )


def load(name):
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_every_workflow_validates_against_the_github_schema():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["deploy-estate.yml", "main.yml", "preview-comment.yml", "pull-request.yml"]
    result = check_schema(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps: not-a-list\n")
    assert check_schema(broken).returncode != 0


def test_offline_job_needs_no_secrets_compares_and_fails_on_mandatory_violations():
    job = load("pull-request.yml")["jobs"]["offline-preview"]
    text = yaml.safe_dump(job)
    assert "secrets." not in text
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "--format json --output base.json" in runs
    assert "--compare base.json" in runs and "--format markdown" in runs
    sticky = next(s for s in job["steps"] if s.get("uses", "").startswith("marocchino/sticky-pull-request-comment"))
    assert sticky["with"]["header"] == "jit-preview"
    assert job["steps"][-1]["if"] == "steps.preview.outputs.status != '0'"


@pytest.mark.parametrize(
    ("name", "job", "command"), [("pull-request.yml", "cloud-preview", "preview"), ("main.yml", "deploy", "up")]
)
def test_cloud_jobs_use_pulumi_actions_with_the_policy_pack_only_when_configured(name, job, command):
    spec = load(name)["jobs"][job]
    assert "vars.AZURE_CLIENT_ID != ''" in spec["if"]
    step = next(s for s in spec["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert step["with"]["command"] == command
    assert step["with"]["policyPacks"] == "policies"
    if command == "preview":
        assert step["with"]["comment-on-pr"] is True


def test_fork_comments_never_check_out_fork_code():
    steps = load("preview-comment.yml")["jobs"]["comment"]["steps"]
    assert not any(s.get("uses", "").startswith("actions/checkout") for s in steps)


def test_pull_requests_upload_the_policy_violations_as_sarif():
    job = load("pull-request.yml")["jobs"]["offline-preview"]
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "--format sarif --output jit-preview.sarif" in runs
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "jit-preview.sarif"
    assert job["permissions"]["security-events"] == "write"


def test_every_job_and_preview_is_bounded_in_time():
    # A looping program or policy must fail the job, not hold the runner for GitHub's 6-hour default.
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in load(path.name)["jobs"].items():
            assert 0 < job["timeout-minutes"] <= 60, (path.name, name)
    runs = [s.get("run", "") for s in load("pull-request.yml")["jobs"]["offline-preview"]["steps"]]
    previews = [r for r in runs if "bin/jit preview" in r]
    assert previews and all("--timeout 600" in r for r in previews)
