"""Logic App policies: ARM calls with the managed identity and no secrets; no open Request trigger."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from .docs import policy_url
from .props import as_list, is_type, is_unknown, plain, raise_if_unverified, resource_name, settings
from .sources import SOURCE_CONFIG_SCHEMA, internet_wide_findings, limits_from, source_defaults
from .workflow_gaps import extra_secret_findings, only_interpolates, public_parameters

WORKFLOW_TYPE = "azure-native:logic:Workflow"
DEFAULT_ARM_HOSTS = (
    "management.azure.com",
    "management.usgovcloudapi.net",
    "management.chinacloudapi.cn",
    "management.core.windows.net",
)

# Keys whose literal value is a credential (compared lower case, without '-' and '_').
SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "clientsecret",
        "pfx",
        "sharedaccesskey",
        "accountkey",
        "apikey",
        "accesskey",
        "subscriptionkey",
        "ocpapimsubscriptionkey",
        "xfunctionskey",
        "connectionstring",
        "sastoken",
        "authorization",
    }
)
# Fragments of literal strings that carry a credential (SAS signatures, function keys, connection strings).
SECRET_FRAGMENTS = ("?sig=", "&sig=", "?code=", "&code=", "accountkey=", "sharedaccesskey=", "password=")


def definition_of(props: Mapping[str, Any]) -> Any:
    """The workflow definition as a dict (it may be given as JSON text)."""
    definition = props.get("definition")
    if isinstance(definition, str) and not is_unknown(definition):
        try:
            return json.loads(definition)
        except json.JSONDecodeError:
            return {}
    return definition


def walk_actions(actions: Any, path: str = "actions") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every action, nested ones included (Scope, If/else, Switch cases/default, Foreach, Until)."""
    if not isinstance(actions, Mapping):
        return
    for name, action in actions.items():
        if not isinstance(action, Mapping):
            continue
        where = f"{path}.{name}"
        yield where, action
        yield from walk_actions(action.get("actions"), f"{where}.actions")
        for branch in ("else", "default"):
            if isinstance(action.get(branch), Mapping):
                yield from walk_actions(action[branch].get("actions"), f"{where}.{branch}.actions")
        cases = action.get("cases")
        for case, body in cases.items() if isinstance(cases, Mapping) else []:
            if isinstance(body, Mapping):
                yield from walk_actions(body.get("actions"), f"{where}.cases.{case}.actions")


def _literal(value: Any) -> bool:
    # A workflow expression (`@parameters('x')`, `@{...}`) is a reference, not a stored secret.
    return (
        isinstance(value, str)
        and bool(value.strip())
        and not value.lstrip().startswith("@")
        and not is_unknown(value)
        and not only_interpolates(value)
    )


def secret_findings(value: Any, path: str = "definition") -> list[str]:
    """Paths of literal credentials anywhere in a definition (or workflow parameters)."""
    found = []
    if isinstance(value, Mapping):
        kind = str(value.get("type", "")).lower()
        for key in ("defaultValue", "value"):
            if (
                kind in ("securestring", "secureobject")
                and value.get(key) not in (None, "", {})
                and not str(value.get(key)).lstrip().startswith("@")
            ):
                found.append(f"{path}.{key} (a secure parameter with a literal value)")
        if kind == "raw" and _literal(value.get("value")):
            found.append(f"{path}.value (Raw authentication with a literal credential)")
        for key, item in value.items():
            normalized = str(key).lower().replace("-", "").replace("_", "")
            named_value = item.get("value", item.get("defaultValue")) if isinstance(item, Mapping) else item
            if normalized in SECRET_KEYS and (_literal(named_value) or isinstance(named_value, (int, float))):
                found.append(f"{path}.{key}")
            else:
                found += secret_findings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += secret_findings(item, f"{path}[{index}]")
    elif _literal(value) and any(fragment in value.lower() for fragment in SECRET_FRAGMENTS):
        found.append(f"{path} (a URL or connection string with a key)")
    return found


