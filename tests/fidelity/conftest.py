"""Previews shared by the fidelity gate: every program the project ships, run once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from azure_jit_access.cli.preview.engine import run_project
from azure_jit_access.cli.preview.model import PreviewResult
from azure_jit_access.cli.preview.project_config import load_project

ROOT = Path(__file__).resolve().parents[2]
GOOD_PROGRAMS = ROOT / "tests" / "fixtures" / "good_programs"


def preview_of(program: Path, stack: str = "dev") -> PreviewResult:
    """The offline preview of a program folder and stack."""
    return run_project(load_project(program, stack, []))


@pytest.fixture(scope="session")
def shipped_previews(tmp_path_factory) -> dict[str, PreviewResult]:
    """Every program the project ships: both stacks, the import example, a small fleet of the benchmark's
    program (built exactly as benchmarks/fleet.py builds it), and every good fixture program."""
    from benchmarks.fleet import write_program

    fleet = write_program(tmp_path_factory.mktemp("fleet") / "fleet", vms=3, per_group=2)
    previews = {
        "stack dev": preview_of(ROOT, "dev"),
        "stack bastion": preview_of(ROOT, "bastion"),
        "examples/import-components": preview_of(ROOT / "examples" / "import-components"),
        "benchmarks/fleet.py (3 VMs)": preview_of(fleet, "bench"),
    }
    for folder in sorted(p for p in GOOD_PROGRAMS.iterdir() if (p / "Pulumi.yaml").is_file()):
        previews[f"good_programs/{folder.name}"] = preview_of(folder)
    return previews
