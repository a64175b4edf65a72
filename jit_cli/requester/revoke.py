"""`jit revoke`: end the caller's active JIT access to a port early, as far as the API allows.

The JIT API (2020-01-01) has no revoke operation. What it does have: a newer request for the same VM
and port replaces the older one, which then shows `status: Revoked`, `statusReason: NewerRequestInitiated`.
So revoke initiates a replacement that ends after 5 minutes (the shortest JIT grants), for a harmless source
(192.0.2.1, RFC 5737 documentation space, never routed) when the policy allows it, else for the same source.
It then reads the policy back and reports what Azure shows, instead of assuming it worked.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from azure_jit_access.cli.requester.durations import MIN_REQUEST, format_human_duration
from azure_jit_access.cli.requester.errors import EXIT_OK, RefusedError, UsageError
from azure_jit_access.cli.requester.policies import parse_vm
from azure_jit_access.cli.requester.render import RequestRow, request_rows, utc_text
from azure_jit_access.cli.requester.runtime import Runtime
from azure_jit_access.cli.requester.session import Session, azure_step, open_session, run_guarded
from azure_jit_access.cli.requester.sources import check_address_allowed, policy_prefixes
from azure_jit_access.cli.requester.waiting import poll_until

HARMLESS_SOURCE = "192.0.2.1"
"""RFC 5737 TEST-NET-1: reserved for documentation, not routed on the internet; nobody can connect from it."""

_IDENTITY_CLAIMS = ("upn", "unique_name", "preferred_username", "email", "oid", "appid", "azp")


def caller_names(access_token: str) -> set[str]:
    """The caller's names in an Entra access token (UPN, e-mail, object and app ids), lowered.

    The token is not verified here: it is our own token, read only to recognise our own JIT requests.
    """
    try:
        payload = access_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return set()
    return {str(claims[name]).lower() for name in _IDENTITY_CLAIMS if claims.get(name)}


def replacement_source(rule: Any, current_source: str) -> str:
    """The harmless source when the policy allows it, else the active request's own source."""
    try:
        return check_address_allowed(HARMLESS_SOURCE, policy_prefixes(rule))
    except ValueError:
        return current_source.split(",")[0].strip()


def _still_initiated(policy: Any, old: list[RequestRow]) -> list[RequestRow]:
    current = {(r.vm_id.lower(), r.port, r.source, r.end): r for r in request_rows([policy])}
    return [
        row
        for row in old
        if (found := current.get((row.vm_id.lower(), row.port, row.source, row.end))) is not None
        and found.status.lower() == "initiated"
    ]


def _revoke(args: Any, runtime: Runtime) -> int:
    try:
        vm = parse_vm(args.vm, args.resource_group)
    except ValueError as err:
        raise UsageError(str(err)) from err
    session = open_session(args, runtime)
    target, rule = session.find(vm, args.policy, args.port)
    now = runtime.now()
    active = [
        row
        for row in request_rows([target.policy])
        if row.vm_id.lower() == target.vm.id.lower() and row.port == args.port and row.active(now)
    ]
    if not active:
        runtime.out.write(f"No active JIT access to port {args.port} on {target.vm_name}; nothing to revoke.\n")
        return EXIT_OK
    _check_ownership(session, active, args.force)
    # Every active row has an end time (`RequestRow.active` requires one), so `ending` lists them all.
    ending = [(row.end, row) for row in active if row.end is not None]
    latest_end, latest = max(ending, key=lambda pair: pair[0])
    end = now + MIN_REQUEST
    if latest_end <= end:
        runtime.out.write(
            f"The access to port {args.port} on {target.vm_name} ends at {utc_text(latest_end)}, sooner than a "
            "replacement could end it (JIT grants at least 5 minutes); nothing done.\n"
        )
        return EXIT_OK
    source = replacement_source(rule, latest.source)
    who = ", ".join(sorted({row.requestor for row in active}))
    reason = f"jit revoke: end the access of {who} early" + (f" ({args.justification})" if args.justification else "")
    session.initiate(target, args.port, source, end, reason)
    runtime.out.write(
        f"Replaced the access of {who} to port {args.port} on {target.vm_name} (from {latest.source}, "
        f"until {utc_text(latest_end)}) with a request for {source} ending at {utc_text(end)}.\n"
    )
    if source != HARMLESS_SOURCE:
        runtime.out.write(
            f"The policy only allows listed sources, so the port stays open for {source} until {utc_text(end)} "
            f"({format_human_duration(MIN_REQUEST)}, the shortest JIT grants) instead of {utc_text(latest_end)}.\n"
        )

    def replaced(remaining: float) -> bool | None:
        return None if _still_initiated(session.get_policy(target, remaining), active) else True

    if poll_until(replaced, runtime, "checking that Azure replaced the earlier request", args.wait_timeout) is None:
        raise RefusedError(
            f"Azure still lists the earlier request as Initiated after {int(args.wait_timeout)}s; the port may stay "
            f"open until {utc_text(latest_end)}. Check `jit status --vm {target.vm_name}`"
        )
    runtime.out.write("Azure lists the earlier request as Revoked (NewerRequestInitiated).\n")
    return EXIT_OK


def _check_ownership(session: Session, active: list[RequestRow], force: bool) -> None:
    # A replacement ends every active request on the port, a colleague's too: only with --force.
    with azure_step("read your identity from your token", session.connection.endpoint):
        token = session.credential.get_token(session.connection.cloud.scope).token
    names = caller_names(token)
    others = sorted({row.requestor for row in active if row.requestor.lower() not in names})
    if others and not force:
        raise RefusedError(
            f"the active access was requested by {', '.join(others)}, not by you; revoking replaces it for "
            "everyone on that port. Pass --force if that is what you want"
        )


def run_revoke(args: Any, runtime: Runtime | None = None) -> int:
    """Run `jit revoke` with parsed arguments; returns the exit status."""
    runtime = runtime or Runtime()
    return run_guarded("revoke", lambda: _revoke(args, runtime), runtime)
