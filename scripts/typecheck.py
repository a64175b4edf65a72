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
# The program's own modules (`__main__.py`, the entry point Pulumi runs, is exercised by the preview tests).
PROGRAM_FILES = ["stack_config.py", "stack_schema.py", "stack_settings.py", "approval_config.py"]


def package_dirs() -> dict[str, str]:
    """`[tool.setuptools.package-dir]`: import package -> repository folder."""
    mapping: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    return mapping


def lay_out_tree(mapping: dict[str, str]) -> None:
    """Mirror the package mapping as symlinks: each mapped package becomes a folder of links."""
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


def repository_path(line: str, mapping: dict[str, str]) -> str:
    """Name the repository file in a mypy line about a linked one (`build/typecheck/azure_jit_access/cli/x.py`
    -> `jit_cli/x.py`), so an editor opens the file to fix."""
    for package, folder in sorted(mapping.items(), key=lambda item: -item[0].count(".")):
        linked = TREE.relative_to(ROOT).joinpath(*package.split(".")).as_posix() + "/"
        if line.startswith(linked):
            return f"{folder}/{line[len(linked) :]}"
    return line


def mypy(*args: str, path: Path, mapping: dict[str, str]) -> int:
    env = {**os.environ, "MYPYPATH": str(path)}
    run = subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    for line in run.stdout.splitlines():
        print(repository_path(line, mapping), flush=True)
    return run.returncode


def main() -> int:
    mapping = package_dirs()
    lay_out_tree(mapping)
    failures = 0
    # Three runs, because mypy takes either packages or files in one call, never both; every run always
    # runs, so one report lists every error, and the exit status fails when any of them does.
    failures += mypy("-p", "azure_jit_access", path=TREE, mapping=mapping)
    # The package's own errors belong to the run above: here only the program's modules report theirs.
    failures += mypy("--follow-imports=silent", *PROGRAM_FILES, path=TREE, mapping=mapping)
    # Strict where a wrong type is a wrong security verdict: the rules core and the policy pack.
    failures += mypy("--strict", "-p", "jit_guardrails", path=ROOT / "policies", mapping=mapping)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
