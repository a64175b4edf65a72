"""requirements.lock pins every dependency that make, CI and the deploy jobs install (issue 13: pinned toolchain)."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_every_declared_dependency_is_pinned_to_one_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    for line in (ROOT / "policies" / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            declared.add(_name(line))
    pinned = dict(
        re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", line).groups()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if re.match(r"^[A-Za-z0-9_.-]+==", line)
    )
    pinned = {name.lower().replace("_", "-"): version for name, version in pinned.items()}
    assert sorted(declared - set(pinned)) == []


def test_make_and_the_deploy_jobs_install_under_the_lock():
    assert "-c requirements.lock" in (ROOT / "Makefile").read_text()
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        for line in workflow.read_text().splitlines():
            if "pip install" in line and "requirements.txt" in line:
                assert "-c requirements.lock" in line, (workflow.name, line)
