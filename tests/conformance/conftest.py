"""Run the conformance fixtures through `jit preview` as a user would: a project folder, the CLI, its report."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from azure_jit_access.cli.main import main

HERE = Path(__file__).parent
PROGRAMS = HERE / "programs"
PACKS = HERE / "packs"
SUBSCRIPTION = "00000000-0000-4000-8000-0000000000aa"


@dataclass
class Run:
    """What one `jit preview` run gave: exit status, the parsed report (JSON) or text, and stderr."""

    code: int
    stdout: str
    stderr: str

    @property
    def doc(self) -> dict:
        return json.loads(self.stdout)

    def resource(self, name: str, type_: str | None = None) -> dict:
        found = [r for r in self.doc["resources"] if r["name"] == name and (type_ is None or r["type"] == type_)]
        assert len(found) == 1, f"expected one resource {name!r}, found {len(found)}"
        return found[0]

    def violations(self, policy: str) -> list[dict]:
        return [v for v in self.doc["violations"] if v["policy"] == policy]


@pytest.fixture
def preview(tmp_path, capsys):
    """`preview("program", config={...}, packs=["name"], args=[...])`: run a fixture program (and packs)."""

    def run(program: str, *, config: dict | None = None, packs: list[str] = (), args: list[str] = (), fmt="json"):
        folder = tmp_path / program
        folder.mkdir(exist_ok=True)
        shutil.copy(PROGRAMS / f"{program}.py", folder / "__main__.py")
        (folder / "Pulumi.yaml").write_text("name: conformance\nruntime: python\n")
        stack_config = {"azure-native:subscriptionId": SUBSCRIPTION, **(config or {})}
        (folder / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": stack_config}))
        argv = ["preview", "--program", str(folder), "--stack", "test", "--format", fmt]
        for pack in packs:
            argv += ["--policy-pack", str(PACKS / pack)]
        capsys.readouterr()
        code = main([*argv, *map(str, args)])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run