def check_managed_identity(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `workflow-uses-managed-identity`."""
    if not is_type(args.resource_type, WORKFLOW_TYPE):
        args.not_applicable("not a Logic App workflow")
    props = plain(args.props)
    hosts = [h.lower() for h in settings(args.get_config(), {"armHosts": list(DEFAULT_ARM_HOSTS)})["armHosts"]]
    name = resource_name(props, "workflowName", args.name)
    definition = definition_of(props)
    if is_unknown(definition):
        raise_if_unverified(["definition"])
    for where, action in walk_actions((definition or {}).get("actions") if isinstance(definition, Mapping) else {}):
        raw_inputs = action.get("inputs")
        inputs: Mapping[str, Any] = raw_inputs if isinstance(raw_inputs, Mapping) else {}
        uri = str(inputs.get("uri", "")).lower()
        if str(action.get("type", "")).lower() != "http" or not any(host in uri for host in hosts):
            continue
        raw_auth = inputs.get("authentication")
        auth: Mapping[str, Any] = raw_auth if isinstance(raw_auth, Mapping) else {}
        kind = str(auth.get("type", "")).strip()
        if kind.lower() != "managedserviceidentity":
            report_violation(
                f"Workflow '{name}' {where} calls Azure Resource Manager with "
                f"{('authentication ' + repr(kind)) if kind else 'no authentication'}, not its managed identity.",
                None,
            )
    paths = secret_findings(definition) + secret_findings(public_parameters(props.get("parameters")), "parameters")
    seen = {path.split(" ")[0] for path in paths}
    paths += [p for p in extra_secret_findings(definition, props.get("parameters")) if p.split(" ")[0] not in seen]
    for path in paths:
        report_violation(
            f"Workflow '{name}' stores a credential in {path}. Anyone who can read the workflow can read it.",
            None,
        )


def _address_sources(entry: Any) -> list[str]:
    # allowedCallerIpAddresses entries are CIDRs or `first-last` ranges.
    text = entry.get("addressRange") if isinstance(entry, Mapping) else None
    if not isinstance(text, str):
        return []
    first, dash, last = text.partition("-")
    if dash:
        try:
            networks = ipaddress.summarize_address_range(
                ipaddress.ip_address(first.strip()), ipaddress.ip_address(last.strip())
            )
            return [str(n) for n in networks]
        except (ValueError, TypeError):
            return [text]
    return [text]


def trigger_protection(access_control: Any, config: Mapping[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(what secures Request triggers, what is wrong with the attempt, unknown fields) from `accessControl`."""
    triggers = access_control.get("triggers") if isinstance(access_control, Mapping) else None
    if is_unknown(access_control) or is_unknown(triggers):
        return [], [], ["accessControl.triggers"]
    triggers = triggers if isinstance(triggers, Mapping) else {}
    secured, problems, unknown = [], [], []
    container = triggers.get("openAuthenticationPolicies")
    policies = container.get("policies") if isinstance(container, Mapping) else container
    if is_unknown(policies):
        unknown.append("openAuthenticationPolicies")
    for policy_name, policy in policies.items() if isinstance(policies, Mapping) else []:
        policy = policy if isinstance(policy, Mapping) else {"type": policy}
        claims = [c for c in as_list(policy.get("claims")) if isinstance(c, Mapping)]
        issuer = any(str(c.get("name", "")).lower() == "iss" and str(c.get("value", "")).strip() for c in claims)
        if is_unknown(policy.get("type")) or is_unknown(policy.get("claims")):
            unknown.append(f"OAuth policy '{policy_name}'")
        elif str(policy.get("type", "")).upper() == "AAD" and issuer:
            secured.append(f"OAuth policy '{policy_name}'")
        else:
            problems.append(f"OAuth policy '{policy_name}' needs type 'AAD' and an 'iss' claim naming your tenant")
    addresses = triggers.get("allowedCallerIpAddresses")
    if is_unknown(addresses):
        unknown.append("allowedCallerIpAddresses")
    elif isinstance(addresses, list) and addresses:
        sources = [s for entry in addresses for s in _address_sources(entry)]
        findings = internet_wide_findings(sources, limits_from(config))
        if findings:
            problems.append(f"the caller IP allow-list is internet-wide: {'; '.join(findings)}")
        elif sources:
            secured.append("caller IP allow-list")
    return secured, problems, unknown


def check_request_trigger(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Validate one resource for `workflow-request-trigger-secured`."""
    if not is_type(args.resource_type, WORKFLOW_TYPE):
        args.not_applicable("not a Logic App workflow")
    props = plain(args.props)
    definition = definition_of(props)
    if is_unknown(definition):
        raise_if_unverified(["definition"])
    triggers = definition.get("triggers") if isinstance(definition, Mapping) else None
    requests = [
        n
        for n, t in (triggers.items() if isinstance(triggers, Mapping) else [])
        if isinstance(t, Mapping) and str(t.get("type", "")).lower() == "request"
    ]
    if not requests:
        return
    secured, problems, unknown = trigger_protection(
        props.get("accessControl"), settings(args.get_config(), source_defaults())
    )
    if secured:
        return
    if unknown and not problems:
        raise_if_unverified(unknown)
    name = resource_name(props, "workflowName", args.name)
    report_violation(
        f"Workflow '{name}' has Request trigger{'s' if len(requests) > 1 else ''} "
        f"{', '.join(repr(r) for r in requests)} that anyone holding the URL can call"
        + (f" ({'; '.join(problems)})" if problems else "")
        + ".",
        None,
    )


workflow_uses_managed_identity = ResourceValidationPolicy(
    name="workflow-uses-managed-identity",
    description="Logic App HTTP actions calling Azure Resource Manager must authenticate with the managed identity; "
    "no secrets, keys or passwords in the workflow definition or parameters.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_managed_identity,
    severity=Severity.CRITICAL,
    remediation_steps='Authenticate every ARM call with the workflow\'s managed identity (authentication {"type": '
    '"ManagedServiceIdentity", "audience": "https://management.azure.com/"}), grant that identity only the JIT '
    "requester role, and use API connections instead of keys, passwords and client secrets.",
    url=policy_url("workflow-uses-managed-identity"),
    config_schema=PolicyConfigSchema(
        properties={
            "armHosts": {
                "type": "array",
                "items": {"type": "string"},
                "default": list(DEFAULT_ARM_HOSTS),
                "description": "Host names of Azure Resource Manager endpoints (sovereign clouds included).",
            }
        }
    ),
)

workflow_request_trigger_secured = ResourceValidationPolicy(
    name="workflow-request-trigger-secured",
    description="A Logic App Request trigger needs an Entra ID OAuth policy or a caller IP allow-list in "
    "accessControl.triggers.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=check_request_trigger,
    severity=Severity.HIGH,
    remediation_steps="Add accessControl.triggers.openAuthenticationPolicies with an AAD policy (claim 'iss' = "
    "https://sts.windows.net/<tenant-id>/) and/or allowedCallerIpAddresses listing the callers' networks.",
    url=policy_url("workflow-request-trigger-secured"),
    config_schema=PolicyConfigSchema(properties=dict(SOURCE_CONFIG_SCHEMA)),
)

POLICIES = [workflow_uses_managed_identity, workflow_request_trigger_secured]
