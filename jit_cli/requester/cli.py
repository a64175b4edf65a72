"""Argument parsing for `jit request`, `jit status` and `jit revoke`.

Only argparse here: the Azure SDK is imported by the handlers, so `jit --help` stays fast.
Exit statuses: 0 ok, 1 refused or failed (the policy does not allow it, Azure said no), 2 usage error,
3 service fault (Azure unreachable, too slow, failing, or not answering as the JIT API does).
"""

from __future__ import annotations

import argparse
from typing import Any

REQUEST_EXAMPLES = """examples:
  jit request --vm web-1 -g rg-prod --justification "INC-1234 restart nginx"
        port 22 for your public IPv4 (looked up), for 1 hour (or less if the policy caps it lower)
  jit request --vm web-1 -g rg-prod --port 3389 --duration 30m --justification "CHG-42" --wait
        wait until Azure opened the port, then print `mstsc /v:<ip>`
  jit request --vm /subscriptions/<sub>/resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/web-1 \\
        --source 203.0.113.7 --duration PT2H --justification "patching"
  jit request --vm web-1 --cloud AzureUSGovernment --subscription <sub> --tenant contoso.onmicrosoft.us ...

The source is never `*`: a range wider than one address is refused unless the policy lists exactly that
prefix. The duration must fit the policy's cap for the port (PT5M at least). Exit status: 0 requested (Azure
answered Initiating or Initiated), 1 refused (policy or Azure), 2 usage error, 3 Azure unreachable, too slow or
answering something that is not the JIT API (try again later).
"""

STATUS_EXAMPLES = """examples:
  jit status                          active requests and those ended in the last 24 hours, subscription-wide
  jit status --vm web-1 -g rg-prod    one VM
  jit status -g rg-prod --all         every request Azure still lists for the resource group
  jit status --json | jq '.requests[] | select(.active)'
"""

REVOKE_EXAMPLES = """what it does (the JIT API has no revoke operation):
  It initiates a replacement request for the same VM and port that ends in 5 minutes, the shortest JIT
  grants. Azure then marks the earlier request Revoked (NewerRequestInitiated). The replacement's source is
  192.0.2.1 (documentation space, unreachable) when the policy allows any source; when the policy only
  allows listed prefixes it is your own source, so the port stays open for you for those 5 minutes.
  A replacement ends everyone's access to that port: revoking a colleague's access needs --force.
  Your role must allow initiate (the JIT requester role does).

examples:
  jit revoke --vm web-1 -g rg-prod --port 22
  jit revoke --vm web-1 -g rg-prod --port 3389 --justification "done early" --force
"""


def _azure_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Azure")
    group.add_argument(
        "--subscription",
        metavar="ID",
        help="subscription id (default: $AZURE_SUBSCRIPTION_ID, else the az CLI's default)",
    )
    group.add_argument("--tenant", metavar="TENANT", help="tenant id or domain to sign in to")
    group.add_argument(
        "--cloud", default="AzureCloud", help="AzureCloud (default), AzureChinaCloud or AzureUSGovernment"
    )
    group.add_argument(
        "--endpoint",
        metavar="URL",
        help="Resource Manager URL override, https only (default: $JIT_ARM_ENDPOINT, else the cloud's)",
    )


def _decision_options(group: Any) -> None:
    group.add_argument(
        "--workspace",
        metavar="ARM_ID",
        help="the audit Log Analytics workspace holding the decisions (`pulumi stack output auditWorkspaceId`; "
        "default: $JIT_AUDIT_WORKSPACE)",
    )
    group.add_argument(
        "--logs-endpoint",
        metavar="URL",
        help="Log Analytics query endpoint, https only (default: $JIT_LOGS_ENDPOINT, else https://api.loganalytics.io)",
    )


def _vm_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--vm", required=required, metavar="NAME_OR_ID", help="VM name, or its full ARM id")
    parser.add_argument(
        "--resource-group", "-g", metavar="RG", help="the VM's resource group (lists only that group's JIT policies)"
    )
    parser.add_argument("--policy", metavar="NAME", help="JIT policy name, when several cover the VM")


