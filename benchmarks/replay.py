"""Registering a recorded set of resources again, raw: the floor and the naive baselines of the benchmark.

A baseline is the same program written without components: every recorded custom resource is created by
its azure-native constructor, and wherever its inputs hold another resource's id or name (a NIC's subnet
id, a rule's NSG name, a JIT policy's VM ids) it gets that resource's Output, as a hand-written program
would, so the SDK tracks the same dependencies. `floor` drops the constructor's API-version aliases;
`naive` keeps them, which is what a program using raw azure-native classes pays.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import pulumi

from azure_jit_access.cli.preview.engine import run_inline
from azure_jit_access.cli.preview.model import PreviewResult

# Inputs that name another resource (rather than hold its id), and the type of resource they name.
NAME_REFERENCES = {
    "resourceGroupName": "azure-native:resources:ResourceGroup",
    "networkSecurityGroupName": "azure-native:network:NetworkSecurityGroup",
    "virtualNetworkName": "azure-native:network:VirtualNetwork",
    "workspaceName": "azure-native:operationalinsights:Workspace",
}


def harvest_aliases(result: PreviewResult) -> dict[str, list[str]]:
    """Per type token, the API-version alias types the SDK attached (from a run that kept them)."""
    aliases: dict[str, list[str]] = {}
    for resource in result.resources:
        types = [a["spec"]["type"] for a in resource.options.get("aliases", []) if "type" in a.get("spec", {})]
        if types:
            aliases.setdefault(resource.type, types)
    return aliases


def recorded(result: PreviewResult) -> list[dict[str, Any]]:
    """What a replay needs of each custom resource: type, logical and Azure name, id, inputs."""
    return [
        {"type": r.type, "name": r.name, "azureName": r.outputs.get("name"), "id": r.id, "inputs": r.inputs}
        for r in result.resources
        if r.custom
    ]


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


def _walk(value: Any, key: str | None, visit: Callable[[str, str | None], Any]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, k, visit) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, key, visit) for v in value]
    if isinstance(value, str):
        return visit(value, key)
    return value


def _lookup(resources: list[dict[str, Any]]) -> Callable[[str, str | None], int | None]:
    by_id = {r["id"].lower(): i for i, r in enumerate(resources) if r.get("id")}
    by_name = {(r["type"], r["azureName"]): i for i, r in enumerate(resources) if r.get("azureName")}

    def find(value: str, key: str | None) -> int | None:
        index = by_id.get(value.lower())
        if index is None and key in NAME_REFERENCES:
            index = by_name.get((NAME_REFERENCES[key], value))
        return index

    return find


def creation_order(resources: list[dict[str, Any]]) -> list[int]:
    """Indexes in an order where every referenced resource comes before the ones that use it."""
    find = _lookup(resources)
    needs: list[set[int]] = []
    for index, resource in enumerate(resources):
        found: set[int] = set()
        _walk(
            resource["inputs"], None, lambda v, k, found=found: found.add(i) if (i := find(v, k)) is not None else None
        )
        needs.append(found - {index})
    order: list[int] = []
    placed: set[int] = set()
    while len(order) < len(resources):
        ready = [i for i in range(len(resources)) if i not in placed and needs[i] <= placed]
        if not ready:  # a cycle cannot come from a real program; place the rest as recorded
            ready = [i for i in range(len(resources)) if i not in placed]
        order += ready
        placed.update(ready)
    return order


def replay(resources: list[dict[str, Any]], alias_types: dict[str, list[str]] | None) -> PreviewResult:
    """Create `resources` with their SDK classes, wired by Outputs; with the given aliases, or none."""
    from azure_jit_access.aliases import drop_api_version_aliases

    find = _lookup(resources)

    def program() -> None:
        created: dict[int, pulumi.CustomResource] = {}

        def link(value: str, key: str | None) -> Any:
            index = find(value, key)
            if index is None or index not in created:
                return value
            target = created[index]
            return target.id if resources[index].get("id", "").lower() == value.lower() else target.name

        for index in creation_order(resources):
            resource = resources[index]
            cls = sdk_class(resource["type"])
            inputs = {k: _walk(v, k, link) for k, v in resource["inputs"].items()}
            opts = pulumi.ResourceOptions(transformations=[drop_api_version_aliases] if alias_types is None else None)
            if cls is pulumi.CustomResource:
                created[index] = cls(resource["type"], resource["name"], inputs, opts)
            else:
                kwargs = {snake_case(key): value for key, value in inputs.items()}
                created[index] = cls(resource["name"], opts=opts, **kwargs)

    return run_inline(program, project="fleet", stack="bench")
