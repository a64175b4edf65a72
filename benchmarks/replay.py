"""Registering a recorded set of resources again, raw: the floor and the naive baselines of the benchmark.

`floor` registers every recorded custom resource as a plain `pulumi.CustomResource` with its recorded
inputs, no component, no alias: the least work the SDK can do for these resources. `naive` does the same
with the API-version aliases the azure-native SDK would attach to each type, which is what a program
written with raw azure-native classes pays.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pulumi

from jit_cli.preview.engine import run_inline
from jit_cli.preview.model import PreviewResult


def harvest_aliases(result: PreviewResult) -> dict[str, list[str]]:
    """Per type token, the API-version alias types the SDK attached (from a run that kept them)."""
    aliases: dict[str, list[str]] = {}
    for resource in result.resources:
        types = [a["spec"]["type"] for a in resource.options.get("aliases", []) if "type" in a.get("spec", {})]
        if types:
            aliases.setdefault(resource.type, types)
    return aliases


def sdk_class(type_: str) -> type[pulumi.CustomResource]:
    """The SDK class of a type token (`azure-native:network:SecurityRule` -> `network.SecurityRule`)."""
    package, module, name = type_.split(":")
    try:
        if package == "azure-native":
            return getattr(importlib.import_module(f"pulumi_azure_native.{module}"), name)
        if package == "random":
            return getattr(importlib.import_module("pulumi_random"), name)
    except (ImportError, AttributeError):
        pass
    return pulumi.CustomResource


def snake_case(name: str) -> str:
    """`privateIPAddress` -> `private_ip_address`, the SDK's keyword for a camelCase input."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def replay(resources: list[dict[str, Any]], alias_types: dict[str, list[str]] | None) -> PreviewResult:
    """Register `resources` (type, name, inputs) with their SDK classes, with the given aliases or none.

    Each resource is created by its azure-native constructor with its recorded inputs as keyword
    arguments (nested values as plain dicts): no component, no dependency between resources. With
    `alias_types=None` the constructor's API-version aliases are dropped (the floor); otherwise the
    SDK's own aliases stay (naive).
    """
    from components.aliases import drop_api_version_aliases

    def program() -> None:
        for resource in resources:
            cls = sdk_class(resource["type"])
            kwargs = {snake_case(key): value for key, value in resource["inputs"].items()}
            opts = pulumi.ResourceOptions(transformations=[drop_api_version_aliases] if alias_types is None else None)
            if cls is pulumi.CustomResource:
                cls(resource["type"], resource["name"], dict(resource["inputs"]), opts)
            else:
                cls(resource["name"], opts=opts, **kwargs)

    return run_inline(program, project="fleet", stack="bench")
