"""A mock resource monitor that records what a Pulumi program registers.

Pulumi's `MockMonitor` answers the SDK's gRPC calls in-process. This subclass keeps, for every
registration, what `pulumi preview` would show and what CrossGuard would analyze: the URN, type, logical
name, parent, the inputs in the engine's camelCase wire form, the resource options, and ARM-shaped
outputs from `arm_state`. It also records the stack outputs and any error the program logs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockCallArgs, MockEngine, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import engine_pb2, resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop

from azure_jit_access.cli.preview import arm_state
from azure_jit_access.cli.preview.model import Resource

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
STACK_TYPE = "pulumi:pulumi:Stack"


def _normalize_number(value: Any) -> Any:
    # protobuf Structs carry every number as a double; show integral ones as integers.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_wire(value: Any) -> Any:
    """Engine wire form for analyzers: secrets stay marked, resource references become their id or URN."""
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_REF_SIG:
            return value.get("id") or value.get("urn")
        if value.get(SIG_KEY) == SECRET_SIG:
            return {SIG_KEY: SECRET_SIG, "value": to_wire(value.get("value"))}
        return {key: to_wire(item) for key, item in value.items()}
    return _normalize_number(value)


def unwrap_secrets(value: Any, path: str = "", found: list[str] | None = None) -> Any:
    """Plain values (what a policy sees as props); the path of every secret goes into `found`."""
    if isinstance(value, list):
        return [unwrap_secrets(item, f"{path}[{i}]", found) for i, item in enumerate(value)]
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            if found is not None:
                found.append(path)
            return unwrap_secrets(value.get("value"), path, None)
        return {k: unwrap_secrets(v, f"{path}.{k}" if path else k, found) for k, v in value.items()}
    return value


def _plain_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    """The protobuf form of plain JSON-shaped state (what `rpc.serialize_properties` would give for it).

    The state holds only wire values (strings, numbers, booleans, lists, objects): building the Struct
    directly avoids running an event loop per registration on the SDK's worker threads, which was a
    quarter of a large preview's time. Absent values are left out, as the SDK does.
    """
    struct = struct_pb2.Struct()
    struct.update({key: value for key, value in values.items() if value is not None})
    return struct


class ArmMocks(Mocks):
    """Answers invokes and reads the way Azure would, with deterministic values."""

    def __init__(self, subscription_id: str, tenant_id: str) -> None:
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id

    def call(self, args: MockCallArgs) -> dict:
        """Answer an invoke; keys are camelCase because that is what the SDK maps back to snake_case."""
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": arm_state.DEFAULT_CLIENT_ID,
                "objectId": arm_state.DEFAULT_CLIENT_OBJECT_ID,
                "subscriptionId": self.subscription_id,
                "tenantId": self.tenant_id,
            }
        result = dict(args.args)
        package, module, function = arm_state.split_token(args.token)
        if package == "azure-native" and function.startswith("get"):
            type_ = f"azure-native:{module}:{function[3:]}"
            name = arm_state.azure_name(type_, "unknown", result)
            result.setdefault("id", arm_state.arm_id(type_, name, result, self.subscription_id))
            result.setdefault("name", name)
        return result

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        """Answer a read (`Resource.get`): echo the state with the given id."""
        return args.resource_id or arm_state.arm_id(args.typ, args.name, args.inputs, self.subscription_id), dict(
            args.inputs
        )


class RecordingEngine(MockEngine):
    """Keeps the messages a program logs at error level: a real run fails on them."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("jit.preview.program"))
        self.errors: list[str] = []

    def Log(self, request):  # noqa: N802 - gRPC method name
        if request.severity == engine_pb2.ERROR:
            self.errors.append(request.message)
        return super().Log(request)


