"""Bad command lines of `jit request`, `jit status` and `jit revoke`: exit 2, one line naming the flag.

argparse refuses what it can parse (ports, seconds); the handlers refuse the rest before any call to Azure.
"""

from __future__ import annotations

import contextlib
import io

import pytest

from tests.cli.conftest import request
from tests.cli.fake_arm import make_runtime, run_cli


def _argparse(argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
        run_cli(argv, make_runtime(None))
    return stop.value.code, err.getvalue()


pytestmark = pytest.mark.usefixtures("bounded")

BASE = ["request", "--vm", "vm1", "-g", "myRg1", "--justification", "INC-1"]


@pytest.mark.parametrize(
    "argv, flag, words",
    [
        ([*BASE, "--port", "0"], "--port", "not a port number (1-65535)"),
        ([*BASE, "--port", "65536"], "--port", "not a port number"),
        ([*BASE, "--port", "ssh"], "--port", "'ssh' is not a port number"),
        ([*BASE, "--wait-timeout", "0"], "--wait-timeout", "more than 0"),
        ([*BASE, "--wait-timeout", "inf"], "--wait-timeout", "at most 86400 seconds"),
        ([*BASE, "--wait-timeout", "nan"], "--wait-timeout", "at most 86400 seconds"),
        ([*BASE, "--wait-timeout", "soon"], "--wait-timeout", "not a number of seconds"),
        (["request", "--vm", "vm1"], "--justification", "required"),
        (["revoke", "--vm", "vm1", "--port", "-1"], "--port", "not a port number"),
        (["revoke", "--vm", "vm1"], "--port", "required"),
        (["status", "--vm"], "--vm", "expected one argument"),
    ],
)
def test_argparse_refuses_bad_values_naming_the_flag(argv, flag, words):
    status, err = _argparse(argv)
    assert status == 2 and flag in err and words in err and "Traceback" not in err


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--duration", "99999999999h"], "--duration '99999999999h'"),
        (["--duration", "9" * 400 + "m"], "--duration"),
        (["--duration", "P99999999999D"], "--duration 'P99999999999D'"),
        (["--duration", "forever"], "--duration 'forever' is not a duration"),
        (["--duration", "1m"], "shorter than 5 minutes"),
        (["--duration", "25h"], "longer than 24 hours"),
        (["--source", "not-an-ip"], "--source"),
        (["--endpoint", "http://127.0.0.1:1"], "--endpoint 'http://127.0.0.1:1' must be an https:// URL"),
        (["--subscription", "my-subscription"], "--subscription 'my-subscription' is not a subscription id"),
        (["--cloud", "Mars"], "--cloud 'Mars' is not a known cloud"),
        (["--tenant", "  "], "--tenant is empty"),
        (["--justification", "   "], "--justification is empty"),
    ],
)
def test_request_refuses_bad_input_before_calling_azure(arm, extra, words):
    result = request(arm, *extra)
    assert result.status == 2, result.err
    assert result.err.startswith("jit request: error: ") and words in result.err, result.err
    assert "Traceback" not in result.err and len(result.err.strip().splitlines()) == 1
    assert arm.arm_calls() == []


@pytest.mark.parametrize(
    "argv, words",
    [
        (["status", "--vm", "/subscriptions/x/bad"], "is not a VM id"),
        (["status", "--vm", "a/b"], "neither a VM name nor a full ARM id"),
        (["revoke", "--vm", "", "--port", "22"], "--vm is empty"),
    ],
)
def test_status_and_revoke_refuse_bad_vm_references(arm, argv, words):
    result = run_cli(argv, make_runtime(arm))
    assert result.status == 2 and words in result.err and "Traceback" not in result.err
    assert arm.arm_calls() == []
