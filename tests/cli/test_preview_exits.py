"""`jit preview` exit statuses that cannot lie, for bad input, early exits and hangs.

Exit 2 (with one line naming the flag, file, program or policy) whenever the preview could not check
everything: a program or pack that calls `sys.exit` (even `sys.exit(0)`, which used to pass a PR gate
with no policy run), a hang past `--timeout`/`--policy-timeout`, an unreadable input, an unwritable output.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from azure_jit_access.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
RESOURCE = "from pulumi_random import RandomPet\nRandomPet('pet', length=2)\n"
PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy
import sys, time

def resource_check(args, report):
{resource}

def stack_check(args, report):
{stack}

PolicyPack("probe", [
    ResourceValidationPolicy(name="probe-resource", description="probe", validate=resource_check),
    StackValidationPolicy(name="probe-stack", description="probe", validate=stack_check),
], EnforcementLevel.MANDATORY)
"""


def _project(folder: Path, program: str = RESOURCE, stack: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text("name: probe\nruntime: python\n", encoding="utf-8")
    (folder / "__main__.py").write_text(program, encoding="utf-8")
    if stack is not None:
        (folder / "Pulumi.dev.yaml").write_text(stack, encoding="utf-8")
    return folder


def _pack(folder: Path, resource: str = "pass", stack: str = "pass", main_extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = PACK.format(resource=textwrap.indent(resource, "    "), stack=textwrap.indent(stack, "    "))
    (folder / "__main__.py").write_text(main_extra + body, encoding="utf-8")
    return folder


def jit(*argv: str) -> tuple[int, str, str]:
    """Run `jit` in-process; argparse's own errors (SystemExit 2) count as the exit status they set."""
    out, err = io.StringIO(), io.StringIO()
    if argv[:1] == ("preview",) and "--help" not in argv:
        # Bounded by the tool itself (a later --timeout in argv, as some cases give, wins).
        argv = ("preview", "--timeout", "60", *argv[1:])
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = exc.code
    return status, out.getvalue(), err.getvalue()


def _assert_exit_2(status: int, out: str, err: str, *names: str) -> None:
    assert status == 2, (out, err)
    assert "Traceback" not in out + err
    assert out == ""
    for name in names:
        assert name in err, err


# --- early exits: SystemExit anywhere is exit 2, never the code it carries -------------------------------


@pytest.mark.parametrize(
    "program, shown",
    [
        ("import sys\nsys.exit(0)\n", "sys.exit(0)"),
        ("import sys\nsys.exit()\n", "sys.exit(None)"),
        (RESOURCE + "import sys\nsys.exit(1)\n", "sys.exit(1)"),
        ("raise SystemExit('bye')\n", "sys.exit('bye')"),
        (RESOURCE + "import os\nos._exit(0)\n", "os._exit(0)"),
    ],
)
def test_a_program_that_exits_is_exit_2(tmp_path, program, shown):
    status, out, err = jit("preview", "--program", str(_project(tmp_path / "p", program)))
    _assert_exit_2(status, out, err, "exited early", shown, "__main__.py", "nothing was checked")


def test_a_pack_that_exits_while_loading_is_exit_2(tmp_path):
    pack = _pack(tmp_path / "pack", main_extra="import sys\nsys.exit(0)\n")
    status, out, err = jit("preview", "--program", str(_project(tmp_path / "p")), "--policy-pack", str(pack))
    _assert_exit_2(status, out, err, "policy pack's __main__.py exited early", "sys.exit(0)")


@pytest.mark.parametrize(
    "where, call", [("resource", "sys.exit(0)"), ("stack", "sys.exit(0)"), ("resource", "__import__('os')._exit(0)")]
)
def test_a_policy_that_exits_is_exit_2(tmp_path, where, call):
    pack = _pack(tmp_path / "pack", **{where: call})
    status, out, err = jit("preview", "--program", str(_project(tmp_path / "p")), "--policy-pack", str(pack))
    _assert_exit_2(status, out, err, "a policy exited early", call.replace("__import__('os')", "os"))


def test_the_same_project_passes_with_a_well_behaved_pack(tmp_path):
    pack = _pack(tmp_path / "pack")
    status, out, err = jit("preview", "--program", str(_project(tmp_path / "p")), "--policy-pack", str(pack))
    assert status == 0, err
    assert "random:index/randomPet:RandomPet" in out


# --- hangs: run in a child process, so a failure of the limit can never hang the test run -----------------


def _jit_process(*argv: str, limit: float = 60) -> subprocess.CompletedProcess:
    code = "import sys; from azure_jit_access.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=limit, check=False
    )


def test_a_program_that_loops_forever_stops_at_timeout(tmp_path):
    project = _project(tmp_path / "p", "while True:\n    pass\n")
    done = _jit_process("preview", "--program", str(project), "--timeout", "1")
    _assert_exit_2(done.returncode, done.stdout, done.stderr, "--timeout 1s", "while running the program")


@pytest.mark.parametrize(
    "where, subject", [("resource", "on resource urn:pulumi:dev::probe::"), ("stack", "on the stack")]
)
def test_a_policy_that_hangs_is_named(tmp_path, where, subject):
    pack = _pack(tmp_path / "pack", **{where: "while True:\n    time.sleep(0.01)"})
    project = _project(tmp_path / "p")
    done = _jit_process("preview", "--program", str(project), "--policy-pack", str(pack), "--policy-timeout", "0.5")
    _assert_exit_2(
        done.returncode, done.stdout, done.stderr, f"policy 'probe-{where}' of pack 'probe'", "0.5s", subject
    )


# --- bad flags and inputs: one line naming the flag or file --------------------------------------------------


def _bad_json(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "base.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


BAD_INPUTS = [
    (["--timeout", "0"], ["--timeout", "more than 0"]),
    (["--timeout", "soon"], ["--timeout", "'soon' is not a number"]),
    (["--timeout", "-5"], ["--timeout"]),
    (["--timeout", "inf"], ["--timeout", "at most 86400"]),
    (["--timeout", "nan"], ["--timeout"]),
    (["--policy-timeout", "0"], ["--policy-timeout"]),
    (["--format", "yaml"], ["--format", "invalid choice"]),
    (["--output", "/nonexistent-dir/report.json"], ["--output /nonexistent-dir/report.json", "cannot be written"]),
    (["--output", "{tmp}"], ["--output", "cannot be written"]),
    (["--compare", "{tmp}/missing.json"], ["missing.json", "cannot be read"]),
    (["--compare", "{bad:not json}"], ["base.json", "not valid JSON"]),
    (["--compare", "{bad:\xff\xfe}"], ["base.json", "not valid JSON"]),
    (["--compare", "{badbytes}"], ["base.json", "not UTF-8"]),
    (["--compare", '{bad:{"resources": {}}}'], ["base.json", "no `resources` list"]),
    (["--compare", '{bad:{"resources": [1]}}'], ["base.json", "resources[0] has no `urn`"]),
    (["--compare", '{bad:{"resources": [{"urn": "u", "inputs": []}]}}'], ["resources[0].inputs is not an object"]),
    (["--program", "{tmp}/nowhere"], ["nowhere", "no Pulumi.yaml"]),
    (["--policy-config", "{tmp}/missing.json"], ["missing.json", "cannot be read"]),
    (["--policy-config", "{bad:[1, 2]}"], ["base.json", "expected a JSON object"]),
    (["--policy-config", "{bad:{oops}"], ["base.json", "not valid JSON"]),
    (["--policy-pack", "{tmp}"], ["no __main__.py", "--policy-pack"]),
    (["--config", "novalue"], ["--config 'novalue'", "KEY=VALUE"]),
    (["--config", "=x"], ["--config '=x'", "KEY=VALUE"]),
]


@pytest.mark.parametrize("flags, names", BAD_INPUTS, ids=[" ".join(f)[:40] for f, _ in BAD_INPUTS])
def test_bad_flag_is_exit_2_naming_it(tmp_path, flags, names):
    project = _project(tmp_path / "p")
    resolved = []
    for flag in flags:
        if flag.startswith("{bad:"):
            flag = _bad_json(tmp_path, flag[5:-1])
        elif flag == "{badbytes}":
            flag = _bad_json(tmp_path, b'{"resources": "\xff"}')
        resolved.append(flag.replace("{tmp}", str(tmp_path)))
    status, out, err = jit("preview", "--program", str(project), *resolved)
    _assert_exit_2(status, out, err, *names)
    # One error line (argparse puts its usage lines before it).
    assert [line for line in err.splitlines() if "error:" in line] == [err.strip().splitlines()[-1]]


def test_a_stack_file_that_is_not_utf8_is_exit_2(tmp_path):
    project = _project(tmp_path / "p")
    (project / "Pulumi.dev.yaml").write_bytes(b"config:\n  probe:name: caf\xe9\n")
    status, out, err = jit("preview", "--program", str(project))
    _assert_exit_2(status, out, err, "Pulumi.dev.yaml", "not UTF-8", "save the file as UTF-8")


def test_debug_shows_the_traceback(tmp_path):
    status, _, err = jit("preview", "--program", str(_project(tmp_path / "p", "import sys\nsys.exit(0)\n")), "--debug")
    assert status == 2 and "Traceback" in err and "SystemExit" in err


def test_a_report_written_to_a_file_exits_by_the_verdict(tmp_path):
    target = tmp_path / "report.json"
    status, _, err = jit(
        "preview", "--program", str(_project(tmp_path / "p")), "--format", "json", "--output", str(target)
    )
    assert status == 0, err
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["resources"] == 2


def test_the_timeout_default_is_finite_and_documented():
    status, out, _ = jit("preview", "--help")
    assert status == 0
    assert "--timeout SECONDS" in out and "(default: 600)" in out and "--policy-timeout SECONDS" in out
