"""What can go wrong for a requester, as exit statuses and one-line advice.

Exit statuses: 0 ok, 1 the request was refused or failed (Azure said no, the policy does not allow it),
2 a usage or input error (fix the command line), 3 a service fault (Azure could not be reached, timed out,
kept failing with 429/5xx, or answered something that is not the JIT API: try again later).
"""

from __future__ import annotations

import re
from typing import Any

from azure_jit_access.rules.arm_ids import parse_arm_id

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3


class UsageError(ValueError):
    """The command line is wrong: the message names the option and the fix (exit status 2)."""


class RefusedError(Exception):
    """The request cannot or did not succeed: the policy does not allow it or Azure said no (exit status 1)."""


class ServiceFault(Exception):
    """Azure did not answer usably: unreachable, too slow, failing, or not the JIT API (exit status 3)."""


def is_service_fault(error: Any) -> bool:
    """True for errors that say nothing about the request itself: network, timeouts, 429/5xx, unreadable answers."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        DecodeError,
        DeserializationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(error, (DecodeError, DeserializationError, ServiceRequestError, ServiceResponseError)):
        return True
    if isinstance(error, ClientAuthenticationError):
        return False
    status = getattr(error, "status_code", None)
    # A status below 400 that the operation does not expect (200 for a 202) is not an answer of the JIT API.
    return isinstance(error, HttpResponseError) and (status is None or status < 400 or status == 429 or status >= 500)


_ACTION = re.compile(r"perform action '([^']+)'")
_SCOPE = re.compile(r"over scope '([^']+)'")


def _scope_words(scope: str) -> str:
    try:
        parsed = parse_arm_id(scope)
    except ValueError:
        return scope
    if parsed.resource_group:
        return f"resource group {parsed.resource_group}"
    return f"subscription {parsed.subscription}" if parsed.subscription else scope


def _error_parts(error: Any) -> tuple[int | None, str, str]:
    status = getattr(error, "status_code", None)
    odata = getattr(error, "error", None)
    code = getattr(odata, "code", None) or ""
    message = getattr(odata, "message", None) or getattr(error, "message", None) or str(error)
    # Azure messages can span lines; the advice must stay on one.
    return status, code, " ".join(str(message).split())


def describe_azure_error(error: Any, *, doing: str, scope: str) -> str:
    """Turn an Azure SDK error into one line that says what happened and what to do.

    Args:
        error: an `azure.core.exceptions.AzureError` (HttpResponseError, ClientAuthenticationError, ...).
        doing: what we were doing, e.g. "request access to vm1".
        scope: the ARM scope involved (a resource group or policy id), used when Azure does not name one.
    """
    from azure.core.exceptions import (
        ClientAuthenticationError,
        DecodeError,
        DeserializationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    status, code, message = _error_parts(error)
    if isinstance(error, (DecodeError, DeserializationError)):
        return (
            f"Azure's answer to {doing} could not be read ({message[:120]}); expected the JIT API's JSON. A proxy "
            "or captive portal may be answering instead of Azure: check --endpoint and the network, then try again"
        )
    if isinstance(error, ServiceResponseError) or (isinstance(error, ServiceRequestError) and "timed out" in message):
        return (
            f"Azure did not answer in time or closed the connection to {doing} ({message[:120]}). Try again later; "
            "check the network, --cloud and --endpoint"
        )
    if isinstance(error, ClientAuthenticationError) and status is None:
        # DefaultAzureCredential explains every credential it tried; the first line is the gist.
        first_line = (str(getattr(error, "message", None) or error).strip().splitlines() or [""])[0]
        return (
            f"could not sign in to Azure to {doing} ({first_line.rstrip('.')}). Run `az login` (with --tenant if "
            "the VM is in another tenant), set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or run where "
            "a managed identity is available"
        )
    if isinstance(error, ServiceRequestError):
        return (
            f"could not reach Azure Resource Manager to {doing}: {message}. Check the network, --cloud and --endpoint"
        )
    if not isinstance(error, HttpResponseError) or status is None:
        return f"Azure failed to {doing}: {message}"
    if status < 400:
        return (
            f"Azure's answer to {doing} was an unexpected HTTP {status}; expected the JIT API's JSON. A proxy or "
            "captive portal may be answering instead of Azure: check --endpoint and the network, then try again"
        )
    if status == 401:
        return (
            f"Azure did not accept the sign-in to {doing} ({code or 'Unauthorized'}). Run `az login` again, "
            "and pass --tenant if the subscription is in another tenant"
        )
    if status == 403:
        action = _ACTION.search(message)
        named = _SCOPE.search(message)
        where = _scope_words(named.group(1) if named else scope)
        needed = f" ({action.group(1)})" if action else ""
        narrower = (
            "; if your role is on one resource group, pass --resource-group" if where.startswith("subscription") else ""
        )
        return (
            f"Azure refused to {doing}: you need the JIT requester role on {where}{needed}{narrower}. Ask the team "
            "that runs azure-jit-access to assign it to you, then run `az login` again to refresh your token"
        )
    if status == 404:
        return (
            f"Azure found nothing to {doing} ({code or 'NotFound'}: {message}). Check --subscription and "
            "--resource-group, or ask for JIT to be enabled on the VM; `jit status` lists what you can request"
        )
    if status == 400:
        return (
            f"Azure rejected the request to {doing} as invalid ({code or 'BadRequest'}: {message}). Check --port, "
            "--source and --duration against `jit status`; note Azure matches sources literally against the "
            "policy's allowed prefixes"
        )
    if status == 409:
        return f"Azure refused to {doing} because of a conflict ({code}: {message}). Wait a minute and try again"
    if status == 429:
        return f"Azure kept throttling the calls to {doing} (HTTP 429 {code}: {message}). Wait a minute and try again"
    return f"Azure failed to {doing} (HTTP {status} {code}: {message}). Try again later"
