"""A mock resource monitor that records what a Pulumi program registers.

Pulumi's `MockMonitor` answers the SDK's gRPC calls in-process. This subclass keeps, for every
registration, what `pulumi preview` would show and what CrossGuard would analyze: the URN, type, logical
name, parent, the inputs in the engine's camelCase wire form, the resource options, the program line that
constructed it, and ARM-shaped outputs from `arm_state`. It also records the stack outputs and any error
the program logs. As in a real preview, it answers a registration with the inputs plus the outputs the
engine models; every other output is left out, which the SDK resolves as unknown during a preview.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlparse

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockCallArgs, MockEngine, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.proto import engine_pb2, resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop

from azure_jit_access.cli.preview import arm_state, invokes, transforms
from azure_jit_access.cli.preview.model import UNKNOWN, UNKNOWN_WIRE, Resource
from azure_jit_access.cli.preview.wire import SECRET_SIG, SIG_KEY, plain_struct, to_wire, unwrap_secrets

STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"


class DuplicateUrnError(Exception):
    """Two resources with one URN: the Pulumi CLI refuses the program with this message."""


class ArmMocks(Mocks):
    """Answers invokes and reads the way Azure would, with deterministic values."""

    def __init__(self, subscription_id: str, tenant_id: str) -> None:
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Answer an invoke with its result type's fields (camelCase, what the SDK maps back to snake_case).

        No check failures: an empty list, not None, which the SDK's mock monitor would try to iterate.
        """
        return invokes.answer(args.token, dict(args.args), self.subscription_id, self.tenant_id), []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        """Answer a read (`Resource.get`): echo the state with the given id."""
        return args.resource_id or arm_state.arm_id(args.typ, args.name, args.inputs, self.subscription_id), dict(
            args.inputs
        )


