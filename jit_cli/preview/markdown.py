"""The Markdown report: a pull-request comment that GitHub renders.

Order matters to a reviewer: a headline with the counts, the violations with their fix, what the change
creates, updates and deletes (property diffs with secrets masked), the resource list, then a Mermaid
diagram of the architecture. Long tables are collapsed, and the whole comment stays under GitHub's
65,536-character limit with a clear note when something had to be cut.
"""

from __future__ import annotations

import json
from typing import Any

from azure_jit_access.cli.preview.compare import Changes, format_diff
from azure_jit_access.cli.preview.model import PreviewResult
from azure_jit_access.cli.preview.render import sorted_violations, summary, to_json_document

COMMENT_LIMIT = 60_000  # GitHub rejects comments over 65,536 characters; leave room for the workflow's header
COLLAPSE_ROWS = 10
DETAILED_DIAGRAM_MAX = 40
TRUNCATED_NOTE = (
    "> **Truncated:** this report was cut to stay under GitHub's 65,536-character comment limit. "
    "Run `jit preview --format markdown --output preview.md` locally, or see the workflow "
    "artifact, for the full report."
)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def _short_type(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def _node_label(text: str) -> str:
    # Mermaid labels are quoted; quotes and brackets inside would end them early.
    return text.replace('"', "'").replace("[", "(").replace("]", ")")


def _references(resources: list[dict]) -> list[tuple[str, str]]:
    """(from urn, to urn) where an input of one resource holds the ARM id of another."""
    by_id = {r["id"].lower(): r["urn"] for r in resources if r.get("id")}
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
    return sorted(edges)


def mermaid(doc: dict[str, Any]) -> str:
    """A flowchart: components contain children (solid), resources that use another's id (dotted).

    Large stacks are drawn per type with counts, which GitHub can still render.
    """
    resources = [r for r in doc["resources"] if r["type"] != "pulumi:pulumi:Stack"]
    urns = {r["urn"] for r in resources}
    lines = ["flowchart LR"]
    if len(resources) <= DETAILED_DIAGRAM_MAX:
        ids = {r["urn"]: f"n{i}" for i, r in enumerate(resources)}
        for resource in resources:
            label = _node_label(f"{_short_type(resource['type'])}<br/>{resource['name']}")
            lines.append(f'    {ids[resource["urn"]]}["{label}"]')
        for resource in resources:
            if resource.get("parent") in urns:
                lines.append(f"    {ids[resource['parent']]} --> {ids[resource['urn']]}")
        for source, target in _references(resources):
            lines.append(f"    {ids[source]} -.-> {ids[target]}")
        return "\n".join(lines)
    type_of = {r["urn"]: r["type"] for r in resources}
    types = sorted(set(type_of.values()))
    ids = {t: f"t{i}" for i, t in enumerate(types)}
    for type_ in types:
        count = sum(1 for t in type_of.values() if t == type_)
        lines.append(f'    {ids[type_]}["{_node_label(_short_type(type_))} x{count}"]')
    contains = sorted({(type_of[r["parent"]], r["type"]) for r in resources if r.get("parent") in urns})
    uses = sorted({(type_of[a], type_of[b]) for a, b in _references(resources)} - set(contains))
    lines += [f"    {ids[a]} --> {ids[b]}" for a, b in contains if a != b]
    lines += [f"    {ids[a]} -.-> {ids[b]}" for a, b in uses if a != b]
    return "\n".join(lines)


def _details(summary_text: str, lines: list[str], rows: int) -> list[str]:
    if rows <= COLLAPSE_ROWS:
        return [f"**{summary_text}**", "", *lines, ""]
    return [f"<details><summary>{summary_text}</summary>", "", *lines, "", "</details>", ""]


def _headline(result: PreviewResult, changes: Changes | None) -> list[str]:
    counts = summary(result)
    status = "❌ blocked by mandatory policy violations" if counts["mandatory"] else "✅ no mandatory violations"
    steps = ""
    if changes is not None:
        c = changes.counts()
        steps = f" · {c['create']} to create, {c['update']} to update, {c['delete']} to delete, {c['same']} unchanged"
    if result.validation is not None and result.validation.issues:
        status += f" · ❌ {len(result.validation.issues)} Azure schema error(s) (`--validate`)"
    return [
        f"### `jit preview` · `{result.project}` / `{result.stack}`",
        "",
        f"**{status}** · **{counts['resources']} resources**{steps} · "
        f"**{counts['mandatory']} mandatory**, **{counts['advisory']} advisory** violations",
        "",
    ]


def _violation_lines(result: PreviewResult, names: dict[str, str]) -> list[str]:
    if not result.violations:
        return []
    rows = ["| Level | Policy | Resource | What is wrong and how to fix it |", "|---|---|---|---|"]
    for v in sorted_violations(result.violations):
        where = names.get(v.urn, v.urn) if v.urn else "(stack)"
        rows.append(f"| {v.enforcement} | `{v.policy}` | {_cell(where)} | {_cell(v.message)} |")
    return ["#### Policy violations", "", *rows, ""]


def _validation_lines(result: PreviewResult, names: dict[str, str]) -> list[str]:
    if result.validation is None:
        return []
    rows = ["| Resource | Source | Path | What is wrong | Reference |", "|---|---|---|---|---|"]
    for issue in result.validation.issues:
        rows.append(
            f"| {_cell(names.get(issue.urn, issue.urn))} | {_cell(issue.source)} | `{issue.path}` | "
            f"{_cell(issue.message)} | {_cell(issue.reference)} |"
        )
    table = rows if result.validation.issues else []
    return ["#### Azure schema check (`--validate`)", "", *table, "", _cell(result.validation.note()), ""]


def _change_lines(changes: Changes | None) -> list[str]:
    if changes is None:
        return []
    lines = ["#### Changes", ""]
    if not (changes.create or changes.update or changes.delete):
        return lines + ["No resource changes compared with the base preview.", ""]
    for title, items in (("Create", changes.create), ("Delete", changes.delete)):
        if items:
            table = ["| Type | Name |", "|---|---|"] + [f"| `{r['type']}` | {_cell(r['name'])} |" for r in items]
            lines += _details(f"{title} ({len(items)})", table, len(items))
    if changes.update:
        body: list[str] = []
        for resource, diffs in changes.update:
            body += [
                f"`{resource['type']}` **{_cell(resource['name'])}**",
                "```diff",
                *[format_diff(d) for d in diffs],
                "```",
            ]
        lines += _details(f"Update ({len(changes.update)})", body, len(changes.update))
    return lines


def _fit(sections: list[list[str]], limit: int) -> str:
    """Join sections; if too long, cut lines from the largest section (never the headline) and say so."""
    text = "\n".join(line for section in sections for line in section)
    if len(text) <= limit:
        return text
    sections = [list(s) for s in sections]
    budget = limit - len(TRUNCATED_NOTE) - 200
    while len("\n".join(line for s in sections for line in s)) > budget:
        largest = max(range(1, len(sections)), key=lambda i: sum(len(x) for x in sections[i]))
        if len(sections[largest]) <= 2:
            break
        cut = max(1, len(sections[largest]) // 4)
        sections[largest] = sections[largest][:-cut]
        # A cut inside a code block, <details> or mermaid block would break the rest of the page.
        sections[largest] = _close_blocks(sections[largest])
    return "\n".join(line for s in sections for line in s) + "\n\n" + TRUNCATED_NOTE


def _close_blocks(lines: list[str]) -> list[str]:
    fences = sum(1 for line in lines if line.startswith("```"))
    closed = list(lines)
    if fences % 2:
        closed.append("```")
    if sum("<details>" in x for x in closed) > sum("</details>" in x for x in closed):
        closed.append("</details>")
    return closed + [""]


def render_markdown(result: PreviewResult, changes: Changes | None = None, limit: int = COMMENT_LIMIT) -> str:
    """The whole PR comment."""
    doc = to_json_document(result)
    names = {r["urn"]: f"`{_short_type(r['type'])}` {r['name']}" for r in doc["resources"]}
    resource_rows = ["| Type | Name | Parent |", "|---|---|---|"] + [
        f"| `{r['type']}` | {_cell(r['name'])} | {_cell(names.get(r['parent'], '') if r['parent'] else '')} |"
        for r in doc["resources"]
    ]
    outputs = ["```json", json.dumps(doc["outputs"], indent=2, sort_keys=True), "```"] if doc["outputs"] else []
    sections = [
        _headline(result, changes),
        _violation_lines(result, names),
        _validation_lines(result, names),
        _change_lines(changes),
        ["#### Architecture", "", "```mermaid", mermaid(doc), "```", ""],
        _details(f"Resources ({len(doc['resources'])})", resource_rows, len(doc["resources"])),
        _details("Stack outputs", outputs, len(outputs)) if outputs else [],
    ]
    return _fit(sections, limit) + "\n"
