"""`jit preview --all-stacks`: every stack of a project as one estate, platform first, conflicts found."""

import json
import textwrap
from pathlib import Path

from azure_jit_access.cli.main import main
from azure_jit_access.cli.preview.estate import (
    EstateResult,
    StackRun,
    discover_stacks,
    estate_conflicts,
    render_estate_markdown,
)

ROOT = Path(__file__).resolve().parents[2]


def _report(*resources):
    return {"resources": list(resources), "summary": {"resources": len(resources), "mandatory": 0, "advisory": 0}}


def _res(name, id_, type_="azure-native:resources:ResourceGroup", **inputs):
    return {"name": name, "type": type_, "id": id_, "inputs": inputs}


def test_two_stacks_claiming_one_azure_id_are_a_conflict_whatever_the_case():
    runs = [
        StackRun("a", "workload", 0, _report(_res("rg", "/subscriptions/s/resourceGroups/shared"))),
        StackRun("b", "workload", 0, _report(_res("group", "/subscriptions/S/resourceGroups/SHARED"))),
        StackRun("c", "workload", 0, _report(_res("rg", "/subscriptions/s/resourceGroups/other"))),
    ]
    (conflict,) = estate_conflicts(runs)
    assert "claimed by 2 resources: a:rg, b:group" in conflict
    result = EstateResult("p", runs, [conflict])
    assert result.exit_status == 1


def test_unknown_ids_providers_and_stack_references_are_not_azure_resources():
    same = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/[unknown]"
    provider = {"name": "p", "type": "pulumi:providers:azure-native", "id": "x", "inputs": {}}
    runs = [
        StackRun("a", "workload", 0, _report(_res("r", same), provider)),
        StackRun("b", "workload", 0, _report(_res("r", same), provider)),
    ]
    assert estate_conflicts(runs) == []


def test_a_vm_in_two_jit_policies_of_the_estate_is_a_conflict():
    vm = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
    jit = "azure-native:security:JitNetworkAccessPolicy"

    def policy(name):
        path = f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Security/locations/westeurope/{name}"
        return _res(name, path, jit, virtualMachines=[{"id": vm, "ports": []}])

    runs = [
        StackRun("a", "workload", 0, _report(policy("jit-a"))),
        StackRun("b", "workload", 0, _report(policy("jit-b"))),
    ]
    (conflict,) = estate_conflicts(runs)
    assert conflict.startswith(f"VM {vm.lower()} is listed by 2 JIT policies: a:") and "list it in one" in conflict


def test_the_exit_status_is_the_worst_stack():
    runs = [
        StackRun("a", "platform", 0, _report()),
        StackRun("b", "workload", 2, None),
        StackRun("c", "x", 1, _report()),
    ]
    assert EstateResult("p", runs).exit_status == 2
    markdown = render_estate_markdown(EstateResult("p", runs))
    assert "| b | workload | - | - | - | broken (2) |" in markdown
    assert "The preview failed (exit status 2): run `jit preview --stack b`" in markdown


def test_the_shipped_stacks_are_discovered_platform_first():
    project, stacks = discover_stacks(ROOT)
    assert project == "azure-jit-access"
    assert stacks == [
        ("platform", "platform"),
        ("bastion", "all-in-one"),
        ("dev", "all-in-one"),
        ("workload-a", "workload"),
        ("workload-b", "workload"),
    ]


def test_the_shipped_estate_previews_clean_in_one_command(tmp_path):
    out = tmp_path / "estate.md"
    assert (
        main(
            [
                "preview",
                "--all-stacks",
                "--validate",
                "--policy-pack",
                str(ROOT / "policies"),
                "--program",
                str(ROOT),
                "--format",
                "markdown",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    text = out.read_text()
    assert "**5 stacks**, exit status **0**" in text
    assert "| platform | platform | 40 | 0 | 0 | pass (0) |" in text
    assert "| workload-a | workload | 8 | 0 | 0 | pass (0) |" in text
    assert "None: no two resources of the estate share an Azure id." in text


PROGRAM = """
import pulumi
from pulumi_azure_native import resources

role = pulumi.Config().get("role") or "all-in-one"
if pulumi.Config().get("broken"):
    raise ValueError("broken on purpose")
if role == "workload":
    ref = pulumi.StackReference("organization/probe/platform")

    def check(value):
        if value != "from-platform":
            raise ValueError(f"stack reference not wired: {value!r}")
        return value

    ref.get_output("marker").apply(check)
if role == "platform":
    pulumi.export("marker", "from-platform")
resources.ResourceGroup("rg", resource_group_name=pulumi.Config().get("group") or "shared", location="westeurope")
"""


def _project(folder, stacks):
    (folder / "Pulumi.yaml").write_text("name: probe\nruntime: python\n")
    (folder / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    for name, config in stacks.items():
        lines = "".join(f"  probe:{k}: {v}\n" for k, v in config.items())
        (folder / f"Pulumi.{name}.yaml").write_text("config:\n" + lines)


def test_workloads_read_the_platforms_outputs_and_a_shared_group_fails_the_estate(tmp_path, capsys):
    _project(
        tmp_path,
        {"platform": {"role": "platform", "group": "core"}, "w1": {"role": "workload"}, "w2": {"role": "workload"}},
    )
    status = main(["preview", "--all-stacks", "--program", str(tmp_path), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    # Exit 1, not 2: both workloads ran (their stack reference answered), then the estate check failed.
    assert status == 1 and report["exitStatus"] == 1
    assert [(s["stack"], s["exitStatus"]) for s in report["stacks"]] == [("platform", 0), ("w1", 0), ("w2", 0)]
    (conflict,) = report["conflicts"]
    assert "resourcegroups/shared is claimed by 2 resources: w1:rg, w2:rg" in conflict


def test_a_broken_stack_makes_the_estate_exit_2(tmp_path, capsys):
    _project(tmp_path, {"w1": {"role": "workload", "broken": "yes"}, "w2": {"role": "workload", "group": "g2"}})
    assert main(["preview", "--all-stacks", "--program", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "w1               workload       -" in out and "broken (2)" in out and "pass (0)" in out


def test_all_stacks_refuses_a_single_stack_flag(capsys):
    assert main(["preview", "--all-stacks", "--stack", "platform"]) == 2
    assert "--all-stacks previews every stack of the project: drop --stack" in capsys.readouterr().err


def test_a_stack_file_that_is_not_yaml_is_a_clear_error(tmp_path, capsys):
    _project(tmp_path, {"w1": {"role": "workload"}})
    (tmp_path / "Pulumi.broken.yaml").write_text("config: [unclosed\n")
    assert main(["preview", "--all-stacks", "--program", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --all-stacks: cannot read the project's stack files: ") and "Traceback" not in err


def test_all_stacks_refuses_sarif(capsys):
    assert main(["preview", "--all-stacks", "--format", "sarif"]) == 2
    assert "--all-stacks writes text, json or markdown, not sarif" in capsys.readouterr().err