def _handle_request(args: argparse.Namespace, runtime: Any = None) -> int:
    from azure_jit_access.cli.requester.request import run_request

    return run_request(args, runtime)


def _handle_status(args: argparse.Namespace, runtime: Any = None) -> int:
    from azure_jit_access.cli.requester.status import run_status

    return run_status(args, runtime)


def _handle_revoke(args: argparse.Namespace, runtime: Any = None) -> int:
    from azure_jit_access.cli.requester.revoke import run_revoke

    return run_revoke(args, runtime)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 86400:  # also refuses inf and nan, which would wait forever
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400 seconds, got {text}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the requester sub-commands to the `jit` parser."""
    raw = argparse.RawDescriptionHelpFormatter
    request = subparsers.add_parser(
        "request",
        help="ask JIT to open a VM's port for your IP for a while",
        description="Request just-in-time access to a port of a VM: checks the JIT policy (port, duration cap, "
        "allowed sources) first, then calls `initiate` with an explicit source and end time.",
        epilog=REQUEST_EXAMPLES,
        formatter_class=raw,
    )
    _vm_options(request, required=True)
    request.add_argument("--port", type=_port, default=22, help="port to open (default: 22)")
    request.add_argument(
        "--source",
        default="me",
        metavar="IP|me",
        help="source IPv4 address to allow; `me` (default) looks up your public IPv4",
    )
    request.add_argument(
        "--duration",
        metavar="DURATION",
        help="how long: 30m, 1h, 1h30m or ISO 8601 like PT2H (default: 1h, or the policy's cap)",
    )
    request.add_argument("--justification", required=True, metavar="TEXT", help="why you need access")
    request.add_argument(
        "--wait", action="store_true", help="wait until Azure opened the port, then print how to connect"
    )
    request.add_argument(
        "--wait-timeout",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="give up waiting after this long (default: 300)",
    )
    request.add_argument("--user", help="user name for the ssh hint (default: the VM's admin user)")
    approval = request.add_argument_group("approval mode (only the approval workflow may open ports)")
    approval.add_argument(
        "--approval-url",
        metavar="URL",
        help="the approval workflow's trigger URL (`pulumi stack output approvalRequestUrl`; default: "
        "$JIT_APPROVAL_URL); when set, the request goes to the workflow instead of JIT",
    )
    approval.add_argument(
        "--approval-audience",
        metavar="AUDIENCE",
        help="token audience of the workflow (approvals.http.audience; default: $JIT_APPROVAL_AUDIENCE)",
    )
    _decision_options(approval)
    request.add_argument(
        "--ip-lookup-url",
        metavar="URL",
        help="https service answering your public IPv4 in plain text (default: "
        "$JIT_IP_LOOKUP_URL, else https://api.ipify.org)",
    )
    _azure_options(request)
    request.set_defaults(handler=_handle_request)

    status = subparsers.add_parser(
        "status",
        help="list active and recent JIT requests per VM and port",
        description="List JIT requests per VM and port: requestor, source, when they end, status, reason.",
        epilog=STATUS_EXAMPLES,
        formatter_class=raw,
    )
    _vm_options(status, required=False)
    status.add_argument("--all", action="store_true", help="include requests that ended more than 24 hours ago")
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    decisions = status.add_argument_group("approval mode")
    decisions.add_argument("--request", metavar="RUN_ID", help="one approval request (the id `jit request` printed)")
    _decision_options(decisions)
    _azure_options(status)
    status.set_defaults(handler=_handle_status)

    revoke = subparsers.add_parser(
        "revoke",
        help="end your active JIT access to a port early (by replacing it; see --help)",
        description="End active JIT access to a VM's port early, as far as the JIT API allows.",
        epilog=REVOKE_EXAMPLES,
        formatter_class=raw,
    )
    _vm_options(revoke, required=True)
    revoke.add_argument("--port", type=_port, required=True, help="the port whose access should end")
    revoke.add_argument("--justification", metavar="TEXT", help="added to the replacement request's reason")
    revoke.add_argument("--force", action="store_true", help="also when the active access is someone else's")
    revoke.add_argument(
        "--wait-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long to check that Azure replaced the request (default: 60)",
    )
    _azure_options(revoke)
    revoke.set_defaults(handler=_handle_revoke)
