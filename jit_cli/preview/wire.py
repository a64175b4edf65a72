"""The engine's wire form of property values: secrets and resource references as the SDK serializes them."""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2

from azure_jit_access.cli.preview.model import UNKNOWN_WIRE

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


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


def unwrap_secrets(value: Any, path: str = "", found: list[str] | None = None, unknown: Any = UNKNOWN_WIRE) -> Any:
    """Plain values (what a policy sees as props); the path of every secret goes into `found`.

    Unknown values become `unknown` (the wire sentinel by default; `UNKNOWN` for display).
    """
    if isinstance(value, list):
        return [unwrap_secrets(item, f"{path}[{i}]", found, unknown) for i, item in enumerate(value)]
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            if found is not None:
                found.append(path)
            return unwrap_secrets(value.get("value"), path, None, unknown)
        return {k: unwrap_secrets(v, f"{path}.{k}" if path else k, found, unknown) for k, v in value.items()}
    if value == UNKNOWN_WIRE:
        return unknown
    return value


def plain_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    """The protobuf form of plain JSON-shaped state (what `rpc.serialize_properties` would give for it).

    The state holds only wire values (strings, numbers, booleans, lists, objects): building the Struct
    directly avoids running an event loop per registration on the SDK's worker threads, which was a
    quarter of a large preview's time. Absent values are left out, as the SDK does.
    """
    struct = struct_pb2.Struct()
    struct.update({key: value for key, value in values.items() if value is not None})
    return struct
