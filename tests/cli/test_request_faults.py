"""The requester commands against a misbehaving ARM: every fault is one line, the right exit status, no hang.

Exit statuses (docs/requesting-access.md): 1 Azure or the policy said no, 3 a service fault (unreachable,
too slow, 429/5xx after bounded retries, or an answer that is not the JIT API). Answers follow the
2020-01-01 REST spec (`InitiateJitNetworkAccessPolicy_example.json`: 202 with the created request, its port
`status: Initiating`); everything else is a fault, never "Azure opens the port within a minute".
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from tests.cli import fake_arm, faults
from tests.cli.conftest import LIST_RG, VM1, request
from tests.cli.fake_arm import SUB, make_runtime, policy_body, run_cli

SOURCE = ["--source", "198.51.100.7"]
POLICY = (
    f"/subscriptions/{SUB}/resourceGroups/myRg1/providers/Microsoft.Security/locations/westeurope/"
    "jitNetworkAccessPolicies/default"
)


@pytest.fixture(scope="module")
def server():
    # Threaded: a deliberately slow answer must not hold up the next request.
    with fake_arm.tls_server(threaded=True) as running:
        yield running


pytestmark = pytest.mark.usefixtures("bounded")


def initiate_answer(status="Initiating", vm=VM1, port=22, reason="UserRequested"):
    """A 202 initiate body as the REST spec's example has it, with the status under test."""
    entry = {"number": port, "allowedSourceAddressPrefix": "198.51.100.7", "endTimeUtc": "2025-03-01T10:00:00Z"}
    entry.update(status=status, statusReason=reason)
    return {"virtualMachines": [{"id": vm, "ports": [entry]}], "startTimeUtc": "2025-03-01T09:00:00Z"}


def _clean(result, status):
    assert result.status == status, result.err
    assert "Traceback" not in result.out + result.err
    return result.err


# --- the initiate answer: success only for Initiating/Initiated of our VM and port -----------------------


@pytest.mark.parametrize(
    "answer, words",
    [
        (initiate_answer("Denied"), "with status Denied"),
        (initiate_answer("Revoked", reason="NewerRequestInitiated"), "status Revoked (NewerRequestInitiated)"),
        (initiate_answer(None), "with status none"),
        (initiate_answer("Expired"), "with status Expired"),
        (initiate_answer("Pending"), "with status Pending"),
    ],
)
def test_initiate_answer_with_another_status_is_refused(arm, answer, words):
    arm.inject("POST", "/initiate$", faults.json_answer(answer, 202))
    err = _clean(request(arm, *SOURCE), 1)
    assert words in err and "the port stays closed" in err
    assert "Azure opens the port" not in err


@pytest.mark.parametrize(
    "behaviour, words",
    [
        (faults.json_answer({"virtualMachines": []}, 202), "it listed no virtual machines"),
        (faults.json_answer({}, 202), "it listed no virtual machines"),
        (faults.raw("", 202), "it listed no virtual machines"),
        (faults.json_answer(None, 202), "it listed no virtual machines"),
        (faults.json_answer(initiate_answer(port=3389), 202), "the port is not in the answer"),
        (faults.json_answer(initiate_answer(vm=fake_arm.vm_id("other")), 202), "the port is not in the answer"),
        (faults.raw("<html><body>Sign in to the proxy</body></html>", 200, "text/html"), "expected the JIT API's JSON"),
        (faults.raw('{"virtualMachines": [', 202), "expected the JIT API's JSON"),
        (faults.json_answer({"virtualMachines": "vm1"}, 202), "expected the JIT API's JSON"),
    ],
)
def test_initiate_answer_that_is_not_a_request_is_a_service_fault(arm, behaviour, words):
    arm.inject("POST", "/initiate$", behaviour)
    result = request(arm, *SOURCE)
    err = _clean(result, 3)
    assert "request access to vm1 port 22" in err and words in err, err
    assert "Requested port" not in result.out


def test_initiating_is_success(arm):
    arm.inject("POST", "/initiate$", faults.json_answer(initiate_answer("Initiating"), 202))
    result = request(arm, *SOURCE)
    assert _clean(result, 0) == ""
    assert "status   Initiating" in result.out


# --- throttling and server errors: bounded retries, capped Retry-After ----------------------------------


@pytest.mark.parametrize("retry_after", ["1", "600", "inf", "nan", "-5", "soon", "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_retry_after_is_capped_and_never_crashes(arm, retry_after):
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.throttle(retry_after))
    started = time.monotonic()
    result = request(arm, *SOURCE)
    assert _clean(result, 0) == ""
    # The test limits cap Retry-After at 0.05 s: 600 s, a date in 2099 or inf must not be waited for.
    assert time.monotonic() - started < 5
    assert [c.path for c in arm.calls].count(LIST_RG) == 2


def test_throttled_every_time_is_a_service_fault_after_bounded_retries(arm):
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.throttle("600"), times=10)
    err = _clean(request(arm, *SOURCE), 3)
    assert "kept throttling" in err and "HTTP 429" in err
    assert [c.path for c in arm.calls].count(LIST_RG) == 3  # the first try and FAST_LIMITS.retries


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_are_retried_then_a_service_fault(arm, code):
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.status(code, "InternalError"), times=10)
    err = _clean(request(arm, *SOURCE), 3)
    assert f"HTTP {code}" in err and "Try again later" in err


