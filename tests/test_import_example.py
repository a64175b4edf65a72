"""The importing example: a separate project that installs this one as a package and previews cleanly."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from azure_jit_access.cli.main import main

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "import-components"


def test_the_example_previews_cleanly_with_its_own_naming(tmp_path):
    out = tmp_path / "preview.json"
    assert (
        main(
            [
                "preview",
                "--program",
                str(EXAMPLE),
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
    doc = json.loads(out.read_text())
    assert doc["project"] == "import-components"
    vms = [r for r in doc["resources"] if r["type"] == "azure-native:compute:VirtualMachine"]
    assert [r["inputs"]["vmName"] for r in vms] == ["vm-payments-dev-01", "vm-payments-dev-02"]
    assert doc["summary"]["mandatory"] == 0 and doc["summary"]["advisory"] == 0
    policy = next(r for r in doc["resources"] if r["type"] == "azure-native:security:JitNetworkAccessPolicy")
    ports = [vm["ports"][0] for vm in policy["inputs"]["virtualMachines"]]
    assert {(p["allowedSourceAddressPrefix"], p["maxRequestAccessDuration"]) for p in ports} == {
        ("198.51.100.0/29", "PT1H")
    }


def test_the_example_installs_this_repository_as_a_package(tmp_path):
    assert "../.." in (EXAMPLE / "requirements.txt").read_text().split()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("azure_jit_access-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    # Only the namespaced package: a team project's own `components/` or `jit_cli/` is never shadowed.
    assert top_level == {"azure_jit_access"}
    assert {
        "azure_jit_access/vm.py",
        "azure_jit_access/py.typed",
        "azure_jit_access/cli/main.py",
        "azure_jit_access/rules/__init__.py",
    } <= set(names)


def test_a_team_project_with_its_own_components_folder_previews_in_a_fresh_interpreter(tmp_path):
    # A fresh process, so nothing of ours is already imported: the team's `components` must win its own name.
    assert (EXAMPLE / "components" / "__init__.py").is_file()
    out = tmp_path / "preview.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "azure_jit_access.cli.main",
            "preview",
            "--program",
            str(EXAMPLE),
            "--policy-pack",
            str(ROOT / "policies"),
            "--format",
            "json",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    names = [r["inputs"].get("vmName") for r in json.loads(out.read_text())["resources"]]
    assert "vm-payments-dev-01" in names
