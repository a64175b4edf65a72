"""ARM resource ids: subscription, resource group, provider, type and name, with case-insensitive keys.

ARM ids alternate `collection/name` pairs (`/subscriptions/<guid>/resourceGroups/<rg>/providers/<Namespace>/
<type>/<name>[/<child type>/<child name>]`); Azure compares them case-insensitively (MS Learn, "Resource
naming and casing": resource ids are case-insensitive), so keys are lower-cased here and values kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GUID_PATTERN = r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
SUBSCRIPTION_PATTERN = r"/subscriptions/(?P<subscription>" + GUID_PATTERN + ")"
"""`/subscriptions/<guid>` (use with re.IGNORECASE)."""
RESOURCE_GROUP_PATTERN = SUBSCRIPTION_PATTERN + r"/resourceGroups/(?P<resource_group>[-\w.()]{1,90})"
"""`/subscriptions/<guid>/resourceGroups/<name>`: 1-90 letters, digits, `-_.()` (MS Learn naming rules)."""
MANAGEMENT_GROUP_PATTERN = r"/providers/Microsoft\.Management/managementGroups/(?P<management_group>[-\w.()]{1,90})"
"""`/providers/Microsoft.Management/managementGroups/<id>`."""


@dataclass(frozen=True)
class ArmId:
    """A parsed ARM id; `None` where the id has no such part."""

    subscription: str | None
    resource_group: str | None
    provider: str | None
    """The first provider namespace, e.g. `Microsoft.Compute`."""
    type: str | None
    """The resource type under the provider, e.g. `virtualMachines` (`a/b` for a child resource)."""
    name: str | None
    """The last name segment."""
    parts: dict[str, str] = field(default_factory=dict)
    """Lower-cased `{collection: value}` pairs (values as written)."""


def _segments(arm_id: str) -> list[str]:
    return [s for s in arm_id.strip().split("/") if s]


def arm_id_parts(arm_id: object) -> dict[str, str]:
    """Lower-cased `{collection: name}` pairs of an ARM id, plus `provider` for the first namespace seen.

    `/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm1` ->
    `{"subscriptions": "s", "resourcegroups": "rg", "provider": "microsoft.compute", "virtualmachines": "vm1"}`.
    Values are lower-cased too, for comparisons; anything that is not a string gives `{}`.
    """
    if not isinstance(arm_id, str):
        return {}
    segments = _segments(arm_id)
    parts: dict[str, str] = {}
    for index in range(0, len(segments) - 1, 2):
        key = segments[index].lower()
        if key == "providers":
            parts.setdefault("provider", segments[index + 1].lower())
        else:
            parts[key] = segments[index + 1].lower()
    return parts


def parse_arm_id(arm_id: object) -> ArmId:
    """Parse an ARM id that starts at `/subscriptions/` or `/providers/`.

    Raises:
        ValueError: for anything else (a name, a relative path, an odd number of segments after a provider).
    """
    if not isinstance(arm_id, str) or not arm_id.strip().startswith("/"):
        raise ValueError(f"{arm_id!r} is not an ARM id such as /subscriptions/<guid>/resourceGroups/<name>")
    segments = _segments(arm_id)
    if not segments or segments[0].lower() not in ("subscriptions", "providers") or len(segments) % 2:
        raise ValueError(f"{arm_id!r} is not an ARM id: it must alternate collection and name segments")
    pairs = {
        segments[i].lower(): segments[i + 1] for i in range(0, len(segments), 2) if segments[i].lower() != "providers"
    }
    provider = type_ = name = None
    lowered = [s.lower() for s in segments]
    if "providers" in lowered:
        at = lowered.index("providers")
        provider = segments[at + 1]
        rest = segments[at + 2 :]
        if len(rest) % 2:
            raise ValueError(f"{arm_id!r} is not an ARM id: a resource type has no name")
        type_ = "/".join(rest[0::2]) or None
        name = rest[-1] if rest else None
    else:
        name = segments[-1]
    return ArmId(
        subscription=pairs.get("subscriptions"),
        resource_group=pairs.get("resourcegroups"),
        provider=provider,
        type=type_,
        name=name,
        parts=pairs,
    )


def subscription_of(arm_id: str) -> str | None:
    """The subscription GUID an id (or scope) lies in, as written; None when it has none."""
    match = re.match(SUBSCRIPTION_PATTERN, arm_id.strip(), re.IGNORECASE)
    return match["subscription"] if match else None


def resource_group_scope(arm_id: str) -> str | None:
    """`/subscriptions/<guid>/resourceGroups/<name>` of an id inside a resource group; None otherwise."""
    match = re.match(RESOURCE_GROUP_PATTERN, arm_id.strip(), re.IGNORECASE)
    return match.group(0) if match else None