def test_one_server_error_is_retried(arm):
    arm.inject("POST", "/initiate$", faults.status(503, "ServiceUnavailable"))
    result = request(arm, *SOURCE)
    assert _clean(result, 0) == ""
    assert len(arm.initiate_bodies()) == 2


# --- the connection: resets and slow answers -----------------------------------------------------------------


def test_a_reset_connection_is_retried(arm):
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.reset())
    assert _clean(request(arm, *SOURCE), 0) == ""


def test_connections_reset_every_time_are_a_service_fault(arm):
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.reset(), times=10)
    err = _clean(request(arm, *SOURCE), 3)
    assert "list the JIT policies of resource group myRg1" in err
    assert "could not reach" in err or "closed the connection" in err


def test_a_body_slower_than_the_read_timeout_is_a_service_fault(arm):
    policies = {"value": list(arm.policies.values())}
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.slow_body(policies, 3.0), times=10)
    runtime = make_runtime(arm)
    runtime.limits = dataclasses.replace(fake_arm.FAST_LIMITS, read_timeout=0.3, retries=0)
    started = time.monotonic()
    err = _clean(request(arm, *SOURCE, runtime=runtime), 3)
    assert time.monotonic() - started < 3
    assert "did not answer in time" in err or "could not be read" in err


def test_a_slow_answer_within_the_read_timeout_is_fine(arm):
    arm.inject(
        "GET",
        "/jitNetworkAccessPolicies$",
        faults.slow(faults.json_answer({"value": list(arm.policies.values())}), 0.2),
    )
    assert _clean(request(arm, *SOURCE), 0) == ""


# --- list answers that are not JIT policies ------------------------------------------------------------------


def _policy(**changes):
    body = policy_body(VM1)
    for path, value in changes.items():
        target = body
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
    return {"value": [body]}


@pytest.mark.parametrize(
    "document, words",
    [
        (_policy(id=None), "value[0].id, the policy's ARM id"),
        (_policy(id="not-an-id"), "value[0].id of the form"),
        (_policy(name=None), "value[0].name"),
        (_policy(**{"properties.virtualMachines.0.id": None}), "value[0].virtualMachines[0].id"),
        (_policy(**{"properties.virtualMachines.0.ports.0.number": None}), "ports[0].number, a port number"),
        (
            _policy(**{"properties.virtualMachines.0.ports.0.maxRequestAccessDuration": None}),
            "maxRequestAccessDuration",
        ),
        (_policy(**{"properties.virtualMachines.0.ports.0.number": "ssh"}), "expected the JIT API's JSON"),
        (_policy(**{"properties.virtualMachines": "vm1"}), "expected the JIT API's JSON"),
        (_policy(**{"properties.requests": [{"virtualMachines": [{"id": None, "ports": []}]}]}), "requests[0]"),
        (
            _policy(
                **{
                    "properties.requests": [
                        {"virtualMachines": [{"id": VM1, "ports": [{"number": 22, "endTimeUtc": "later"}]}]}
                    ]
                }
            ),
            "expected the JIT API's JSON",
        ),
        ({"value": None}, "a `value` list of JIT policies"),
        ({"value": "policies"}, "expected the JIT API's JSON"),
    ],
)
def test_list_answer_that_is_not_jit_policies_is_a_service_fault(arm, document, words):
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.json_answer(document), times=10)
    err = _clean(request(arm, *SOURCE), 3)
    assert "list the JIT policies of resource group myRg1" in err and words in err, err


@pytest.mark.parametrize(
    "behaviour, words",
    [
        (faults.raw("<!doctype html><title>Captive portal</title>", 200, "text/html"), "expected the JIT API's JSON"),
        (faults.raw("", 200), "expected"),
        (faults.raw("{not json", 200), "expected the JIT API's JSON"),
    ],
)
def test_status_with_an_unreadable_answer_is_a_service_fault(arm, behaviour, words):
    arm.inject("GET", "/jitNetworkAccessPolicies$", behaviour, times=10)
    result = run_cli(["status", "-g", "myRg1"], make_runtime(arm))
    err = _clean(result, 3)
    assert words in err and result.out == ""


