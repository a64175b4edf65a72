"""Logic App gaps: credentials outside the usual keys, expressions inside header values, and OAuth that SAS bypasses.

- A Request trigger with an Entra ID (OAuth) policy still accepts its SAS-signed URL: Azure Logic Apps
  evaluates either, and a caller with the URL needs no token (Microsoft Learn, "Secure access and data in
  Azure Logic Apps", Enable OAuth with Microsoft Entra ID). Only a trigger condition that requires a
  `Bearer` Authorization header (with `IncludeAuthorizationHeadersInOutputs`, or the header is not in the
  outputs) refuses SAS calls.
- Credentials hide in header names (`x-api-key`), `queries` (`code=` function keys), form bodies
  (`client_secret=...`) and String parameters with secret-like names.
- A value such as `Token token=@{body('auth')}` only interpolates an expression: not a stored secret. A
  SecureString workflow parameter (resource `parameters`) is Microsoft's way to pass a secret: Logic Apps
  never returns its value on GET or in run history.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .docs import policy_url
from .props import is_type, is_unknown, plain, raise_if_unverified, resource_name

WORKFLOW_TYPE = "azure-native:logic:Workflow"

_INTERPOLATION = re.compile(r"@\{[^}]*\}")
_SECRET_RUN = re.compile(r"[A-Za-z0-9+/_.\-]{12,}")
SECRET_NAME_PARTS = ("secret", "password", "passwd", "token", "apikey", "accesskey", "credential", "signature")
SECRET_QUERY_NAMES = frozenset({"code", "sig", "key", "apikey", "token", "accesstoken", "clientsecret", "password"})
SECRET_BODY_FRAGMENTS = ("client_secret=", "clientsecret=", "api_key=", "apikey=", "access_token=", "refresh_token=")
SECURE_TYPES = ("securestring", "secureobject")


def _normalized(name: Any) -> str:
    return str(name).lower().replace("-", "").replace("_", "")


def only_interpolates(value: Any) -> bool:
    """True when a string's literal part around `@{...}` expressions is too short to be a credential.

    `Token token=@{body('auth')?['token']}` -> True; `Bearer eyJ0eXAiOiJKV1Qi@{x}` -> False.
    """
    if not isinstance(value, str) or "@{" not in value:
        return False
    return _SECRET_RUN.search(_INTERPOLATION.sub(" ", value)) is None


def _literal(value: Any) -> bool:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and not value.lstrip().startswith("@")
        and not is_unknown(value)
        and not only_interpolates(value)
    )


def _secret_name(name: Any) -> bool:
    normalized = _normalized(name)
    return any(part in normalized for part in SECRET_NAME_PARTS) or normalized.endswith("key")


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def extra_secret_findings(definition: Any, parameters: Any) -> list[str]:
    """Paths of literal credentials in headers, queries, form bodies and secret-named String parameters."""
    found: list[str] = []
    for path, node in _walk(definition, "definition"):
        if not isinstance(node, Mapping):
            continue
        checks: tuple[tuple[str, frozenset[str] | None], ...] = (("headers", None), ("queries", SECRET_QUERY_NAMES))
        for key, names in checks:
            block = node.get(key)
            for name, value in block.items() if isinstance(block, Mapping) else []:
                hit = _normalized(name) in names if names else _secret_name(name)
                if hit and _literal(value):
                    found.append(f"{path}.{key}.{name}")
        body = node.get("body")
        if isinstance(body, str) and _literal(body) and any(f in body.lower() for f in SECRET_BODY_FRAGMENTS):
            found.append(f"{path}.body (a form body with a credential)")
    holders = [("parameters", parameters)]
    if isinstance(definition, Mapping):
        holders.append(("definition.parameters", definition.get("parameters")))
    for where, block in holders:
        for name, spec in block.items() if isinstance(block, Mapping) else []:
            if not isinstance(spec, Mapping) or str(spec.get("type", "")).lower() in SECURE_TYPES:
                continue
            value = spec.get("value", spec.get("defaultValue"))
            if _secret_name(name) and _literal(value):
                found.append(f"{where}.{name} (a String parameter named like a secret: make it SecureString)")
    return found


def public_parameters(parameters: Any) -> Any:
    """The workflow resource's `parameters` without SecureString/SecureObject ones (never returned by Azure)."""
    if not isinstance(parameters, Mapping):
        return parameters
    return {
        name: spec
        for name, spec in parameters.items()
        if not (isinstance(spec, Mapping) and str(spec.get("type", "")).lower() in SECURE_TYPES)
    }


def refuses_sas(trigger: Mapping[str, Any]) -> bool:
    """Whether a Request trigger's conditions require a Bearer Authorization header (which SAS calls lack)."""
    options = str(trigger.get("operationOptions", "")).lower()
    if "includeauthorizationheadersinoutputs" not in options:
        return False
    for condition in trigger.get("conditions") or []:
        expression = str(condition.get("expression", "")).lower() if isinstance(condition, Mapping) else ""
        if "authorization" in expression and "bearer" in expression and "startswith" in expression:
            return True
    return False


def check_sas_refused(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `workflow-request-trigger-refuses-sas`."""
    if not is_type(args.resource_type, WORKFLOW_TYPE):
        args.not_applicable("not a Logic App workflow")
    props = plain(args.props)
    definition, access = props.get("definition"), props.get("accessControl")
    if is_unknown(definition) or is_unknown(access):
        raise_if_unverified(["definition/accessControl"])
    triggers = (access or {}).get("triggers") if isinstance(access, Mapping) else None
    if not isinstance(triggers, Mapping) or triggers.get("allowedCallerIpAddresses"):
        return  # no OAuth at all is workflow-request-trigger-secured's case; an IP list limits SAS callers too
    if not triggers.get("openAuthenticationPolicies"):
        return
    declared = definition.get("triggers") if isinstance(definition, Mapping) else None
    workflow_triggers: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {}
    for name, trigger in workflow_triggers.items():
        if not isinstance(trigger, Mapping) or str(trigger.get("type", "")).lower() != "request":
            continue
        if refuses_sas(trigger):
            continue
        report_violation(
            f"Workflow '{resource_name(props, 'workflowName', args.name)}' Request trigger '{name}' has an Entra ID "
            "OAuth policy but still accepts its SAS-signed URL, so anyone holding the URL calls it without a token.",
            None,
        )


workflow_request_trigger_refuses_sas = ResourceValidationPolicy(
    name="workflow-request-trigger-refuses-sas",
    description="A Logic App Request trigger protected only by an Entra ID OAuth policy must refuse SAS-signed "
    "calls with a trigger condition that requires a Bearer Authorization header.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_sas_refused,
    severity=Severity.HIGH,
    remediation_steps="Add operationOptions 'IncludeAuthorizationHeadersInOutputs' to the Request trigger and the "
    "trigger condition @startsWith(triggerOutputs()?['headers']?['Authorization'], 'Bearer '), so calls signed "
    "only with the SAS URL are refused.",
    url=policy_url("workflow-request-trigger-refuses-sas"),
)

POLICIES = [workflow_request_trigger_refuses_sas]
