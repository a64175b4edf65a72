"""A Mermaid flowchart of the change: what a reviewer must look at, and no more.

Components are subgraphs holding their children; created, updated and deleted resources are drawn and
styled (`create`/`update`/`delete` classes, with a `+`/`~`/`-` in the label for readers without colour);
unchanged subtrees are collapsed to a count; many changed siblings of one type show the first few and a
"N more" node; dependency edges (an input holding another resource's id, or `dependsOn`) are drawn only
where they cross components. The whole diagram is capped (MAX_NODES, MAX_EDGES) with a note saying how
much was left out, so a 1000-VM estate stays readable and under GitHub's Mermaid limits.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

MAX_NODES = 60
MAX_EDGES = 40
SIBLINGS_SHOWN = 3
STACK = "pulumi:pulumi:Stack"
SYMBOL = {"create": "+", "update": "~", "delete": "-", "same": ""}
CLASS_DEFS = [
    "    classDef create fill:#dafbe1,stroke:#1a7f37,color:#0b3d1a",
    "    classDef update fill:#fff8c5,stroke:#9a6700,color:#3d2a00",
    "    classDef delete fill:#ffebe9,stroke:#cf222e,color:#4c0a10,stroke-dasharray:4 3",
    "    classDef same fill:#f6f8fa,stroke:#8c959f,color:#424a53",
    "    classDef more fill:#ffffff,stroke:#8c959f,color:#424a53,stroke-dasharray:2 2",
]


def label(text: str) -> str:
    """Text safe inside a quoted Mermaid label (quotes, brackets and entity marks would end or alter it)."""
    return text.replace('"', "'").replace("[", "(").replace("]", ")").replace("#", " ").replace("`", "'")


def short_type(type_: str) -> str:
    """`azure-native:network:SecurityRule` -> `SecurityRule`."""
    return type_.rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def references(resources: list[dict]) -> list[tuple[str, str]]:
    """(from urn, to urn) where an input of one resource holds the ARM id of another, or it depends on it."""
    by_id = {r["id"].lower(): r["urn"] for r in resources if isinstance(r.get("id"), str)}
    urns = {r["urn"] for r in resources}
    edges: set[tuple[str, str]] = set()

    def scan(value: Any, urn: str) -> None:
        if isinstance(value, str):
            target = by_id.get(value.lower())
            if target and target != urn:
                edges.add((urn, target))
        elif isinstance(value, dict):
            for item in value.values():
                scan(item, urn)
        elif isinstance(value, list):
            for item in value:
                scan(item, urn)

    for resource in resources:
        scan(resource.get("inputs", {}), resource["urn"])
        for target in (resource.get("options") or {}).get("dependsOn") or []:
            if target in urns and target != resource["urn"]:
                edges.add((resource["urn"], target))
    return sorted(edges)


class _Drawing:
    def __init__(self, resources: list[dict], kinds: dict[str, str]) -> None:
        self.by_urn = {r["urn"]: r for r in resources}
        self.kinds = kinds
        self.children: dict[str | None, list[str]] = {}
        for r in resources:
            parent = r.get("parent") if r.get("parent") in self.by_urn else None
            self.children.setdefault(parent, []).append(r["urn"])
        self.lines: list[str] = []
        self.node_of: dict[str, str] = {}  # urn -> the drawn node or subgraph that stands for it
        self.count = 0
        self.omitted = 0
        self._subtree: dict[str, list[str]] = {}

    def subtree(self, urn: str) -> list[str]:
        if urn not in self._subtree:
            self._subtree[urn] = [urn] + [u for c in self.children.get(urn, []) for u in self.subtree(c)]
        return self._subtree[urn]

    def _new_id(self, prefix: str) -> str | None:
        if self.count >= MAX_NODES:
            return None
        self.count += 1
        return f"{prefix}{self.count}"

    def _stand_for(self, urns: list[str], node: str) -> None:
        for urn in urns:
            self.node_of.setdefault(urn, node)

    def draw(self, parent: str | None, indent: str) -> None:
        children = sorted(self.children.get(parent, []), key=lambda u: (self.by_urn[u]["type"], self.by_urn[u]["name"]))
        unchanged = [u for u in children if all(self.kinds[x] == "same" for x in self.subtree(u))]
        changed = [u for u in children if u not in unchanged]
        groups: dict[tuple[str, str], list[str]] = {}
        for urn in changed:
            groups.setdefault((self.by_urn[urn]["type"], self.kinds[urn]), []).append(urn)
        for (type_, kind), urns in groups.items():
            for urn in urns[:SIBLINGS_SHOWN]:
                self._draw_one(urn, indent)
            rest = urns[SIBLINGS_SHOWN:]
            if rest:
                resources = sum(len(self.subtree(u)) for u in rest)
                what = f"{SYMBOL[kind]} {len(rest)} more {short_type(type_)}" + (
                    f" ({resources} resources)" if resources > len(rest) else ""
                )
                self._draw_leaf(rest, f"{what}", kind, indent)
        if unchanged:
            inner = [x for u in unchanged for x in self.subtree(u)]
            types = Counter(short_type(self.by_urn[x]["type"]) for x in inner)
            top = ", ".join(f"{n} {t}" for t, n in sorted(types.items(), key=lambda item: (-item[1], item[0]))[:3])
            more = ", ..." if len(types) > 3 else ""
            self._draw_leaf(inner, f"{len(inner)} unchanged<br/>{top}{more}", "same", indent)

    def _draw_leaf(self, urns: list[str], text: str, kind: str, indent: str) -> None:
        node = self._new_id("n")
        if node is None:
            self.omitted += len({x for u in urns for x in self.subtree(u)})
            return
        self.lines.append(f'{indent}{node}["{label(text)}"]:::{kind}')
        self._stand_for([x for u in urns for x in self.subtree(u)], node)

    def _draw_one(self, urn: str, indent: str) -> None:
        resource, kind = self.by_urn[urn], self.kinds[urn]
        text = f"{SYMBOL[kind]} {short_type(resource['type'])}<br/>{resource['name']}".strip()
        if not self.children.get(urn):
            self._draw_leaf([urn], text, kind, indent)
            return
        node = self._new_id("c")
        if node is None:
            self.omitted += len(self.subtree(urn))
            return
        self.node_of[urn] = node
        # One line: Mermaid draws a multi-line subgraph title over the first child.
        self.lines.append(f'{indent}subgraph {node}["{label(text.replace("<br/>", " "))}"]')
        self.draw(urn, indent + "    ")
        self.lines.append(f"{indent}end")
        self.lines.append(f"{indent}class {node} {kind}")


def mermaid(doc: dict[str, Any], changes: Any = None) -> str:
    """The diagram of a preview; with `changes` (from --compare) deletions are drawn and unchanged parts fold."""
    resources = [r for r in doc["resources"] if r["type"] != STACK]
    if changes is not None:
        resources += [r for r in changes.delete if r["type"] != STACK]
    kinds = {r["urn"]: changes.kind_of(r["urn"]) if changes is not None else "create" for r in resources}
    drawing = _Drawing(resources, kinds)
    drawing.draw(None, "    ")
    component_of = {}
    for r in resources:
        parent = r.get("parent")
        while parent in drawing.by_urn and not drawing.children.get(parent):
            parent = drawing.by_urn[parent].get("parent")
        component_of[r["urn"]] = parent if parent in drawing.by_urn else None
    edges: list[str] = []
    seen: set[tuple[str, str]] = set()
    skipped = 0
    for source, target in references(resources):
        if component_of[source] == component_of[target]:
            continue
        a, b = drawing.node_of.get(source), drawing.node_of.get(target)
        if a is None or b is None or a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        if len(edges) >= MAX_EDGES:
            skipped += 1
            continue
        edges.append(f"    {a} -.-> {b}")
    lines = ["flowchart LR", *drawing.lines, *edges]
    if drawing.omitted or skipped:
        note = f"{drawing.omitted} more resources" if drawing.omitted else ""
        note += (" and " if note and skipped else "") + (f"{skipped} more edges" if skipped else "")
        lines.append(f'    more["{label(note)} not drawn (diagram capped at {MAX_NODES} nodes)"]:::more')
    return "\n".join(lines + CLASS_DEFS)