class RecordingEngine(MockEngine):
    """Keeps the messages a program logs at error level (a real run fails on them) and its warnings."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("jit.preview.program"))
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def Log(self, request):  # noqa: N802 - gRPC method name
        if request.severity == engine_pb2.ERROR:
            self.errors.append(request.message)
        elif request.severity == engine_pb2.WARNING:
            self.warnings.append(request.message)
        return super().Log(request)


def _source(request, root: str | None) -> dict[str, Any] | None:
    position = request.sourcePosition
    if not position.uri:
        return None
    path = unquote(urlparse(position.uri).path)
    if root and path.startswith(root):
        path = path[len(root) :].lstrip("/")
    return {"file": path, "line": position.line}


class RecordingMonitor(MockMonitor):
    """A `MockMonitor` that records every registration and gives ARM-shaped results."""

    def __init__(
        self,
        mocks: ArmMocks,
        on_register: Callable[[int], None] | None = None,
        *,
        config: dict[str, str] | None = None,
        stack_outputs: dict[str, dict[str, Any]] | None = None,
        strict: bool = False,
        source_root: str | None = None,
    ) -> None:
        super().__init__(mocks)
        self.arm = mocks
        self.recorded: dict[str, Resource] = {}
        self.wire_inputs: dict[str, dict] = {}
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}
        self.secret_outputs: list[str] = []
        self.warnings: list[str] = []
        self._subnet_prefixes: dict[str, str] = {}
        self._lock = threading.Lock()
        self._on_register = on_register
        self._config = config or {}
        self._stack_references = stack_outputs or {}
        self._strict = strict
        self._source_root = source_root
        self._transforms: dict[str, list[str]] = {}
        self._stack_transform_tokens: list[str] = []
        self._invoke_transform_tokens: list[str] = []

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

    def RegisterStackTransform(self, request):  # noqa: N802 - gRPC method name
        self._stack_transform_tokens.append(request.token)
        return super().RegisterStackTransform(request)

    def RegisterStackInvokeTransform(self, request):  # noqa: N802 - gRPC method name
        self._invoke_transform_tokens.append(request.token)
        return super().RegisterStackInvokeTransform(request)

    def Invoke(self, request):  # noqa: N802 - gRPC method name
        return super().Invoke(transforms.transform_invoke(request, self._invoke_transform_tokens))

    def _transform_chain(self, request) -> list[str]:
        # The engine's order: the resource's own transforms, its parent's, ..., then the stack's.
        tokens = [callback.token for callback in request.transforms]
        parent = request.parent
        while parent:
            tokens += self._transforms.get(parent, [])
            parent = self.recorded[parent].parent if parent in self.recorded else None
        return tokens + self._stack_transform_tokens

    def ReadResource(self, request):  # noqa: N802 - gRPC method name
        if request.type != STACK_REFERENCE_TYPE:
            return super().ReadResource(request)
        # A StackReference is read from the backend; offline its outputs come from --stack-outputs or are unknown.
        urn = self.make_urn(request.parent, request.type, request.name)
        name = request.id
        outputs = self._stack_references.get(name)
        state = {"name": name, "outputs": UNKNOWN_WIRE if outputs is None else outputs, "secretOutputNames": []}
        if outputs is None:
            self.warnings.append(
                f"stack reference {name!r} has no --stack-outputs {name}=FILE: its outputs are unknown"
            )
        self._record(Resource(urn, request.type, request.name, request.parent or None, {"name": name}, {}, {}), {})
        return resource_pb2.ReadResourceResponse(urn=urn, properties=plain_struct(state))

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            self.stack_urn = urn
            self._record(Resource(urn, request.type, request.name, None, {}, self._options(request), {}, False), {})
            return resource_pb2.RegisterResourceResponse(urn=urn)
        chain = self._transform_chain(request)
        self._transforms[urn] = [callback.token for callback in request.transforms]
        request = transforms.transform_resource(request, chain)
        if request.remote:
            message = (
                f"{request.type} {request.name!r} is a remote (multi-language) component: its provider "
                "cannot run offline, so its children are not previewed and its outputs are unknown"
            )
            if self._strict:
                raise RuntimeError(message + " (--strict)")
            self.warnings.append(message)

        wire = to_wire(json_format.MessageToDict(request.object))
        if request.custom and request.type.startswith("azure-native:") and "location" not in wire:
            # The azure-native provider fills `location` from its config for types that have one.
            default = self._config.get("azure-native:location")
            if default and arm_state.has_input(request.type, "location"):
                wire["location"] = default
        secret_paths: list[str] = []
        state = unwrap_secrets(wire, found=secret_paths)
        shown = unwrap_secrets(wire, unknown=UNKNOWN) if UNKNOWN_WIRE in str(wire) else state
        options = self._options(request)

        _ensure_event_loop()
        id_ = ""
        if request.custom:
            sub = self._provider_subscription(request.provider) or self.arm.subscription_id
            id_ = request.importId or arm_state.arm_id(request.type, request.name, shown, sub)
            state = {**state}
            state.update(
                arm_state.computed_outputs(
                    request.type, urn, request.name, state, sub, self.arm.tenant_id, self._subnet_prefixes
                )
            )
            if request.type == "azure-native:network:Subnet" and isinstance(state.get("addressPrefix"), str):
                self._subnet_prefixes[id_.lower()] = state["addressPrefix"]
        outputs = unwrap_secrets(state, unknown=UNKNOWN) if shown is not state else state
        resource = Resource(
            urn,
            request.type,
            request.name,
            request.parent or None,
            shown,
            options,
            {"id": id_, **outputs} if id_ else {},
            bool(request.custom),
            secret_paths,
            _source(request, self._source_root),
        )
        self._record(resource, wire)
        secret_keys = set(request.additionalSecretOutputs) | {p.split(".")[0].split("[")[0] for p in secret_paths}
        obj_proto = plain_struct(state)
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
            wire = to_wire(json_format.MessageToDict(request.outputs))
            self.stack_outputs = unwrap_secrets(wire, found=found, unknown=UNKNOWN)
            self.secret_outputs = sorted({p.split(".")[0].split("[")[0] for p in found})
        return super().RegisterResourceOutputs(request)

    def _provider_subscription(self, reference: str) -> str | None:
        """An explicit azure-native provider's `subscriptionId`: the resources it manages live in that subscription."""
        provider = self.recorded.get(reference.rpartition("::")[0]) if reference else None
        value = provider.inputs.get("subscriptionId") if provider is not None else None
        return value if isinstance(value, str) and value and value != UNKNOWN else None

    def _record(self, resource: Resource, wire: dict) -> None:
        with self._lock:
            if resource.urn in self.recorded:
                raise DuplicateUrnError(f"Duplicate resource URN '{resource.urn}'; try giving it a unique name")
            self.recorded[resource.urn] = resource
            self.wire_inputs[resource.urn] = wire
            count = len(self.recorded)
        if self._on_register is not None:
            self._on_register(count)

    @staticmethod
    def _options(request) -> dict[str, Any]:
        property_deps: dict[str, list[str]] = {}
        for key, deps in request.propertyDependencies.items():
            property_deps[key] = sorted(deps.urns)
        carried = {urn for urns in property_deps.values() for urn in urns}
        options: dict[str, Any] = {
            "protect": bool(request.protect),
            "retainOnDelete": bool(request.retainOnDelete),
            "ignoreChanges": sorted(request.ignoreChanges),
            # `dependencies` is every dependency; the ones no input carries came from depends_on.
            "dependsOn": sorted(set(request.dependencies) - carried),
            # Every dependency, explicit or through an input (not in the JSON, which pins `dependsOn`).
            "dependencies": sorted(request.dependencies),
            "propertyDependencies": property_deps,
        }
        if request.deleteBeforeReplaceDefined:
            options["deleteBeforeReplace"] = bool(request.deleteBeforeReplace)
        if request.additionalSecretOutputs:
            options["additionalSecretOutputs"] = sorted(request.additionalSecretOutputs)
        if request.HasField("customTimeouts"):
            timeouts = request.customTimeouts
            options["customTimeouts"] = {
                key: value
                for key, value in (
                    ("create", timeouts.create),
                    ("update", timeouts.update),
                    ("delete", timeouts.delete),
                )
                if value
            }
        aliases = [json_format.MessageToDict(alias) for alias in request.aliases] + list(request.aliasURNs)
        options["aliases"] = aliases
        if request.provider:
            options["provider"] = request.provider
        if request.version:
            options["version"] = request.version
        return options
