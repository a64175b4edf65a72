"""What a change does to access: widenings (more addresses, longer caps, new ports, new requesters, approval
removed) listed before narrowings, with identical changes on several ports said once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azure_jit_access.cli.preview.access import PortAccess, addresses_not_in, networks
from azure_jit_access.rules.durations import parse_duration


@dataclass
class AccessChange:
    """One change to access, on one or more ports."""

    kind: str
    """`new-port`, `removed-port`, `sources`, `duration`, `requesters`, `approval` or `always-open`."""
    widening: bool
    text: str
    ports: list[str] = field(default_factory=list)


def _where(port: PortAccess) -> str:
    return f"{port.vm} port {port.port}"


def describe_port(port: PortAccess) -> str:
    """`direct for Group 6f2c…, from 203.0.113.0/28 (16 addresses), up to PT3H` style summary of one port."""
    who = ", ".join(f"{q.kind} {q.principal[:8]}" for q in port.people) or "nobody in this program"
    flows = sorted({q.workflow for q in port.requesters if q.workflow})
    if port.mode == "direct" and flows:
        who += f" (also via workflow {', '.join(flows)}, which they can bypass)"
    if port.mode == "approval":
        who = "via approval workflow " + ", ".join(flows)
        if port.approvers:
            who += f" (approved by {', '.join(port.approvers)})"
    text = f"{port.mode}: {who}; from {', '.join(port.sources)} ({port.count_text()}); up to {port.max_duration}"
    if port.always_open:
        text += "; ALWAYS OPEN without JIT: " + "; ".join(r.describe() for r in port.always_open)
    return text


def _seconds(duration: str) -> float | None:
    """The cap in seconds, or None for a value JIT would refuse (the change is then reported as wider)."""
    try:
        return parse_duration(duration).total_seconds()
    except ValueError:
        return None


def _source_changes(old: PortAccess, new: PortAccess) -> list[tuple[bool, str]]:
    if sorted(old.sources) == sorted(new.sources):
        return []
    old_nets, new_nets = networks(old.sources), networks(new.sources)
    if old.addresses is None or new.addresses is None or old_nets is None or new_nets is None:
        text = f"sources {', '.join(old.sources)} changed to {', '.join(new.sources)}"
        # Without address arithmetic, anything but a pure removal may widen: say so rather than guess.
        wider = not old.any_source and (new.any_source or not set(new.sources) <= set(old.sources))
        return [(wider, f"{text} ({new.count_text()})")]
    net_of = dict(zip(old.sources, old_nets, strict=True)) | dict(zip(new.sources, new_nets, strict=True))
    added = [s for s in new.sources if s not in old.sources]
    removed = [s for s in old.sources if s not in new.sources]
    gained, lost = addresses_not_in(new_nets, old_nets), addresses_not_in(old_nets, new_nets)
    changes = []
    if gained:
        parts = []
        for prefix in added:
            inner = [r for r in removed if addresses_not_in([net_of[r]], [net_of[prefix]]) == 0]
            if addresses_not_in([net_of[prefix]], old_nets) == 0:
                continue  # already reachable: not a widening
            parts.append(f"{', '.join(inner)} widened to {prefix}" if inner else f"{prefix} added")
        changes.append((True, f"{'; '.join(parts)} (+{gained} addresses)"))
    if lost:
        parts = []
        for prefix in removed:
            if addresses_not_in([net_of[prefix]], new_nets) == 0:
                continue  # still reachable through another prefix
            inner = [a for a in added if addresses_not_in([net_of[a]], [net_of[prefix]]) == 0]
            parts.append(f"{prefix} narrowed to {', '.join(inner)}" if inner else f"{prefix} removed")
        changes.append((False, f"{'; '.join(parts)} (-{lost} addresses)"))
    return changes


def _port_changes(old: PortAccess, new: PortAccess) -> list[tuple[str, bool, str]]:
    found = [("sources", wide, text) for wide, text in _source_changes(old, new)]
    if old.max_duration != new.max_duration:
        before, after = _seconds(old.max_duration), _seconds(new.max_duration)
        longer = before is None or after is None or after > before
        found.append(("duration", longer, f"cap {old.max_duration} to {new.max_duration}"))
    old_people = {(q.kind, q.principal) for q in old.people}
    new_people = {(q.kind, q.principal) for q in new.people}
    if new_people - old_people:
        names = ", ".join(f"{k} {p}" for k, p in sorted(new_people - old_people))
        found.append(("requesters", True, f"{names} may now request directly"))
    if old_people - new_people:
        names = ", ".join(f"{k} {p}" for k, p in sorted(old_people - new_people))
        found.append(("requesters", False, f"{names} may no longer request directly"))
    if old.mode != new.mode and "approval" in (old.mode, new.mode):
        removed = old.mode == "approval"
        text = "approval removed (people can open ports directly)" if removed else "approval now required"
        found.append(("approval", removed, text))
    for rule in sorted(set(new.always_open) - set(old.always_open), key=lambda r: (r.nsg, r.name)):
        found.append(("always-open", True, f"always open without JIT: {rule.describe()}"))
    for rule in sorted(set(old.always_open) - set(new.always_open), key=lambda r: (r.nsg, r.name)):
        found.append(("always-open", False, f"no longer always open: {rule.describe()} removed"))
    if old.approvers != new.approvers and old.mode == new.mode == "approval":
        found.append(("approval", True, f"approvers {', '.join(old.approvers)} to {', '.join(new.approvers)}"))
    return found


def access_delta(base: list[PortAccess], head: list[PortAccess]) -> list[AccessChange]:
    """Widenings first, then narrowings; a change seen on every common port is said once."""
    old = {p.key: p for p in base}
    new = {p.key: p for p in head}
    changes: list[AccessChange] = []
    for key, port in new.items():
        if key not in old:
            text = f"{_where(port)} newly requestable ({describe_port(port)})"
            changes.append(AccessChange("new-port", True, text, [_where(port)]))
    for key, port in old.items():
        if key not in new:
            changes.append(AccessChange("removed-port", False, f"{_where(port)} no longer requestable", [_where(port)]))
    common = [k for k in new if k in old]
    grouped: dict[tuple[str, bool, str], list[str]] = {}
    for key in common:
        for kind, wide, text in _port_changes(old[key], new[key]):
            grouped.setdefault((kind, wide, text), []).append(_where(new[key]))
    for (kind, wide, text), ports in grouped.items():
        where = "on every port" if len(ports) == len(common) and len(common) > 1 else "on " + ", ".join(ports)
        changes.append(AccessChange(kind, wide, f"{text} {where}", ports))
    return sorted(changes, key=lambda c: not c.widening)


def delta_json(changes: list[AccessChange]) -> dict[str, Any]:
    """The `access.delta` key: widenings and narrowings, each a list of {kind, text, ports}."""

    def rows(wide: bool) -> list[dict[str, Any]]:
        return [{"kind": c.kind, "text": c.text, "ports": c.ports} for c in changes if c.widening is wide]

    return {"widenings": rows(True), "narrowings": rows(False)}
