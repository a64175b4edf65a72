"""Checks that Azure's answers have the shape of the JIT API (2020-01-01) before anything reads them.

The REST spec (`Microsoft.Security/stable/2020-01-01/jitNetworkAccessPolicies.json`) defines a policy as
`id`, `name`, `location` and `properties.virtualMachines[].{id, ports[].{number, protocol,
maxRequestAccessDuration, allowedSourceAddressPrefix(es)}}` plus `requests[]`; the initiate operation answers
202 with the `JitNetworkAccessRequest` it created: `virtualMachines[].ports[].{number, status, statusReason}`,
whose example (`InitiateJitNetworkAccessPolicy_example.json`) shows `status: Initiating`; the SDK's `Status`
enum adds `Initiated` and `Revoked`. An answer that is not of that shape (a proxy's HTML page, an empty body,
a policy without an id, null where a list belongs) is a service fault naming what was expected, instead of a
traceback or, worse, a success message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure_jit_access.cli.requester.errors import RefusedError, ServiceFault
from azure_jit_access.cli.requester.policies import policy_location

OPENING_STATUSES = ("initiating", "initiated")
"""Statuses of a requested port that mean Azure is opening or has opened it."""


def _fault(doing: str, expected: str) -> ServiceFault:
    return ServiceFault(
        f"Azure's answer to {doing} is not what the JIT API returns: expected {expected}. Try again later; if it "
        "persists, check --endpoint and any proxy in between"
    )


def _is_list(value: Any) -> bool:
    return value is None or isinstance(value, list)


def check_policy(policy: Any, where: str, doing: str) -> Any:
    """Raise `ServiceFault` unless `policy` has what the requester commands read; return it."""
    if policy is None:
        raise _fault(doing, f"a JIT policy at {where}, got an empty answer")
    policy_id = getattr(policy, "id", None)
    if not isinstance(policy_id, str):
        raise _fault(doing, f"{where}.id, the policy's ARM id, got {policy_id!r}")
    try:
        policy_location(policy)
    except ValueError:
        raise _fault(doing, f"{where}.id of the form .../locations/<loc>/jitNetworkAccessPolicies/<name>") from None
    if not isinstance(getattr(policy, "name", None), str):
        raise _fault(doing, f"{where}.name, the policy's name")
    machines = getattr(policy, "virtual_machines", None)
    if not _is_list(machines):
        raise _fault(doing, f"{where}.properties.virtualMachines as a list")
    for index, vm in enumerate(machines or []):
        at = f"{where}.virtualMachines[{index}]"
        if not isinstance(getattr(vm, "id", None), str):
            raise _fault(doing, f"{at}.id, the VM's ARM id")
        if not _is_list(getattr(vm, "ports", None)):
            raise _fault(doing, f"{at}.ports as a list")
        for number, rule in enumerate(vm.ports or []):
            port = getattr(rule, "number", None)
            if isinstance(port, bool) or not isinstance(port, int):
                raise _fault(doing, f"{at}.ports[{number}].number, a port number")
            if not isinstance(getattr(rule, "max_request_access_duration", None), str):
                raise _fault(doing, f"{at}.ports[{number}].maxRequestAccessDuration, an ISO 8601 duration")
    _check_requests(getattr(policy, "requests", None), f"{where}.requests", doing)
    return policy


def _check_requests(requests: Any, where: str, doing: str) -> None:
    if not _is_list(requests):
        raise _fault(doing, f"{where} as a list")
    for index, request in enumerate(requests or []):
        at = f"{where}[{index}]"
        if not _is_list(getattr(request, "virtual_machines", None)):
            raise _fault(doing, f"{at}.virtualMachines as a list")
        for vm_index, vm in enumerate(request.virtual_machines or []):
            if not isinstance(getattr(vm, "id", None), str) or not _is_list(getattr(vm, "ports", None)):
                raise _fault(doing, f"{at}.virtualMachines[{vm_index}] with an id and a ports list")
            for port in vm.ports or []:
                number, end = getattr(port, "number", None), getattr(port, "end_time_utc", None)
                if isinstance(number, bool) or not isinstance(number, int):
                    raise _fault(doing, f"{at}.virtualMachines[{vm_index}].ports[].number, a port number")
                if end is not None and not isinstance(end, datetime):
                    raise _fault(doing, f"{at}.virtualMachines[{vm_index}].ports[].endTimeUtc, a UTC time")


def check_policies(policies: Any, doing: str) -> list[Any]:
    """Every policy of a list answer checked by `check_policy`."""
    if not isinstance(policies, list):
        raise _fault(doing, "a list of JIT policies")
    return [check_policy(policy, f"value[{index}]", doing) for index, policy in enumerate(policies)]


def initiate_status(response: Any, vm_id: str, port: int, doing: str) -> str:
    """The status Azure gives our port in an initiate answer, when it is opening it.

    Raises:
        ServiceFault: the answer is empty or does not list the VM and port (exit 3).
        RefusedError: Azure lists the port with any status other than Initiating/Initiated (exit 1).
    """
    expected = f"the request it created, listing port {port} of the VM with status Initiating or Initiated"
    machines = getattr(response, "virtual_machines", None) if response is not None else None
    if not machines or not isinstance(machines, list):
        raise _fault(doing, f"{expected}; it listed no virtual machines")
    for vm in machines:
        if not isinstance(getattr(vm, "id", None), str) or vm.id.lower() != vm_id.lower():
            continue
        for entry in getattr(vm, "ports", None) or []:
            if getattr(entry, "number", None) != port:
                continue
            status = getattr(entry, "status", None)
            if isinstance(status, str) and status.lower() in OPENING_STATUSES:
                return status
            reason = getattr(entry, "status_reason", None)
            raise RefusedError(
                f"Azure answered the request for port {port} with status {status or 'none'}"
                f"{f' ({reason})' if reason else ''}, not Initiated: the port stays closed. Check "
                "`jit status` and the policy with the team that runs azure-jit-access"
            )
    raise _fault(doing, f"{expected}; the port is not in the answer")
