"""Deterministic, ARM-shaped ids and outputs for the mock engine.

A real deployment gets ids and computed outputs (a managed identity's principal id, a NIC's private IP)
from Azure. The offline preview invents them, but always the same way for the same inputs, so two runs
of one program give byte-identical JSON and downstream components see values of the right shape.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import ipaddress
import uuid
from typing import Any

from azure_jit_access.cli.preview.model import UNKNOWN_WIRE

DEFAULT_SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
DEFAULT_TENANT_ID = "00000000-0000-4000-8000-000000000002"
DEFAULT_CLIENT_OBJECT_ID = "00000000-0000-4000-8000-000000000003"
DEFAULT_CLIENT_ID = "00000000-0000-4000-8000-000000000004"

_NAMESPACE = uuid.UUID("6f1c1f0e-5a5e-4c8a-9c59-0a3d1e7a5b10")

# Resource provider namespaces whose spelling cannot be derived from the module name.
_PROVIDER_NAMESPACES = {
    "monitor": "Microsoft.Insights",
    "insights": "Microsoft.Insights",
    "operationalinsights": "Microsoft.OperationalInsights",
    "managedidentity": "Microsoft.ManagedIdentity",
    "keyvault": "Microsoft.KeyVault",
    "containerservice": "Microsoft.ContainerService",
}

# Types whose id is not `<rg>/providers/<ns>/<plural type>/<name>`: (path template, name input key).
# `{scope}` templates hang the resource under another id (subscription, resource group, resource).
_ID_TEMPLATES: dict[str, tuple[str, str]] = {
    "azure-native:resources:ResourceGroup": ("/subscriptions/{sub}/resourceGroups/{name}", "resourceGroupName"),
    "azure-native:network:SecurityRule": (
        "{rg}/providers/Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}/securityRules/{name}",
        "securityRuleName",
    ),
    "azure-native:network:Subnet": (
        "{rg}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{name}",
        "subnetName",
    ),
    "azure-native:compute:VirtualMachine": ("{rg}/providers/Microsoft.Compute/virtualMachines/{name}", "vmName"),
    "azure-native:network:PublicIPAddress": (
        "{rg}/providers/Microsoft.Network/publicIPAddresses/{name}",
        "publicIpAddressName",
    ),
    "azure-native:security:JitNetworkAccessPolicy": (
        "{rg}/providers/Microsoft.Security/locations/{ascLocation}/jitNetworkAccessPolicies/{name}",
        "jitNetworkAccessPolicyName",
    ),
    "azure-native:security:Pricing": ("{scopeId}/providers/Microsoft.Security/pricings/{name}", "pricingName"),
    "azure-native:authorization:RoleDefinition": (
        "{scope}/providers/Microsoft.Authorization/roleDefinitions/{name}",
        "roleDefinitionId",
    ),
    "azure-native:authorization:RoleAssignment": (
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "roleAssignmentName",
    ),
    "azure-native:authorization:PolicyDefinition": (
        "/subscriptions/{sub}/providers/Microsoft.Authorization/policyDefinitions/{name}",
        "policyDefinitionName",
    ),
    "azure-native:authorization:PolicyDefinitionAtManagementGroup": (
        "/providers/Microsoft.Management/managementGroups/{managementGroupId}"
        "/providers/Microsoft.Authorization/policyDefinitions/{name}",
        "policyDefinitionName",
    ),
    "azure-native:authorization:PolicyAssignment": (
        "{scope}/providers/Microsoft.Authorization/policyAssignments/{name}",
        "policyAssignmentName",
    ),
    "azure-native:monitor:SubscriptionDiagnosticSetting": (
        "/subscriptions/{sub}/providers/Microsoft.Insights/diagnosticSettings/{name}",
        "name",
    ),
    "azure-native:monitor:DiagnosticSetting": (
        "{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}",
        "name",
    ),
    "azure-native:monitor:ScheduledQueryRule": (
        "{rg}/providers/Microsoft.Insights/scheduledQueryRules/{name}",
        "ruleName",
    ),
    "azure-native:operationalinsights:SavedSearch": (
        "{rg}/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}/savedSearches/{name}",
        "savedSearchId",
    ),
    "azure-native:operationalinsights:Table": (
        "{rg}/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}/tables/{name}",
        "tableName",
    ),
}


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def stable_guid(*parts: str) -> str:
    """A GUID derived from the parts, the same on every run."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _lower_first(word: str) -> str:
    return word[:1].lower() + word[1:]


def _plural(word: str) -> str:
    if word.endswith("s"):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def split_token(type_: str) -> tuple[str, str, str]:
    """Split `azure-native:network:SecurityRule` into (package, module, type name)."""
    parts = type_.split(":")
    if len(parts) != 3:
        return type_, "", ""
    package, module, name = parts
    return package, module.split("/")[0], name


def azure_name(type_: str, logical_name: str, inputs: dict[str, Any]) -> str:
    """The Azure resource name: the explicit `<type>Name` input, else the logical name.

    A real deployment auto-names with a random suffix; the preview keeps the logical name so that its
    output is stable.
    """
    template = _ID_TEMPLATES.get(type_)
    key = template[1] if template else _lower_first(split_token(type_)[2]) + "Name"
    value = inputs.get(key)
    return value if isinstance(value, str) and value else logical_name


