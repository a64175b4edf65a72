"""Answers to provider functions (invokes), shaped like the SDK's result types.

A real preview calls the provider, which answers with the function's result type. Offline, the engine
answers with the same shape: the fields the result class declares (read from the installed SDK), with a
modelled value where the engine has one (ids, names, the client config, storage keys) and no value (None)
otherwise. The function's arguments are never echoed back as its result. Unmodelled fields cannot be
unknown: the SDK's result classes type-check every field (`Expected argument 'address_space' to be a
dict`), and an unknown there would crash the program where the real preview gives a value.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

from azure_jit_access.cli.preview import arm_state

CLIENT_CONFIG_TOKENS = ("azure-native:authorization:getClientConfig", "azure:core/getClientConfig:getClientConfig")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@functools.lru_cache(maxsize=512)
def result_fields(token: str) -> tuple[str, ...] | None:
    """The wire (camelCase) names of a function's result fields, from the installed SDK; None if not found."""
    parts = token.split(":")
    if len(parts) != 3:
        return None
    package, module, function = parts
    root = "pulumi_" + package.replace("-", "_")
    snake = _snake(function)
    candidates = []
    if module in ("index", ""):
        candidates.append(f"{root}.{snake}")
    candidates += [f"{root}.{module.replace('/', '.')}.{snake}", f"{root}.{module.split('/')[0]}.{snake}"]
    for name in candidates:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        cls = getattr(mod, function[:1].upper() + function[1:] + "Result", None)
        if cls is None:
            continue
        return tuple(
            getattr(prop.fget, "_pulumi_name", attr)
            for attr, prop in vars(cls).items()
            if isinstance(prop, property) and prop.fget is not None
        )
    return None


def _storage_keys(args: dict[str, Any]) -> list[dict[str, Any]]:
    # Shape of Microsoft.Storage listKeys (StorageAccountListKeysResult): key1 and key2, FULL permission.
    seed = f"{args.get('resourceGroupName')}/{args.get('accountName')}"
    return [
        {
            "keyName": name,
            "permissions": "FULL",
            "value": "mock-key-" + arm_state.stable_guid("storage-key", seed, name),
        }
        for name in ("key1", "key2")
    ]


def answer(token: str, args: dict[str, Any], subscription_id: str, tenant_id: str) -> dict[str, Any]:
    """The result of invoke `token` with `args`: modelled values of the declared fields, nothing else."""
    if token in CLIENT_CONFIG_TOKENS:
        return {
            "clientId": arm_state.DEFAULT_CLIENT_ID,
            "objectId": arm_state.DEFAULT_CLIENT_OBJECT_ID,
            "subscriptionId": subscription_id,
            "tenantId": tenant_id,
        }
    modelled: dict[str, Any] = {}
    package, module, function = arm_state.split_token(token)
    if package == "azure-native" and function == "listStorageAccountKeys":
        modelled["keys"] = _storage_keys(args)
    elif package == "azure-native" and function.startswith("get"):
        type_ = f"azure-native:{module}:{function[3:]}"
        name = arm_state.azure_name(type_, "unknown", args)
        modelled["id"] = arm_state.arm_id(type_, name, args, subscription_id)
        modelled["name"] = name
    fields = result_fields(token)
    if fields is None:
        return modelled
    return {field: modelled[field] for field in fields if field in modelled}
