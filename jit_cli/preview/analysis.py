"""Calling a loaded pack's analyzer the way the Pulumi CLI does during `pulumi preview --policy-pack`.

Per resource the CLI first asks every pack to remediate (a `remediate`-level policy may rewrite the inputs;
the rewritten inputs are what gets analyzed and created), then analyzes the resource with its full options
(protect, ignoreChanges, deleteBeforeReplace, additionalSecretOutputs, aliases as URNs, customTimeouts in
seconds, parent) and its provider; stack policies then see every resource with its parent, dependencies and
property dependencies. A resource policy's violation belongs to the resource analyzed whatever URN it names;
a stack policy's violation names its URN or, without one, the stack.
"""

from __future__ import annotations

import re
from typing import Any

from azure_jit_access.cli.preview.model import UNKNOWN, UNKNOWN_WIRE, PreviewResult, Remediation, Resource, Violation

LEVELS = {0: "advisory", 1: "mandatory", 2: "remediate", 3: "disabled"}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def struct(values: dict) -> Any:
    """A protobuf Struct of JSON-shaped values."""
    from google.protobuf import struct_pb2

    result = struct_pb2.Struct()
    result.update(values)
    return result


def duration_seconds(text: str) -> float:
    """A Go duration (`5m`, `1h30m`, `90s`), as the SDK sends custom timeouts, in seconds (0 if unparsable)."""
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION.findall(text or ""))


def alias_urns(resource: Resource, project: str, stack: str) -> list[str]:
    """The resource's aliases as URNs (the engine resolves alias specs against the resource itself)."""
    urns = []
    qualified = resource.urn.split("::")[2]
    for alias in resource.options.get("aliases", []):
        if isinstance(alias, str):
            urns.append(alias)
            continue
        spec = alias.get("spec", alias)
        name = spec.get("name") or resource.name
        type_ = spec.get("type") or resource.type
        parent = None if spec.get("noParent") else spec.get("parentUrn") or resource.parent
        parent_type = parent.split("::")[2] if parent else ""
        if parent_type and not parent_type.endswith("pulumi:pulumi:Stack"):
            type_ = f"{parent_type}${type_}"
        elif not parent and "$" in qualified and not spec.get("noParent"):
            type_ = qualified.rsplit("$", 1)[0] + "$" + type_
        urns.append(f"urn:pulumi:{spec.get('stack') or stack}::{spec.get('project') or project}::{type_}::{name}")
    return urns


def analyzer_options(proto, resource: Resource, project: str, stack: str):
    """`AnalyzerResourceOptions` with every option the CLI sends."""
    options = resource.options
    timeouts = options.get("customTimeouts") or {}
    message = proto.AnalyzerResourceOptions(
        protect=bool(options.get("protect")),
        ignoreChanges=list(options.get("ignoreChanges", [])),
        deleteBeforeReplace=bool(options.get("deleteBeforeReplace")),
        deleteBeforeReplaceDefined="deleteBeforeReplace" in options,
        additionalSecretOutputs=list(options.get("additionalSecretOutputs", [])),
        aliases=alias_urns(resource, project, stack),
        parent=resource.parent or "",
    )
    if timeouts:
        message.customTimeouts.CopyFrom(
            proto.AnalyzerResourceOptions.CustomTimeouts(
                **{
                    key: duration_seconds(value)
                    for key, value in timeouts.items()
                    if key in ("create", "update", "delete")
                }
            )
        )
    return message


def provider_resource(proto, resource: Resource, by_urn: dict[str, Resource], result: PreviewResult, config: dict):
    """The resource's provider as the analyzer sees it: the explicit one, else the package's default provider."""
    reference = resource.options.get("provider")
    if reference:
        urn = reference.rsplit("::", 1)[0]
        provider = by_urn.get(urn)
        inputs = provider.inputs if provider else {}
        return proto.AnalyzerProviderResource(
            type=provider.type if provider else urn.split("::")[2],
            properties=struct(inputs),
            urn=urn,
            name=urn.rsplit("::", 1)[-1],
        )
    if not resource.custom or resource.type.startswith("pulumi:"):
        return None
    package = resource.type.split(":")[0]
    version = resource.options.get("version", "")
    name = "default_" + version.replace(".", "_").replace("-", "_") if version else "default"
    properties = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(package + ":")}
    if version:
        properties["version"] = version
    return proto.AnalyzerProviderResource(
        type=f"pulumi:providers:{package}",
        properties=struct(properties),
        urn=f"urn:pulumi:{result.stack}::{result.project}::pulumi:providers:{package}::{name}",
        name=name,
    )


