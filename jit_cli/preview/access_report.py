"""The access summary as the JSON `access` key, text lines and Markdown: the first thing a reviewer reads."""

from __future__ import annotations

from typing import Any

from azure_jit_access.cli.preview.access import PortAccess, port_json, summarize
from azure_jit_access.cli.preview.access_delta import AccessChange, access_delta, delta_json, describe_port


def _delta(doc: dict[str, Any], changes: Any) -> list[AccessChange] | None:
    base = getattr(changes, "base_doc", None) if changes is not None else None
    return None if base is None else access_delta(summarize(base), summarize(doc))


def access_json(doc: dict[str, Any], changes: Any = None) -> dict[str, Any]:
    """The pinned `access` key: `ports` (what this preview allows) and, when compared, `delta`."""
    out: dict[str, Any] = {"ports": [port_json(p) for p in summarize(doc)]}
    delta = _delta(doc, changes)
    if delta is not None:
        out["delta"] = delta_json(delta)
    return out


def _delta_lines(delta: list[AccessChange], bullet: str, wide: str, narrow: str) -> list[str]:
    if not delta:
        return [f"{bullet}No change to who may request which port, from where or for how long."]
    return [f"{bullet}{wide if c.widening else narrow}{c.text}" for c in delta]


def text_lines(doc: dict[str, Any], changes: Any = None) -> list[str]:
    """`Access:` then, when compared, the delta (widenings first), then one line per port."""
    ports = summarize(doc)
    delta = _delta(doc, changes)
    lines = ["Access:"]
    if delta is not None:
        lines += _delta_lines(delta, "    ", "WIDER   ", "NARROWER ")
    if not ports:
        return lines + ["    No JIT-requestable ports in this program."]
    return lines + [f"    {p.vm} port {p.port}/{p.protocol}: {describe_port(p)}" for p in ports]


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def _who(port: PortAccess) -> str:
    if port.mode == "none":
        return "nobody in this program"
    shown = port.people if port.mode == "direct" else [q for q in port.requesters if q.workflow]
    names = [f"workflow {q.workflow}" if q.workflow else f"{q.kind} `{q.principal}` ({q.role})" for q in shown]
    flows = sorted({q.workflow for q in port.requesters if q.workflow})
    if port.mode == "direct" and flows:
        names.append(f"also workflow {', '.join(flows)} (its approval can be bypassed)")
    return f"**{port.mode}**: " + "<br>".join(names)


def markdown_lines(doc: dict[str, Any], changes: Any = None, collapse_rows: int = 10) -> list[str]:
    """`#### Access`: the delta as a list (widenings first, marked ⚠️), then a table per VM and port."""
    delta, table = markdown_sections(doc, changes, collapse_rows)
    return delta + table


def markdown_sections(doc: dict[str, Any], changes: Any = None, collapse_rows: int = 10) -> tuple[list[str], list[str]]:
    """The heading with the delta, and the table: a long report may shorten the table, never the delta."""
    ports = summarize(doc)
    delta = _delta(doc, changes)
    lines = ["#### Access", ""]
    if delta is not None:
        lines += ["**What this change does to access** (widenings first):", ""]
        lines += _delta_lines(delta, "- ", "⚠️ **wider:** ", "✅ narrower: ")
        lines.append("")
    if not ports:
        return lines + ["No JIT-requestable ports in this program.", ""], []
    table = ["| VM | Port | Who may request | Sources | Max duration | Approved by |", "|---|---|---|---|---|---|"]
    for p in ports:
        sources = "<br>".join(f"`{s}`" for s in p.sources) + f" ({p.count_text()})"
        for rule in p.always_open:
            sources += f"<br>⚠️ **always open** via `{rule.nsg}/{rule.name}` from {', '.join(rule.sources)}"
        approvers = ", ".join(p.approvers) or ("—" if p.mode != "approval" else "unknown")
        table.append(
            f"| {_cell(p.vm)} | {p.port}/{_cell(p.protocol)} | {_cell(_who(p))} | {sources} | "
            f"{_cell(p.max_duration)} | {_cell(approvers)} |"
        )
    title = f"Access after this change ({len(ports)} ports)" if delta is not None else f"Access ({len(ports)} ports)"
    if len(ports) <= collapse_rows:
        return lines, [f"**{title}**", "", *table, ""]
    return lines, [f"<details><summary>{title}</summary>", "", *table, "", "</details>", ""]
