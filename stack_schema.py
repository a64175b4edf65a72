"""The typed schema of the program's stack config (`azure-jit-access:*` in `Pulumi.<stack>.yaml`).

Checked before any value is used: a wrong type is an error, never coerced (`publicIp: "false"` is a string,
and `bool("false")` is True, so a quoted boolean would silently create a public IP); an unknown key is an
error with a "did you mean". Semantic checks (CIDRs, durations, names) stay in `stack_config.py` and the
component validators: this module only makes sure they receive the types they expect.

Pulumi passes top-level scalars as strings (`requesterPortal: false` arrives as "false"), and objects and
lists as JSON text; nested values keep their YAML types, which is where the quoted-boolean trap lives.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

NAMESPACE = "azure-jit-access"


class ConfigError(pulumi.RunError, ValueError):
    """A stack config mistake; the message names the file, the key path and the fix.

    A `pulumi.RunError` (as Pulumi's own `ConfigTypeError` is), so `pulumi up` prints the message alone,
    without the traceback and source listing it prints for other exceptions.
    """


@dataclass(frozen=True)
class Spec:
    """The expected shape of one config value."""

    kind: str
    """string, boolean, integer, port, list, mapping (known fields) or dict (string to string)."""
    items: Spec | None = None
    """For `list`: the shape of every item."""
    fields: Mapping[str, Spec] = field(default_factory=dict)
    """For `mapping`: the known keys."""
    description: str = ""
    """What the key means (also in Pulumi.yaml's `config:`)."""


STRING, BOOLEAN, INTEGER = Spec("string"), Spec("boolean"), Spec("integer")
STRINGS = Spec("list", items=STRING)
PORT_OR_RANGE = Spec("port")


def _mapping(**fields: Spec) -> Spec:
    return Spec("mapping", fields=fields)


RULE = _mapping(
    name=STRING,
    priority=INTEGER,
    ports=Spec("list", items=PORT_OR_RANGE),
    sources=STRINGS,
    access=STRING,
    direction=STRING,
    protocol=STRING,
    description=STRING,
)
VM = _mapping(
    name=STRING,
    os=STRING,
    size=STRING,
    publicIp=BOOLEAN,
    ports=Spec("list", items=INTEGER),
    winrm=BOOLEAN,
    image=_mapping(publisher=STRING, offer=STRING, sku=STRING, version=STRING),
    extraRules=Spec("list", items=RULE),
    computerName=STRING,
)
APPROVALS = _mapping(
    tenantId=STRING,
    approvers=STRINGS,
    approvalTimeout=STRING,
    maxDurationMinutes=INTEGER,
    http=_mapping(audience=STRING, allowedCallerIpRanges=STRINGS),
    forms=_mapping(
        formId=STRING,
        fields=_mapping(vm=STRING, port=STRING, sourceIp=STRING, durationMinutes=STRING, justification=STRING),
    ),
)

TOP_LEVEL: dict[str, Spec] = {
    "resourceGroupName": Spec("string", description="Resource group of the estate (default rg-jit-<stack>)"),
    "accessMode": Spec("string", description="public (VM public IPs) or bastion (no public IPs, Azure Bastion)"),
    "network": _mapping(addressSpace=STRING, workloadSubnetPrefix=STRING, bastionSubnetPrefix=STRING),
    "allowedSourcePrefixes": Spec(
        "list", items=STRING, description="Public mode: the IPs or CIDRs JIT may open ports to; never '*'"
    ),
    "maxRequestAccessDuration": Spec("string", description="Longest JIT grant, ISO 8601 from PT5M to PT24H"),
    "jitPolicyName": Spec("string", description="Name of the resource group's JIT policy"),
    "adminUsername": Spec("string", description="Local admin user of every VM"),
    "sshPublicKey": Spec("string", description="OpenSSH public key of the Linux VMs' admin user"),
    "vms": Spec("list", items=VM),
    "bastion": _mapping(sku=STRING, enableTunneling=BOOLEAN),
    "defender": _mapping(subscriptionId=STRING, extensions=STRINGS, retainOnDelete=BOOLEAN, protect=BOOLEAN),
    "tags": Spec("dict"),
    "requesterGroupIds": Spec("list", items=STRING, description="Entra group object ids that may request access"),
    "requesterPortal": Spec("boolean", description="Add the two reads the portal's Connect blade needs"),
    "policyScope": Spec("string", description="Scope of the deny-wildcard-source policy (default: subscription)"),
    "policyEffect": Spec("string", description="Effect of the deny-wildcard-source policy: Deny or Audit"),
    "assignJitAuditPolicy": Spec("boolean", description="Also assign the built-in JIT audit policy"),
    "audit": _mapping(
        enabled=BOOLEAN,
        alertEmails=STRINGS,
        retentionInDays=INTEGER,
        existingWorkspaceId=STRING,
        exportActivityLog=BOOLEAN,
        alertFrequency=STRING,
        alertWindow=STRING,
        retainAuditData=BOOLEAN,
    ),
    "approvals": APPROVALS,
    # Estate roles (docs/estate.md): which stack owns what.
    "role": Spec("string", description="all-in-one (default), platform or workload"),
    "platformStack": Spec("string", description="Workload role: the platform stack, org/project/stack"),
    "subscriptions": Spec("list", items=STRING, description="Platform role: subscriptions it covers"),
    "resourceGroups": Spec(
        "list",
        items=_mapping(
            name=STRING,
            location=STRING,
            network=_mapping(addressSpace=STRING, workloadSubnetPrefix=STRING),
            vms=Spec("list", items=VM),
        ),
        description="Workload role: resource groups (one region each) and their new VMs",
    ),
    "existingVms": Spec(
        "list",
        items=_mapping(id=STRING, location=STRING, os=STRING, ports=Spec("list", items=INTEGER), nsgIds=STRINGS),
        description="Workload role: VMs that already exist, brought under JIT without touching them",
    ),
}
"""Every key of the project's namespace; a key not listed here is a typo."""

_WORDS = {"string": "a string", "boolean": "true or false", "integer": "a whole number", "dict": "a mapping"}


def did_you_mean(word: str, known: Any) -> str:
    """` (did you mean 'x'?)` for the closest known word, else the list of known words."""
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    if close:
        return f"did you mean '{close[0]}'?"
    return f"known keys: {', '.join(sorted(known))}"


def _type_name(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"a {'list' if isinstance(value, list) else 'mapping' if isinstance(value, dict) else type(value).__name__}"


def check(value: Any, spec: Spec, path: str) -> None:
    """Raise `ConfigError` naming `path` when `value` does not have the shape `spec` describes."""
    kind = spec.kind
    if kind == "boolean":
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no", "on", "off"):
            word = "true" if value.strip().lower() in ("true", "yes", "on") else "false"
            raise ConfigError(
                f"{path}: {value!r} is quoted text, not a boolean (quoted text would read as true); "
                f"write {word} unquoted"
            )
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false (unquoted), got {_type_name(value)}")
    elif kind == "string":
        if not isinstance(value, str):
            scalar = isinstance(value, (bool, int, float))
            hint = f"; write '{value}' in quotes if it is meant as text" if scalar else ""
            raise ConfigError(f"{path}: expected a string, got {_type_name(value)}{hint}")
    elif kind == "integer":
        if isinstance(value, str) and value.strip().isdigit():
            raise ConfigError(f"{path}: {value!r} is a quoted string, not a number; write {value.strip()} unquoted")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected a whole number, got {_type_name(value)}")
    elif kind == "port":
        # A port is a number; a range is text such as "8000-8100" (checked by the NSG rule validator).
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(f"{path}: expected a port number or a range like '8000-8100', got {_type_name(value)}")
    elif kind == "list":
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected a list (- item lines or [a, b]), got {_type_name(value)}")
        assert spec.items is not None
        for index, item in enumerate(value):
            check(item, spec.items, f"{path}[{index}]")
    elif kind == "dict":
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping of names to text, got {_type_name(value)}")
        for key, item in value.items():
            if not isinstance(item, str):
                raise ConfigError(f"{path}.{key}: expected a string, got {_type_name(item)}; quote it")
    elif kind == "mapping":
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping (key: value lines), got {_type_name(value)}")
        for key, item in value.items():
            if key not in spec.fields:
                raise ConfigError(f"{path}: unknown key '{key}'; {did_you_mean(str(key), spec.fields)}")
            if item is None:
                raise ConfigError(f"{path}.{key}: has no value; give one or remove the key")
            check(item, spec.fields[key], f"{path}.{key}")
    else:  # pragma: no cover - a schema typo, not a user input
        raise AssertionError(f"unknown spec kind {kind}")


def parse_raw(key: str, text: str, spec: Spec) -> Any:
    """A top-level config value as the program sees it: objects and lists from JSON, scalars as text."""
    path = f"{NAMESPACE}:{key}"
    if text == "":
        raise ConfigError(f"{path}: has no value; give one or remove the key")
    if spec.kind in ("list", "mapping", "dict"):
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        check(value, spec, path)
        return value
    if spec.kind == "boolean":
        if text not in ("true", "false"):
            raise ConfigError(f"{path}: expected true or false, got {text!r}")
        return text == "true"
    return text


def validate_namespace(config: Mapping[str, str]) -> dict[str, Any]:
    """Check every `azure-jit-access:*` key of a stack's config; return the parsed values by short key.

    Args:
        config: the full config map (`namespace:key` to Pulumi's string form).

    Raises:
        ConfigError: an unknown key (with the closest known one) or a value of the wrong type.
    """
    values: dict[str, Any] = {}
    prefix = f"{NAMESPACE}:"
    for full, text in sorted(config.items()):
        if not full.startswith(prefix):
            continue
        key = full[len(prefix) :]
        spec = TOP_LEVEL.get(key)
        if spec is None:
            raise ConfigError(f"{full}: unknown key; {did_you_mean(key, TOP_LEVEL)}")
        values[key] = parse_raw(key, text if isinstance(text, str) else json.dumps(text), spec)
    return values
