"""Registering a recorded set of resources again, raw: the floor and the naive baselines of the benchmark.

`floor` registers every recorded custom resource as a plain `pulumi.CustomResource` with its recorded
inputs, no component, no alias: the least work the SDK can do for these resources. `naive` does the same
with the API-version aliases the azure-native SDK would attach to each type, which is what a program
written with raw azure-native classes pays.
"""

from __future__ import annotations

import importlib
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


def replay(resources: list[dict[str, Any]], alias_types: dict[str, list[str]] | None) -> PreviewResult:
    """Register `resources` (type, name, inputs) as raw SDK resources, with the given aliases or none.

    Each resource is an instance of its azure-native class, so the SDK does the same output plumbing as
    for a program, but it is registered with its recorded camelCase inputs directly: no component, no
    Python argument classes, no dependency between resources. That is the least a program can cost.
    """

    def program() -> None:
        for resource in resources:
            opts = None
            if alias_types:
                opts = pulumi.ResourceOptions(
                    aliases=[pulumi.Alias(type_=t) for t in alias_types.get(resource["type"], [])])
            cls = sdk_class(resource["type"])
            instance = cls.__new__(cls)
            pulumi.CustomResource.__init__(instance, resource["type"], resource["name"], dict(resource["inputs"]),
                                           opts)

    return run_inline(program, project="fleet", stack="bench")
