"""The initiate bodies the approval workflow and `jit request` send pass the JIT REST spec (2020-01-01)."""

from __future__ import annotations

import copy

from tests.cli.conftest import arm, request, server  # noqa: F401 - fixtures of the fake ARM server
from tests.components.approval.test_definition import answer, run_http
from tests.fidelity.jit_rest import initiate_body_errors


def test_the_approval_workflow_initiate_body_passes_the_rest_spec():
    run = run_http(stubs=answer("Approve", "Lead@contoso.com"))
    body = run.inputs["Initiate_jit_access"]["body"]
    assert initiate_body_errors(body) == []
    # The spec's required port fields, and the source is explicit (if omitted JIT opens for the caller's IP).
    port = body["virtualMachines"][0]["ports"][0]
    assert {"number", "endTimeUtc", "allowedSourceAddressPrefix"} <= set(port)


def test_jit_request_initiate_body_passes_the_rest_spec(arm):  # noqa: F811 - pytest fixture
    result = request(arm, "--source", "198.51.100.7", "--duration", "90m")
    assert result.status == 0, result.err
    [body] = arm.initiate_bodies()
    assert initiate_body_errors(body) == []


def test_a_body_without_end_time_is_reported_with_its_path():
    run = run_http(stubs=answer("Approve", "Lead@contoso.com"))
    body = copy.deepcopy(run.inputs["Initiate_jit_access"]["body"])
    del body["virtualMachines"][0]["ports"][0]["endTimeUtc"]
    assert initiate_body_errors(body) == [("$.virtualMachines[0].ports[0]", "'endTimeUtc' is a required property")]


def test_a_port_out_of_range_or_a_local_time_is_reported():
    body = {"virtualMachines": [{"id": "/x", "ports": [{"number": 70000, "endTimeUtc": "2026-05-04 11:30:00"}]}]}
    errors = dict(initiate_body_errors(body))
    assert errors["$.virtualMachines[0].ports[0].number"] == "70000 is greater than the maximum of 65535"
    assert "is not a 'date-time'" in errors["$.virtualMachines[0].ports[0].endTimeUtc"]
