"""`jit request`: ask JIT to open one port of a VM for one source address, for a while, with a reason.

Everything the policy decides is checked before calling Azure (port, duration cap, source), so a refusal
names what the policy allows instead of surfacing a bare 400.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from azure_jit_access.cli.requester.connect import VmAddress, connection_hint, read_vm_address
from azure_jit_access.cli.requester.durations import (
    check_duration_allowed,
    format_human_duration,
    parse_iso_duration,
    parse_request_duration,
)
from azure_jit_access.cli.requester.errors import EXIT_OK, RefusedError, ServiceFault, UsageError
from azure_jit_access.cli.requester.policies import Target, parse_vm
from azure_jit_access.cli.requester.render import utc_text
from azure_jit_access.cli.requester.runtime import Runtime
from azure_jit_access.cli.requester.session import Session, open_session, run_guarded
from azure_jit_access.cli.requester.sources import (
    check_address_allowed,
    check_source_syntax,
    choose_source,
    ip_lookup_url,
    lookup_public_ipv4,
    policy_prefixes,
)
from azure_jit_access.cli.requester.via_workflow import approval_url, submit
from azure_jit_access.cli.requester.waiting import poll_until

DEFAULT_DURATION = timedelta(hours=1)
_PROTOCOLS = {"*": "TCP and UDP", "TCP": "TCP", "UDP": "UDP"}


def _validate_justification(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UsageError("--justification is empty; say why you need access (a ticket number helps reviewers)")
    return cleaned


def _duration(requested: timedelta | None, rule: Any, where: str) -> timedelta:
    if requested is None:
        # Without --duration: one hour, or the policy's cap when that is shorter.
        try:
            cap = parse_iso_duration(rule.max_request_access_duration)
        except ValueError as err:
            raise ServiceFault(
                f"the JIT policy's maxRequestAccessDuration for {where} is {rule.max_request_access_duration!r}, "
                f"not an ISO 8601 duration such as PT3H ({err}); "
                "ask the team that runs azure-jit-access to fix the policy"
            ) from None
        return min(DEFAULT_DURATION, cap)
    try:
        check_duration_allowed(requested, rule.max_request_access_duration, where)
    except ValueError as err:
        raise RefusedError(str(err)) from err
    return requested


def _source(args: Any, rule: Any, runtime: Runtime) -> str:
    allowed = policy_prefixes(rule)
    try:
        if args.source.strip().lower() == "me":
            url = ip_lookup_url(args.ip_lookup_url, runtime.environ)
            return check_address_allowed(lookup_public_ipv4(url, runtime.http_get), allowed)
        return choose_source(args.source, allowed)
    except ValueError as err:
        raise RefusedError(str(err)) from err


def find_port_request(policy: Any, vm_id: str, port: int, source: str, end: datetime) -> Any | None:
    """The port entry of our request in a policy's `requests` (same VM, port, source, end within a minute)."""
    for request in policy.requests or []:
        for vm in request.virtual_machines or []:
            if vm.id.lower() != vm_id.lower():
                continue
            for entry in vm.ports or []:
                same_end = entry.end_time_utc is not None and abs(entry.end_time_utc - end) <= timedelta(minutes=1)
                if entry.number == port and entry.allowed_source_address_prefix == source and same_end:
                    return entry
    return None


def _wait_until_open(session: Session, target: Target, args: Any, source: str, end: datetime, runtime: Runtime) -> Any:
    def check(remaining: float) -> Any | None:
        entry = find_port_request(session.get_policy(target, remaining), target.vm.id, args.port, source, end)
        if entry is not None and (entry.status or "").lower() in ("initiated", "revoked"):
            return entry
        return None

    entry = poll_until(
        check, runtime, f"waiting for Azure to open port {args.port} on {target.vm_name}", args.wait_timeout
    )
    if entry is None:
        raise RefusedError(
            f"Azure has not shown the request as Initiated after {int(args.wait_timeout)}s; it may still open. "
            f"Check with `jit status --vm {target.vm_name}`"
        )
    if entry.status.lower() == "revoked":
        raise RefusedError(
            f"Azure revoked the request ({entry.status_reason}); check `jit status --vm {target.vm_name}`"
        )
    return entry


def _print_hint(session: Session, target: Target, args: Any, entry: Any, runtime: Runtime) -> None:
    from azure_jit_access.cli.requester.client import ArmReader

    firewall_ip = getattr(target.vm, "public_ip_address", None)
    if firewall_ip:
        # JIT behind an Azure Firewall: connect to the firewall's address on the mapped port.
        address = VmAddress(firewall_ip, True, None)
    else:
        address = read_vm_address(ArmReader(session.connection, session.credential), target.vm.id)
    hint = connection_hint(target.vm_name, args.port, address, args.user, getattr(entry, "mapped_port", None))
    runtime.out.write(hint + "\n")


def _request(args: Any, runtime: Runtime) -> int:
    # Input checks first: nothing reaches Azure until the command line makes sense.
    try:
        vm = parse_vm(args.vm, args.resource_group)
        requested = parse_request_duration(args.duration) if args.duration else None
        check_source_syntax(args.source)
    except ValueError as err:
        raise UsageError(str(err)) from err
    except (OverflowError, ArithmeticError):
        # A number too large for a time span (e.g. 99999999999h) is still a bad --duration, not a crash.
        raise UsageError(
            f"--duration {args.duration!r} is far longer than 24 hours, the longest access JIT grants; "
            "write e.g. 30m, 1h or PT2H"
        ) from None
    justification = _validate_justification(args.justification)
    session = open_session(args, runtime)
    target, rule = session.find(vm, args.policy, args.port)
    where = f"port {args.port} of {target.vm_name}"
    duration = _duration(requested, rule, where)
    source = _source(args, rule, runtime)
    end = runtime.now() + duration
    status = session.initiate(target, args.port, source, end, justification)
    runtime.out.write(
        f"Requested port {args.port} ({_PROTOCOLS.get(rule.protocol, rule.protocol)}) on {target.vm_name} "
        f"(resource group {target.resource_group}, JIT policy {target.policy.name})\n"
        f"  source   {source}\n"
        f"  until    {utc_text(end)} ({format_human_duration(duration)} from now)\n"
        f"  reason   {justification}\n"
        f"  status   {status}\n"
    )
    if not args.wait:
        runtime.out.write(f"Azure opens the port within a minute; follow it with `jit status --vm {target.vm_name}`.\n")
        return EXIT_OK
    entry = _wait_until_open(session, target, args, source, end, runtime)
    runtime.out.write(f"Open: port {args.port} on {target.vm_name} for {source} until {utc_text(end)}.\n")
    _print_hint(session, target, args, entry, runtime)
    return EXIT_OK


def run_request(args: Any, runtime: Runtime | None = None) -> int:
    """Run `jit request` with parsed arguments; returns the exit status (0 ok, 1 refused, 2 usage).

    With an approval workflow URL (approval mode) the request goes to the workflow instead of JIT.
    """
    runtime = runtime or Runtime()
    url = approval_url(args, runtime.environ)
    if url is not None:
        return run_guarded("request", lambda: submit(args, runtime, url), runtime)
    return run_guarded("request", lambda: _request(args, runtime), runtime)
