"""Reading CrossGuard props safely: plain values, unknowns, resource types and ARM ids.

CrossGuard hands policies a proxy that raises `UnknownValueError` the moment an unknown value is touched,
which would abort the whole policy (for a stack policy: every other resource too). The policies here read
`plain(props)` instead, decide what they can, and only then say what could not be verified.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from .rules.arm_ids import arm_id_parts as parse_arm_id_parts

UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


def is_unknown(value: Any) -> bool:
    """True for a value Pulumi cannot know yet (during `pulumi preview`, an output of a resource to be created)."""
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def plain(value: Any) -> Any:
    """The value with CrossGuard's unknown-checking proxies removed (unknowns stay as their sentinels)."""
    if isinstance(value, Mapping):
        target = value["__target"] if _is_proxy(value) else value
        return {key: plain(item) for key, item in target.items()}
    if isinstance(value, (list, tuple)) or _is_proxy(value):
        target = value["__target"] if _is_proxy(value) else value
        return [plain(item) for item in target]
    return value


def _is_proxy(value: Any) -> bool:
    return type(value).__name__ in ("_DictProxy", "_ListProxy")


class Unverifiable(UnknownValueError):
    """Raised after all definite violations are reported, when some check needed a value not known yet.

    pulumi-policy turns it into an advisory "can't run policy ... during preview: <message>" note; the
    same policy runs again with real values when `pulumi up` registers the resources.
    """

    def __init__(self, reasons: Iterable[str]) -> None:
        reasons = list(dict.fromkeys(reasons))
        super().__init__(UNKNOWN_STRING_VALUE, [])
        self.message = "; ".join(reasons) + " (checked again with real values on `pulumi up`)"


def raise_if_unverified(reasons: list[str], reported: bool = False) -> None:
    """Raise `Unverifiable` for the collected reasons, unless a definite violation already decided the case."""
    if reasons and not reported:
        raise Unverifiable(reasons)


def canonical_type(resource_type: str) -> str:
    """`azure-native:network/v20240301:SecurityRule` -> `azure-native:network:SecurityRule`; others unchanged."""
    parts = resource_type.split(":")
    if len(parts) == 3 and parts[0] == "azure-native":
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return resource_type


def is_type(resource_type: str, *tokens: str) -> bool:
    """Whether the resource's type is one of the tokens (any explicit azure-native API version accepted)."""
    return canonical_type(resource_type) in tokens


def text(value: Any) -> str | None:
    """A known, non-empty string with surrounding blanks removed; None for anything else."""
    if isinstance(value, str) and value.strip() and not is_unknown(value):
        return value.strip()
    return None


def as_list(value: Any) -> list[Any]:
    """A list prop as a list (absent -> empty); an unknown list stays a one-element list of its sentinel."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def arm_id_parts(arm_id: Any) -> dict[str, str]:
    """Lower-cased `{collection: name}` pairs of an ARM id (see `rules.arm_ids`); `{}` for unknown values."""
    return {} if is_unknown(arm_id) else parse_arm_id_parts(arm_id)


def resource_name(props: Mapping[str, Any], name_key: str, logical_name: str) -> str:
    """The Azure name: the explicit `<type>Name` input, else the `name` output, else the logical name."""
    for key in (name_key, "name"):
        value = text(props.get(key))
        if value:
            return value
    return logical_name


def settings(config: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's config over its schema defaults (the CLI applies defaults; direct calls may not)."""
    merged = dict(defaults)
    merged.update({k: v for k, v in (config or {}).items() if v is not None})
    return merged