def test_a_policy_without_duration_cap_text_is_named(arm):
    arm.inject(
        "GET",
        "/jitNetworkAccessPolicies$",
        faults.json_answer(_policy(**{"properties.virtualMachines.0.ports.0.maxRequestAccessDuration": "forever"})),
    )
    err = _clean(request(arm, *SOURCE), 3)
    assert "maxRequestAccessDuration" in err and "'forever'" in err


# --- paging: loops, endless pages, links elsewhere ------------------------------------------------------------


def _page(arm, link):
    return {"value": list(arm.policies.values()), "nextLink": link}


def test_a_next_link_pointing_back_is_a_service_fault(arm):
    link = f"{arm.url}{LIST_RG}?api-version=2020-01-01&page=1"
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.json_answer(_page(arm, link)), times=100)
    err = _clean(request(arm, *SOURCE), 3)
    assert "nextLink loop" in err
    assert len(arm.calls) <= 3


def test_endless_pages_stop_at_the_page_limit(arm):
    pages = iter(range(1000))

    def next_page(_request):
        return faults.json_answer(_page(arm, f"{arm.url}{LIST_RG}?api-version=2020-01-01&page={next(pages)}"))(_request)

    arm.inject("GET", "/jitNetworkAccessPolicies$", next_page, times=1000)
    err = _clean(request(arm, *SOURCE), 3)
    assert "more than 5 pages" in err
    assert len([c for c in arm.calls if c.path == LIST_RG]) == 5


def test_a_next_link_to_another_host_is_not_followed(arm):
    arm.inject("GET", "/jitNetworkAccessPolicies$", faults.json_answer(_page(arm, "https://attacker.example/steal")))
    err = _clean(request(arm, *SOURCE), 3)
    assert f"links to a page outside {arm.url}" in err


# --- waiting: --wait-timeout holds within a second even when Azure is slow ----------------------------------


def test_wait_timeout_holds_when_polls_are_slow(arm):
    arm.polls_before_visible = 100
    arm.inject(
        "GET", "/jitNetworkAccessPolicies/default$", faults.slow(faults.json_answer(policy_body(VM1)), 3.0), times=100
    )
    runtime = make_runtime(arm)
    runtime.sleep, runtime.monotonic, runtime.poll_interval = time.sleep, time.monotonic, 0.2
    started = time.monotonic()
    result = request(arm, *SOURCE, "--wait", "--wait-timeout", "1", runtime=runtime)
    elapsed = time.monotonic() - started
    assert result.status in (1, 3), result.err
    assert "Traceback" not in result.err
    assert elapsed < 1 + 1.5  # the wait itself, plus the list and initiate calls before it


def test_a_failing_poll_is_a_service_fault(arm):
    arm.polls_before_visible = 100
    arm.inject("GET", "/jitNetworkAccessPolicies/default$", faults.status(500, "InternalError"), times=100)
    err = _clean(request(arm, *SOURCE, "--wait"), 3)
    assert "read JIT policy default" in err and "HTTP 500" in err


# --- revoke relies on the same checks -------------------------------------------------------------------------


def test_revoke_with_a_denied_replacement_is_refused(arm):
    arm.policies[POLICY.lower()]["properties"]["requests"].append(
        fake_arm.request_body(VM1, 22, "198.51.100.7", "2025-03-01T11:00:00.0000000Z")
    )
    arm.inject("POST", "/initiate$", faults.json_answer(initiate_answer("Denied"), 202))
    result = run_cli(["revoke", "--vm", "vm1", "-g", "myRg1", "--port", "22"], make_runtime(arm))
    err = _clean(result, 1)
    assert "with status Denied" in err


# --- the retry policy itself, with the production limits ------------------------------------------------------


@pytest.mark.parametrize(
    "headers, seconds",
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "600"}, 10.0),
        ({"Retry-After": "inf"}, 10.0),
        ({"Retry-After": "1e309"}, 10.0),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "nan"}, 0),  # azure-core reads nan as max(0, nan) = 0: the backoff applies
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}, 10.0),
        ({"retry-after-ms": "20000"}, 10.0),
        ({}, None),
    ],
)
def test_production_retry_after_cap(headers, seconds):
    from types import SimpleNamespace

    from azure_jit_access.cli.requester.transport import NetworkLimits

    response = SimpleNamespace(http_response=SimpleNamespace(headers=headers))
    assert NetworkLimits().retry_policy().get_retry_after(response) == seconds


def test_an_unexpected_failure_is_one_line_and_exit_3(arm):
    def broken_credential(_cloud, _tenant):
        raise RuntimeError("credential cache\nis corrupt")

    runtime = make_runtime(arm)
    runtime.credential_factory = broken_credential
    result = request(arm, *SOURCE, runtime=runtime)
    err = _clean(result, 3)
    assert err == (
        "jit request: unexpected failure (RuntimeError: credential cache is corrupt); whether Azure acted on the "
        "request is unknown: check `jit status`, and please report it with the command line you ran\n"
    )