def arm_id(type_: str, logical_name: str, inputs: dict[str, Any], subscription_id: str) -> str:
    """An ARM-shaped id for an azure-native resource (or a stable opaque id for anything else)."""
    package, module, type_name = split_token(type_)
    if package != "azure-native":
        return _digest(type_, logical_name)[:32]
    name = azure_name(type_, logical_name, inputs)
    sub = f"/subscriptions/{subscription_id}"
    rg = f"{sub}/resourceGroups/{inputs.get('resourceGroupName', 'unknown-rg')}"
    template = _ID_TEMPLATES.get(type_)
    if template is None:
        namespace = _PROVIDER_NAMESPACES.get(module, "Microsoft." + module[:1].upper() + module[1:])
        collection = _plural(_lower_first(type_name))
        if "resourceGroupName" in inputs:
            prefix = rg
        elif isinstance(inputs.get("scope"), str):
            prefix = inputs["scope"].rstrip("/")
        else:
            prefix = sub
        return f"{prefix}/providers/{namespace}/{collection}/{name}"
    values = {k: v for k, v in inputs.items() if isinstance(v, str)}
    values.update({"sub": subscription_id, "rg": rg, "name": name})
    for key in ("scope", "scopeId", "resourceUri"):
        values[key] = str(inputs.get(key) or sub).rstrip("/")
    values.setdefault("managementGroupId", "unknown-mg")
    try:
        return template[0].format(**values)
    except KeyError as missing:
        return template[0].replace("{" + str(missing).strip("'") + "}", "unknown").format(**values)


@functools.lru_cache(maxsize=1024)
def has_input(type_: str, key: str) -> bool:
    """Whether the installed azure-native SDK's resource class for `type_` takes the input `key` (snake_case)."""
    package, module, name = split_token(type_)
    if package != "azure-native":
        return False
    try:
        cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name)
        return key in inspect.signature(cls._internal_init).parameters
    except (ImportError, AttributeError, TypeError, ValueError):
        return False


def _identity(identity: dict[str, Any], urn: str, tenant_id: str) -> dict[str, Any] | None:
    """A managed identity block as Azure returns it: principal ids, and user-assigned ids as a map."""
    kind = str(identity.get("type", ""))
    out = dict(identity)
    if "SystemAssigned" in kind:
        out.update(principalId=stable_guid("principal", urn), tenantId=tenant_id)
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, list):
        # Inputs list the identities' ids; outputs map each id to its principal and client ids.
        if all(isinstance(i, str) and i != UNKNOWN_WIRE for i in assigned):
            out["userAssignedIdentities"] = {
                i: {"principalId": stable_guid("uai-principal", i), "clientId": stable_guid("uai-client", i)}
                for i in assigned
            }
        else:
            out["userAssignedIdentities"] = UNKNOWN_WIRE
    elif "SystemAssigned" not in kind:
        return None
    return out


def _public_ip(seed: str) -> str:
    digest = bytes.fromhex(_digest("public-ip", seed)[:6])
    # 20.0.0.0/8 is Azure-owned public space: it looks like a real public IP, is never private.
    return f"20.{digest[0]}.{digest[1]}.{max(digest[2], 4)}"


def _private_ip(prefix: str | None, seed: str, index: int) -> str:
    try:
        network = ipaddress.ip_network(prefix or "10.0.0.0/24", strict=False)
    except ValueError:
        network = ipaddress.ip_network("10.0.0.0/24")
    offset = 4 + (int(_digest("private-ip", seed), 16) + index) % max(network.num_addresses - 5, 1)
    return str(network.network_address + offset)


def computed_outputs(
    type_: str,
    urn: str,
    logical_name: str,
    inputs: dict[str, Any],
    subscription_id: str,
    tenant_id: str,
    subnet_prefixes: dict[str, str],
) -> dict[str, Any]:
    """Outputs Azure would compute that later resources commonly read."""
    out: dict[str, Any] = {"name": azure_name(type_, logical_name, inputs)}
    identity = inputs.get("identity")
    if isinstance(identity, dict) and (shaped := _identity(identity, urn, tenant_id)) is not None:
        out["identity"] = shaped
    location = inputs.get("location") or "westeurope"
    if type_ == "azure-native:network:NetworkInterface":
        configs = []
        for index, config in enumerate(inputs.get("ipConfigurations") or []):
            config = dict(config) if isinstance(config, dict) else {}
            subnet_id = str((config.get("subnet") or {}).get("id", "")).lower()
            config.setdefault("privateIPAddress", _private_ip(subnet_prefixes.get(subnet_id), urn, index))
            configs.append(config)
        out["ipConfigurations"] = configs
    elif type_ == "azure-native:network:PublicIPAddress":
        out["ipAddress"] = _public_ip(urn)
    elif type_ == "azure-native:managedidentity:UserAssignedIdentity":
        out.update(principalId=stable_guid("principal", urn), clientId=stable_guid("client", urn), tenantId=tenant_id)
    elif type_ == "azure-native:compute:VirtualMachine":
        out["vmId"] = stable_guid("vm", urn)
    elif type_ == "azure-native:operationalinsights:Workspace":
        out["customerId"] = stable_guid("workspace", urn)
    elif type_ == "azure-native:monitor:DataCollectionEndpoint":
        out["logsIngestion"] = {
            "endpoint": f"https://{out['name']}-{_digest(urn)[:4]}.{location}-1.ingest.monitor.azure.com"
        }
    elif type_ == "azure-native:monitor:DataCollectionRule":
        out["immutableId"] = "dcr-" + _digest("dcr", urn)[:32]
    elif type_ == "azure-native:logic:Workflow":
        out["accessEndpoint"] = (
            f"https://prod-00.{location}.logic.azure.com:443/workflows/{_digest('workflow', urn)[:32]}"
        )
    elif type_ in ("random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString"):
        length = int(inputs.get("length") or 24)
        out["result"] = ("Mock-Pw0!" + _digest("random", urn))[:length]
    elif type_ == "random:index/randomUuid:RandomUuid":
        out["result"] = stable_guid("random-uuid", urn)
    return out
