"""Type-check the installed package layout: `mypy` on `azure_jit_access`, strict on the rules core and the pack.

The repository keeps the design card's folders (`components/`, `jit_cli/`, `policies/jit_guardrails/rules/`)
and setuptools maps them under one import package. mypy cannot follow setuptools' editable-install finder, so
this script lays the same mapping out as a tree of symlinks under `build/typecheck/` (read from pyproject.toml,
so the two can never disagree) and points mypy at it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "typecheck"
# The program's own modules (`__main__.py` is run by Pulumi, not imported: its names are checked through these).
PROGRAM_FILES = ["stack_config.py", "stack_schema.py", "stack_settings.py", "approval_config.py"]


def lay_out_tree() -> None:
    """Mirror `[tool.setuptools.package-dir]` as symlinks: each mapped package becomes a folder of links."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    shutil.rmtree(TREE, ignore_errors=True)
    # Deepest packages last, so a nested mapping replaces whatever its parent folder linked at that name.
    for package, folder in sorted(mapping.items(), key=lambda item: item[0].count(".")):
        target = TREE.joinpath(*package.split("."))
        if target.is_symlink():
            target.unlink()
        target.mkdir(parents=True, exist_ok=True)
        for entry in (ROOT / folder).iterdir():
            if entry.name != "__pycache__":
                (target / entry.name).symlink_to(entry)


def mypy(*args: str, path: Path) -> int:
    env = {**os.environ, "MYPYPATH": str(path)}
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, env=env).returncode


def main() -> int:
    lay_out_tree()
    failures = 0
    # Three runs, because mypy takes either packages or files in one call, never both; every run always
    # runs, so one report lists every error, and the exit status fails when any of them does.
    failures += mypy("-p", "azure_jit_access", path=TREE)
    # The package's own errors belong to the run above: here only the program's modules report theirs.
    failures += mypy("--follow-imports=silent", *PROGRAM_FILES, path=TREE)
    # Strict where a wrong type is a wrong security verdict: the rules core and the policy pack.
    failures += mypy("--strict", "-p", "jit_guardrails", path=ROOT / "policies")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
