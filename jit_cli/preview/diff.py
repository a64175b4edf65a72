"""Property diffs that follow identity: list elements are matched by their natural key, not their index.

Adding a VM to a JIT policy must read as one added VM, not as every later VM "becoming" the next one. So
lists whose elements have a natural key (a JIT policy's `virtualMachines[].id` and `ports[].number`, an NSG's
`securityRules[].name`) are matched by that key, and lists whose order Azure ignores (role actions, address
prefixes, port ranges) are compared as sets. Only lists with neither fall back to matching by index. Objects
(workflow `parameters` among them) are always compared key by key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_MISSING = object()

# The field that identifies an element of a list, by the list's property name. Each is unique in its list:
# ARM rejects a JIT policy with the same VM twice or a VM with the same port twice (jitNetworkAccessPolicies
# spec), and an NSG with two rules of one name.
KEYED_LISTS: dict[str, str] = {
    "virtualMachines": "id",
    "ports": "number",
    "securityRules": "name",
    "ipConfigurations": "name",
    "subnets": "name",
}

# Lists Azure treats as sets: order carries no meaning, so a reordering is no change.
SET_LISTS = frozenset(
    {
        "actions",
        "notActions",
        "dataActions",
        "notDataActions",
        "assignableScopes",
        "allowedSourceAddressPrefixes",
        "sourceAddressPrefixes",
        "destinationAddressPrefixes",
        "sourcePortRanges",
        "destinationPortRanges",
        "addressPrefixes",
        "ignoreChanges",
        "dependsOn",
    }
)

# When a list has no entry above, these fields still identify elements if every element has a distinct one.
_FALLBACK_KEYS = ("name", "id", "key")


@dataclass
class PropertyDiff:
    """One difference: its path, before and after.

    Paths name keyed elements by their key (`virtualMachines[vm-web-02].ports[22]`) and set members with
    `[]` (`allowedSourceAddressPrefixes[]`); only unkeyed lists use an index (`items[0]`).
    """

    path: str
    before: Any
    after: Any
    added: bool = False
    removed: bool = False


def _label(value: Any, siblings: list[Any]) -> str:
    """How a key appears in a path: an ARM id by its last segment when that is unambiguous."""
    if isinstance(value, str) and value.startswith("/") and "/" in value.strip("/"):
        last = value.rstrip("/").rsplit("/", 1)[-1]
        distinct = {s for s in siblings if isinstance(s, str)}
        if sum(1 for s in distinct if s.rstrip("/").rsplit("/", 1)[-1] == last) == 1:
            return last
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def list_key(name: str, before: list[Any], after: list[Any]) -> str | None:
    """The field that identifies elements of the list property `name`, or None to match by index."""
    elements = before + after
    if not elements or not all(isinstance(e, dict) for e in elements):
        return None
    candidates = [KEYED_LISTS[name]] if name in KEYED_LISTS else list(_FALLBACK_KEYS)
    for key in candidates:
        if all(key in e for e in elements) and all(
            len({json.dumps(e[key], sort_keys=True) for e in side}) == len(side) for side in (before, after)
        ):
            return key
    return None


def _hashable(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _diff_set(before: list[Any], after: list[Any], path: str) -> list[PropertyDiff]:
    old = {_hashable(v): v for v in before}
    new = {_hashable(v): v for v in after}
    diffs = [PropertyDiff(f"{path}[]", old[k], None, removed=True) for k in sorted(old.keys() - new.keys())]
    return diffs + [PropertyDiff(f"{path}[]", None, new[k], added=True) for k in sorted(new.keys() - old.keys())]


def _diff_keyed(before: list[dict], after: list[dict], path: str, key: str) -> list[PropertyDiff]:
    old = {_hashable(e[key]): e for e in before}
    new = {_hashable(e[key]): e for e in after}
    all_keys = [e[key] for e in before] + [e[key] for e in after if _hashable(e[key]) not in old]
    labels = {_hashable(k): _label(k, [e[key] for e in before + after]) for k in all_keys}
    diffs: list[PropertyDiff] = []
    for identity in (_hashable(k) for k in all_keys):
        sub = f"{path}[{labels[identity]}]"
        if identity not in new:
            diffs.append(PropertyDiff(sub, old[identity], None, removed=True))
        elif identity not in old:
            diffs.append(PropertyDiff(sub, None, new[identity], added=True))
        else:
            diffs += diff_values(old[identity], new[identity], sub)
    return diffs


def _diff_indexed(before: list[Any], after: list[Any], path: str) -> list[PropertyDiff]:
    diffs: list[PropertyDiff] = []
    for index in range(max(len(before), len(after))):
        sub = f"{path}[{index}]"
        if index >= len(before):
            diffs.append(PropertyDiff(sub, None, after[index], added=True))
        elif index >= len(after):
            diffs.append(PropertyDiff(sub, before[index], None, removed=True))
        else:
            diffs += diff_values(before[index], after[index], sub)
    return diffs


def _property_name(path: str) -> str:
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def diff_values(before: Any, after: Any, path: str = "") -> list[PropertyDiff]:
    """Differences from `before` to `after`, descending into objects and lists (by identity where known)."""
    if isinstance(before, dict) and isinstance(after, dict):
        diffs: list[PropertyDiff] = []
        for key in sorted(set(before) | set(after)):
            sub = f"{path}.{key}" if path else key
            old, new = before.get(key, _MISSING), after.get(key, _MISSING)
            if old is _MISSING:
                diffs.append(PropertyDiff(sub, None, new, added=True))
            elif new is _MISSING:
                diffs.append(PropertyDiff(sub, old, None, removed=True))
            else:
                diffs += diff_values(old, new, sub)
        return diffs
    if isinstance(before, list) and isinstance(after, list):
        name = _property_name(path)
        if name in SET_LISTS and all(not isinstance(v, (dict, list)) for v in before + after):
            return _diff_set(before, after, path)
        key = list_key(name, before, after)
        if key is not None:
            return _diff_keyed(before, after, path, key)
        return _diff_indexed(before, after, path)
    return [] if before == after else [PropertyDiff(path, before, after)]


def format_diff(diff: PropertyDiff) -> str:
    """`path: before => after` with JSON values (secrets are already masked)."""
    if diff.added:
        return f"+ {diff.path}: {json.dumps(diff.after, sort_keys=True)}"
    if diff.removed:
        return f"- {diff.path}: {json.dumps(diff.before, sort_keys=True)}"
    return f"~ {diff.path}: {json.dumps(diff.before, sort_keys=True)} => {json.dumps(diff.after, sort_keys=True)}"
