"""`jit request` in approval mode: submit the request to the approval workflow with the user's Entra token.

In approval mode only the workflow's managed identity may call JIT `initiate`, so the command POSTs the request
to the workflow's HTTP trigger (stack output `approvalRequestUrl`, given as `--approval-url` or
$JIT_APPROVAL_URL) with a bearer token for the workflow's audience (`--approval-audience` or
$JIT_APPROVAL_AUDIENCE, the stack's `approvals.http.audience`). The workflow checks the token (issuer and
audience), validates the request, asks an approver and maps the address to the JIT policy's listed prefix.

A Request trigger without a Response action answers `202 Accepted` at once, and the run's id is the
`x-ms-workflow-run-id` response header: that id is the request id `jit status --request` follows (the decision
record's `WorkflowRunId`). Neither the token nor the trigger URL is ever printed, in output or in errors.
"""

from __future__ import annotations

from typing import Any

from azure_jit_access.cli.requester.client import resolve_cloud
from azure_jit_access.cli.requester.decisions import APPROVED_NOT_OPENED, OPENED, state_of, wait_for_decision
from azure_jit_access.cli.requester.durations import parse_request_duration
from azure_jit_access.cli.requester.errors import EXIT_OK, RefusedError, UsageError
from azure_jit_access.cli.requester.policies import parse_vm
from azure_jit_access.cli.requester.runtime import Runtime
from azure_jit_access.cli.requester.sources import check_source_syntax, ip_lookup_url, lookup_public_ipv4

APPROVAL_URL_ENV = "JIT_APPROVAL_URL"
AUDIENCE_ENV = "JIT_APPROVAL_AUDIENCE"
RUN_ID_HEADER = "x-ms-workflow-run-id"
DEFAULT_MINUTES = 60


def approval_url(args: Any, environ: Any) -> str | None:
    """The workflow's trigger URL when approval mode is chosen (`--approval-url` or $JIT_APPROVAL_URL)."""
    value = (getattr(args, "approval_url", None) or environ.get(APPROVAL_URL_ENV) or "").strip()
    return value or None


def _audience(args: Any, environ: Any) -> str:
    value = (getattr(args, "approval_audience", None) or environ.get(AUDIENCE_ENV) or "").strip()
    if not value or " " in value:
        raise UsageError(
            f"give the approval workflow's token audience: --approval-audience or ${AUDIENCE_ENV} "
            "(the stack's approvals.http.audience, e.g. api://jit-approvals)"
        )
    return value


def request_body(args: Any, runtime: Runtime) -> dict[str, Any]:
    """The trigger's JSON body (vm, port, sourceIp, durationMinutes, justification), checked first."""
    try:
        vm = parse_vm(args.vm, args.resource_group)
        duration = parse_request_duration(args.duration) if args.duration else None
        check_source_syntax(args.source)
    except ValueError as err:
        raise UsageError(str(err)) from err
    minutes = DEFAULT_MINUTES if duration is None else duration.total_seconds() / 60
    if minutes != int(minutes):
        raise UsageError("--duration: the approval workflow grants whole minutes, e.g. 30m or 1h30m")
    justification = " ".join(args.justification.split())
    if not justification:
        raise UsageError("--justification is empty; say why you need access (a ticket number helps approvers)")
    if args.source.strip().lower() == "me":
        try:
            source = lookup_public_ipv4(ip_lookup_url(args.ip_lookup_url, runtime.environ), runtime.http_get)
        except ValueError as err:
            raise RefusedError(str(err)) from err
    elif "/" in args.source:
        raise UsageError(
            "--source: give one IPv4 address; the approval workflow maps it to the JIT policy's listed prefix"
        )
    else:
        source = args.source.strip()
    return {
        "vm": vm.name,
        "port": args.port,
        "sourceIp": source,
        "durationMinutes": int(minutes),
        "justification": justification,
    }


def _post(url: str, body: dict[str, Any], token: str) -> Any:
    import requests

    try:
        return requests.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30, allow_redirects=False
        )
    except requests.RequestException as err:
        # requests' messages contain the URL: name the failure only.
        raise RefusedError(f"could not reach the approval workflow ({type(err).__name__})") from None


def _error_code(response: Any) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("code") or "")
    except (ValueError, AttributeError):
        return ""


def submit(args: Any, runtime: Runtime, url: str) -> int:
    """Submit one request to the approval workflow; with --wait, follow it to its decision."""
    if not url.startswith("https://"):
        raise UsageError("--approval-url must be an https URL (the workflow's approvalRequestUrl output)")
    audience = _audience(args, runtime.environ)
    body = request_body(args, runtime)
    credential = runtime.credential_factory(resolve_cloud(args.cloud), args.tenant)
    token = credential.get_token(f"{audience.rstrip('/')}/.default").token
    response = _post(url, body, token)
    if response.status_code in (401, 403):
        raise RefusedError(
            f"the approval workflow refused your token (HTTP {response.status_code}); check --approval-audience "
            "and that you signed in to the workflow's tenant"
        )
    if response.status_code not in (200, 202):
        code = _error_code(response)
        detail = f"HTTP {response.status_code}, {code}" if code else f"HTTP {response.status_code}"
        raise RefusedError(f"the approval workflow did not accept the request ({detail})")
    run_id = response.headers.get(RUN_ID_HEADER)
    where = f"port {body['port']} of {body['vm']} from {body['sourceIp']} for {body['durationMinutes']} minutes"
    runtime.out.write(
        f"Submitted to the approval workflow: {where}\n"
        f"  request  {run_id or 'unknown (the workflow returned no run id)'}\n"
        f"  reason   {body['justification']}\n"
        "An approver is e-mailed; the port opens only after a configured approver (not you) approves.\n"
    )
    if not run_id:
        return EXIT_OK
    if not args.wait:
        runtime.out.write(f"Follow it with `jit status --request {run_id} --workspace <audit workspace id>`.\n")
        return EXIT_OK
    record = wait_for_decision(args, runtime, run_id, args.wait_timeout)
    if record is None:
        raise RefusedError(
            f"no decision after {int(args.wait_timeout)}s: request {run_id} is still pending; "
            f"check later with `jit status --request {run_id}`"
        )
    state = state_of(record.get("Decision"))
    if state == OPENED:
        runtime.out.write(f"Open: {record.get('Reason')}.\n")
        return EXIT_OK
    word = "approved but not opened" if state == APPROVED_NOT_OPENED else "refused"
    raise RefusedError(f"request {run_id} was {word} ({record.get('Decision')}): {record.get('Reason')}")