def _display(value: Any) -> Any:
    if isinstance(value, list):
        return [_display(v) for v in value]
    if isinstance(value, dict):
        return {k: _display(v) for k, v in value.items()}
    return UNKNOWN if value == UNKNOWN_WIRE else value


def remediate(servicer, proto, pack, resource: Resource, request_args: dict, wire: dict, found: list[Remediation]):
    """Run the pack's remediations on one resource; the new wire inputs (or `wire` unchanged)."""
    from google.protobuf import json_format

    response = servicer.Remediate(proto.AnalyzeRequest(properties=struct(wire), **request_args), None)
    for remediation in response.remediations:
        if not remediation.HasField("properties"):
            continue
        after = json_format.MessageToDict(remediation.properties)
        found.append(Remediation(pack.name, remediation.policyName, resource.urn, _display(wire), _display(after)))
        wire = after
    return wire


def evaluate(packs: list, analyzers: list, result: PreviewResult, config: dict[str, str] | None = None) -> None:
    """Evaluate every pack on `result` in place: violations, remediations and remediated inputs.

    `analyzers` holds one configured `(servicer, proto)` per pack; `config` is the stack config (for the
    default providers' properties).
    """
    by_urn = {r.urn: r for r in result.resources}
    for pack, (servicer, proto) in zip(packs, analyzers, strict=True):
        stack_resources = []
        for resource in result.resources:
            wire = result.wire_inputs.get(resource.urn, resource.inputs)
            options = analyzer_options(proto, resource, result.project, result.stack)
            provider = provider_resource(proto, resource, by_urn, result, config or {})
            request_args = {"type": resource.type, "urn": resource.urn, "name": resource.name, "options": options}
            if provider is not None:
                request_args["provider"] = provider
            new_wire = remediate(servicer, proto, pack, resource, request_args, wire, result.remediations)
            if new_wire is not wire:
                result.wire_inputs[resource.urn] = wire = new_wire
                resource.inputs = _display(new_wire)
            response = servicer.Analyze(proto.AnalyzeRequest(properties=struct(wire), **request_args), None)
            _collect(response, pack, resource.urn, result.violations)
            # Stack policies see the resources' state (inputs plus what the provider computed).
            state = {k: v for k, v in resource.outputs.items() if k != "id"} or wire
            analyzed = proto.AnalyzerResource(
                properties=struct(_wire_unknowns(state)),
                parent=resource.parent or "",
                dependencies=list(resource.options.get("dependencies", resource.options.get("dependsOn", []))),
                **request_args,
            )
            for key, urns in resource.options.get("propertyDependencies", {}).items():
                analyzed.propertyDependencies[key].urns.extend(urns)
            stack_resources.append(analyzed)
        response = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=stack_resources), None)
        _collect(response, pack, None, result.violations)


def _wire_unknowns(value: Any) -> Any:
    if isinstance(value, list):
        return [_wire_unknowns(v) for v in value]
    if isinstance(value, dict):
        return {k: _wire_unknowns(v) for k, v in value.items()}
    return UNKNOWN_WIRE if value == UNKNOWN else value


def _collect(response, pack, resource_urn: str | None, violations: list[Violation]) -> None:
    for diag in response.diagnostics:
        level = LEVELS.get(diag.enforcementLevel, "advisory")
        # A violation that survives remediation is reported as mandatory, like the CLI does.
        level = "mandatory" if level == "remediate" else level
        # The CLI files a resource policy's violation under the analyzed resource, whatever URN it names;
        # a stack policy's under the URN it names, else the stack (null in the pinned JSON).
        urn = resource_urn if resource_urn is not None else (diag.urn or None)
        violations.append(Violation(pack.name, diag.policyName, level, urn, diag.message))
