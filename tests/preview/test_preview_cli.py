"""`jit preview` end to end: exit codes, output formats, determinism."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from azure_jit_access.cli.main import main

RAW_PROGRAM = Path(__file__).parent.parent / "fixtures" / "raw_program"


def preview(*args):
    return main(["preview", *map(str, args)])


def test_mandatory_violation_exits_1_and_is_in_the_json(program_dir, pack_dir, tmp_path):
    out = tmp_path / "preview.json"
    assert preview("--program", program_dir, "--policy-pack", pack_dir, "--format", "json", "--output", out) == 1
    doc = json.loads(out.read_text())
    assert set(doc) >= {"project", "stack", "resources", "outputs", "violations", "summary"}
    assert doc["project"] == "third-party" and doc["stack"] == "dev"
    mandatory = [v for v in doc["violations"] if v["enforcement"] == "mandatory"]
    assert [(v["pack"], v["policy"]) for v in mandatory] == [("third-party-pack", "no-inline-rules")]
    assert mandatory[0]["urn"].endswith("NetworkSecurityGroup::open-nsg")
    assert doc["summary"] == {"resources": 3, "mandatory": 1, "advisory": 3}
    nsg = next(r for r in doc["resources"] if r["name"] == "open-nsg")
    assert set(nsg) >= {"urn", "type", "name", "parent", "inputs", "options"}
    assert nsg["options"] == {"protect": False, "retainOnDelete": False, "ignoreChanges": [], "dependsOn": []}
    assert nsg["inputs"]["securityRules"][0]["sourceAddressPrefix"] == "*"


def test_advisory_only_exits_0(program_dir, pack_dir, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"no-inline-rules": "advisory"}))
    assert preview("--program", program_dir, "--policy-pack", pack_dir, "--policy-config", config) == 0


def test_disabled_policies_are_ignored(program_dir, pack_dir, tmp_path, capsys):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"no-inline-rules": "disabled", "always-advice": "disabled"}))
    assert (
        preview("--program", program_dir, "--policy-pack", pack_dir, "--policy-config", config, "--format", "json") == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert [v["policy"] for v in doc["violations"]] == ["stack-size"]


def test_text_output_has_a_tree_grouped_violations_and_a_summary(program_dir, pack_dir, capsys):
    preview("--program", program_dir, "--policy-pack", pack_dir)
    out = capsys.readouterr().out
    assert " +   pulumi:pulumi:Stack" in out
    assert "├─ azure-native:network:NetworkSecurityGroup" in out
    assert out.index("Policy violations (mandatory):") < out.index("Policy violations (advisory):")
    assert out.rstrip().splitlines()[-1] == ("Resources: 3 to create. Policy violations: 1 mandatory, 3 advisory.")


def test_a_program_that_raises_exits_2_naming_file_and_problem(tmp_path, capsys):
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("import pulumi\n\nraise ValueError('vms: expected a list')\n")
    assert preview("--program", tmp_path) == 2
    err = capsys.readouterr().err
    assert "__main__.py:3: ValueError: vms: expected a list" in err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path, capsys):
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\n")
    (tmp_path / "__main__.py").write_text("raise RuntimeError('boom')\n")
    assert preview("--program", tmp_path, "--debug") == 2
    assert "Traceback" in capsys.readouterr().err


def test_broken_pack_and_mismatched_configs_exit_2(program_dir, pack_dir, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert preview("--program", program_dir, "--policy-pack", pack_dir, "--policy-config", bad) == 2
    assert "bad.json: not valid JSON" in capsys.readouterr().err
    good = tmp_path / "good.json"
    good.write_text("{}")
    assert (
        preview("--program", program_dir, "--policy-pack", pack_dir, "--policy-config", good, "--policy-config", good)
        == 2
    )
    assert "give one per --policy-pack" in capsys.readouterr().err


def test_raw_azure_native_program_with_markdown_output(tmp_path):
    out = tmp_path / "preview.md"
    assert preview("--program", RAW_PROGRAM, "--format", "markdown", "--output", out) == 0
    text = out.read_text()
    assert "**8 resources**" in text
    assert "```mermaid\nflowchart LR" in text


def test_json_is_byte_identical_across_two_processes(tmp_path):
    outputs = []
    for attempt in range(2):
        target = tmp_path / f"run{attempt}.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "azure_jit_access.cli.main",
                "preview",
                "--program",
                str(RAW_PROGRAM),
                "--format",
                "json",
                "--output",
                str(target),
            ],
            check=True,
            capture_output=True,
        )
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    doc = json.loads(outputs[0])
    assert doc["outputs"]["adminPassword"] == "[secret]"


def test_progress_shows_on_a_terminal_after_a_second_and_is_cleared(capsys):
    from azure_jit_access.cli.preview.cli import _Progress

    progress = _Progress(enabled=True)
    progress(5)  # within the first second: quiet
    assert capsys.readouterr().err == ""
    progress.start -= 2
    progress(42)
    assert "\rregistered 42 resources ..." in capsys.readouterr().err
    progress.done()
    assert capsys.readouterr().err.startswith("\r ")


def test_no_progress_when_disabled(capsys):
    from azure_jit_access.cli.preview.cli import _Progress

    progress = _Progress(enabled=False)
    progress.start -= 10
    progress(1000)
    progress.done()
    assert capsys.readouterr().err == ""


def test_progress_is_on_only_for_text_on_a_terminal(program_dir, monkeypatch, capsys):
    import azure_jit_access.cli.preview.cli as preview_cli

    seen = []
    real = preview_cli._Progress
    monkeypatch.setattr(preview_cli, "_Progress", lambda enabled: seen.append(enabled) or real(enabled))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    main(["preview", "--program", str(program_dir), "--format", "json"])
    main(["preview", "--program", str(program_dir)])
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    main(["preview", "--program", str(program_dir)])
    assert seen == [False, True, False]


def test_stack_tag_without_a_value_is_a_usage_error(program_dir, capsys):
    assert preview("--program", program_dir, "--stack-tag", "env") == 2
    assert "--stack-tag 'env': expected KEY=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("network=FILE", "name the stack as ORG/PROJECT/STACK"),
        ("acme/net/prod=/nonexistent.json", "cannot be read"),
    ],
)
def test_stack_outputs_errors_name_the_flag(program_dir, capsys, value, message):
    assert preview("--program", program_dir, "--stack-outputs", value) == 2
    err = capsys.readouterr().err
    assert "--stack-outputs" in err and message in err


def test_stack_outputs_file_must_hold_an_object(program_dir, tmp_path, capsys):
    bad = tmp_path / "outputs.json"
    bad.write_text("[1, 2]")
    assert preview("--program", program_dir, "--stack-outputs", f"acme/net/prod={bad}") == 2
    assert "expected a JSON object of outputs" in capsys.readouterr().err