class RecordingMonitor(MockMonitor):
    """A `MockMonitor` that records every registration and gives ARM-shaped results."""

    def __init__(self, mocks: ArmMocks, on_register: Callable[[int], None] | None = None) -> None:
        super().__init__(mocks)
        self.arm = mocks
        self.recorded: dict[str, Resource] = {}
        self.wire_inputs: dict[str, dict] = {}
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}
        self.secret_outputs: list[str] = []
        self._subnet_prefixes: dict[str, str] = {}
        self._lock = threading.Lock()
        self._on_register = on_register

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The engine's URN: the parent's whole qualified type chain, then this type.

        Pulumi's MockMonitor keeps only the parent's last type; the real engine keeps the chain
        (`my:Component$azure-native:network:NetworkSecurityGroup$azure-native:network:SecurityRule`),
        leaving out the root stack's type.
        """
        from pulumi.runtime.settings import get_project, get_stack

        parent_type = parent.split("::")[2] if parent else STACK_TYPE
        if parent_type != STACK_TYPE:
            type_ = parent_type + "$" + type_
        return "urn:pulumi:" + "::".join([get_stack(), get_project(), type_, name])

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        wire = to_wire(json_format.MessageToDict(request.object))
        secret_paths: list[str] = []
        inputs = unwrap_secrets(wire, found=secret_paths)
        options = self._options(request)
        if request.type == STACK_TYPE:
            self.stack_urn = urn
            self._record(Resource(urn, request.type, request.name, None, inputs, options, {}, False), wire)
            return resource_pb2.RegisterResourceResponse(urn=urn)

        _ensure_event_loop()
        id_ = ""
        state: dict[str, Any] = {}
        if request.custom:
            sub = self.arm.subscription_id
            id_ = request.importId or arm_state.arm_id(request.type, request.name, inputs, sub)
            state = {**inputs}
            state.update(
                arm_state.computed_outputs(
                    request.type, urn, request.name, inputs, sub, self.arm.tenant_id, self._subnet_prefixes
                )
            )
            if request.type == "azure-native:network:Subnet" and inputs.get("addressPrefix"):
                self._subnet_prefixes[id_.lower()] = inputs["addressPrefix"]
        parent = request.parent or None
        self._record(
            Resource(
                urn,
                request.type,
                request.name,
                parent,
                inputs,
                options,
                {"id": id_, **state} if id_ else {},
                bool(request.custom),
                secret_paths,
            ),
            wire,
        )
        secret_keys = set(request.additionalSecretOutputs) | {p.split(".")[0].split("[")[0] for p in secret_paths}
        obj_proto = _plain_struct(state)
        for key in secret_keys & set(state):
            secret = struct_pb2.Struct()
            secret.update({SIG_KEY: SECRET_SIG})
            secret["value"] = obj_proto[key]
            obj_proto[key] = secret
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj_proto)

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        if request.urn == self.stack_urn:
            found: list[str] = []
            self.stack_outputs = unwrap_secrets(to_wire(json_format.MessageToDict(request.outputs)), found=found)
            self.secret_outputs = sorted({p.split(".")[0].split("[")[0] for p in found})
        return super().RegisterResourceOutputs(request)

    def _record(self, resource: Resource, wire: dict) -> None:
        with self._lock:
            self.recorded[resource.urn] = resource
            self.wire_inputs[resource.urn] = wire
            count = len(self.recorded)
        if self._on_register is not None:
            self._on_register(count)

    @staticmethod
    def _options(request) -> dict[str, Any]:
        property_deps: set[str] = set()
        for deps in request.propertyDependencies.values():
            property_deps.update(deps.urns)
        options: dict[str, Any] = {
            "protect": bool(request.protect),
            "retainOnDelete": bool(request.retainOnDelete),
            "ignoreChanges": sorted(request.ignoreChanges),
            # `dependencies` is every dependency; the ones no input carries came from depends_on.
            "dependsOn": sorted(set(request.dependencies) - property_deps),
            # Every dependency, explicit or through an input (not in the JSON, which pins `dependsOn`).
            "dependencies": sorted(request.dependencies),
        }
        if request.deleteBeforeReplaceDefined:
            options["deleteBeforeReplace"] = bool(request.deleteBeforeReplace)
        if request.additionalSecretOutputs:
            options["additionalSecretOutputs"] = sorted(request.additionalSecretOutputs)
        aliases = [json_format.MessageToDict(alias) for alias in request.aliases] + list(request.aliasURNs)
        options["aliases"] = aliases
        if request.provider:
            options["provider"] = request.provider
        return options
