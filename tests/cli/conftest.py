"""Shared set-up for the `jit request` tests (test_request.py, test_request_errors.py).

One fake ARM server per module, and a JIT policy for vm1 in myRg1: port 22 from anywhere for up to 3 hours,
port 3389/TCP from MY_IP or 203.0.113.0/24 for up to 1 hour. test_status.py and test_revoke.py define their
own `server` and `arm` fixtures, which take precedence over these.
"""

import signal

import pytest

from tests.cli import fake_arm
from tests.cli.fake_arm import SUB, make_runtime, port_rule, run_cli, vm_id

VM1 = vm_id("vm1")
MY_IP = "20.61.15.9"
INITIATE = (
    f"/subscriptions/{SUB}/resourceGroups/myRg1/providers/Microsoft.Security/locations/westeurope/"
    "jitNetworkAccessPolicies/default/initiate"
)
LIST_RG = f"/subscriptions/{SUB}/resourceGroups/myRg1/providers/Microsoft.Security/jitNetworkAccessPolicies"


@pytest.fixture(scope="module")
def server():
    with fake_arm.tls_server() as running:
        yield running


@pytest.fixture
def arm(server, monkeypatch):
    fake = fake_arm.attach(server, monkeypatch)
    fake.add_policy(
        [(VM1, [port_rule(22, "*", "PT3H"), port_rule(3389, [MY_IP, "203.0.113.0/24"], "PT1H", protocol="TCP")])]
    )
    fake.add_vm_network(VM1, public_ip="52.1.2.3")
    return fake


def request(arm, *extra, runtime=None):
    """Run `jit request` for vm1 in myRg1 with a justification, plus the given flags."""
    argv = ["request", "--vm", "vm1", "-g", "myRg1", "--justification", "INC-1234 restart nginx", *extra]
    return run_cli(argv, runtime or make_runtime(arm))


@pytest.fixture
def bounded():
    """Fail a test that runs longer than 30 s instead of hanging the suite (tests that use it by name)."""

    def expired(_signum, _frame):
        raise TimeoutError("test ran longer than 30 s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, 30)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)
