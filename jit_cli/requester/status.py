"""`jit status`: active and recent JIT requests per VM and port, as a table or JSON."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from azure_jit_access.cli.requester.decisions import (
    WORKSPACE_ENV,
    check_run_id,
    query_decisions,
    render_decisions,
    state_of,
)
from azure_jit_access.cli.requester.errors import EXIT_OK, UsageError
from azure_jit_access.cli.requester.policies import parse_vm
from azure_jit_access.cli.requester.render import render_json, render_table, request_rows, select_rows
from azure_jit_access.cli.requester.runtime import Runtime
from azure_jit_access.cli.requester.session import open_session, run_guarded


def _decisions(args: Any, runtime: Runtime) -> bool:
    """Approval mode: the workflow's decision records (one request, or the window); True when done."""
    run_id = getattr(args, "request", None)
    if run_id is None and getattr(args, "workspace", None) is None and not runtime.environ.get(WORKSPACE_ENV):
        return False
    window = timedelta(days=30 if args.all else 1)
    rows = query_decisions(args, runtime, check_run_id(run_id) if run_id else None, window)
    if run_id is not None:
        record = rows[0] if rows else {"WorkflowRunId": run_id}
        if args.json:
            runtime.out.write(json.dumps({**record, "state": state_of(record.get("Decision"))}, default=str) + "\n")
        else:
            runtime.out.write(f"Request {run_id}: {state_of(record.get('Decision'))}\n")
            runtime.out.write(render_decisions(rows) if rows else "No decision yet: an approver has not answered.\n")
        return True
    if not args.json:
        runtime.out.write("Approval workflow decisions:\n" + render_decisions(rows) + "\nJIT requests:\n")
    return False


def _status(args: Any, runtime: Runtime) -> int:
    if _decisions(args, runtime):
        return EXIT_OK
    try:
        vm = parse_vm(args.vm, args.resource_group) if args.vm else None
    except ValueError as err:
        raise UsageError(str(err)) from err
    session = open_session(args, runtime)
    group = vm.resource_group if vm else args.resource_group
    policies = session.list_policies(group)
    if args.policy:
        policies = [p for p in policies if (p.name or "").lower() == args.policy.lower()]
    now = runtime.now()
    rows = select_rows(request_rows(policies), now, vm, args.all)
    if args.json:
        runtime.out.write(render_json(rows, now, session.connection.subscription_id))
        return EXIT_OK
    if not rows:
        scope = f"VM {args.vm}" if vm else f"resource group {group}" if group else "this subscription"
        window = "" if args.all else " in the last 24 hours (--all shows older ones)"
        runtime.out.write(f"No JIT requests for {scope}{window}.\n")
        return EXIT_OK
    runtime.out.write(render_table(rows, now))
    return EXIT_OK


def run_status(args: Any, runtime: Runtime | None = None) -> int:
    """Run `jit status` with parsed arguments; returns the exit status."""
    runtime = runtime or Runtime()
    return run_guarded("status", lambda: _status(args, runtime), runtime)
