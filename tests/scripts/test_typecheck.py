"""scripts/typecheck.py: mypy's lines about the linked package tree name the repository files."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("typecheck", ROOT / "scripts" / "typecheck.py")
assert _spec is not None and _spec.loader is not None
typecheck = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(typecheck)


def test_linked_paths_are_reported_as_the_repository_files_the_package_dir_maps():
    mapping = typecheck.package_dirs()
    error = ": error: Incompatible types in assignment  [assignment]"
    cases = {
        "build/typecheck/azure_jit_access/vm.py:3": "components/vm.py:3",
        "build/typecheck/azure_jit_access/approval/component.py:3": "components/approval/component.py:3",
        "build/typecheck/azure_jit_access/cli/preview/packs.py:3": "jit_cli/preview/packs.py:3",
        "build/typecheck/azure_jit_access/rules/durations.py:3": "policies/jit_guardrails/rules/durations.py:3",
        "stack_config.py:3": "stack_config.py:3",
    }
    for linked, repository in cases.items():
        assert typecheck.repository_path(linked + error, mapping) == repository + error
        assert (ROOT / repository.split(":")[0]).is_file()
    assert typecheck.repository_path("Found 6 errors in 1 file", mapping) == "Found 6 errors in 1 file"
