"""The Markdown report: a pull-request comment that GitHub renders.

Order matters to a reviewer: a headline with the counts, what the change does to access (widenings first),
the violations grouped per policy and resource with their fix and docs link, what the change creates,
updates and deletes (identity-aware property diffs, secrets masked), a Mermaid diagram of the change, then
the resource list. Long tables are collapsed, and the whole comment stays under GitHub's
65,536-character limit with a clear note when something had to be cut.
"""

from __future__ import annotations

import json
from typing import Any

from azure_jit_access.cli.preview import access_report, diagram
from azure_jit_access.cli.preview.compare import Changes, format_diff
from azure_jit_access.cli.preview.model import PreviewResult
from azure_jit_access.cli.preview.render import summary, to_json_document
from azure_jit_access.cli.preview.violation_groups import group_violations

COMMENT_LIMIT = 60_000  # GitHub rejects comments over 65,536 characters; leave room for the workflow's header
COLLAPSE_ROWS = 10
LEGEND = (
    "<sub>Green `+` create, yellow `~` update, red `-` delete; unchanged parts are folded into grey counts, "
    "dotted arrows are dependencies between components.</sub>"
)
TRUNCATED_NOTE = (
    "> **Truncated:** this report was cut to stay under GitHub's 65,536-character comment limit. "
    "Run `jit preview --format markdown --output preview.md` locally, or see the workflow "
    "artifact, for the full report."
)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def _source_cell(source: dict[str, Any] | None) -> str:
    return f"`{source['file']}:{source['line']}`" if source else ""


def _short_type(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def mermaid(doc: dict[str, Any], changes: Changes | None = None) -> str:
    """The diagram of the change (see diagram.py)."""
    return diagram.mermaid(doc, changes)


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
    rows = ["| Level | Policy | Resource | Instances | Fix |", "|---|---|---|---|---|"]
    for g in group_violations(result.violations, result.policy_docs):
        where = names.get(g.urn, g.urn) if g.urn else "(stack)"
        policy = f"[`{g.policy}`]({g.url})" if g.url else f"`{g.policy}`"
        instances = "<br>".join(f"• {_cell(text)}" for text in g.instances)
        rows.append(f"| {g.enforcement} | {policy} | {_cell(where)} | {instances} | {_cell(g.fix)} |")
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
    resource_rows = ["| Type | Name | Parent | Source |", "|---|---|---|---|"] + [
        f"| `{r['type']}` | {_cell(r['name'])} | {_cell(names.get(r['parent'], '') if r['parent'] else '')} "
        f"| {_source_cell(r.get('source'))} |"
        for r in doc["resources"]
    ]
    outputs = ["```json", json.dumps(doc["outputs"], indent=2, sort_keys=True), "```"] if doc["outputs"] else []
    title = "#### Diagram of the change" if changes is not None else "#### Architecture"
    access_delta, access_table = access_report.markdown_sections(doc, changes, COLLAPSE_ROWS)
    sections = [
        _headline(result, changes) + access_delta,  # the first section is never cut
        access_table,
        _violation_lines(result, names),
        _validation_lines(result, names),
        _change_lines(changes),
        [title, "", "```mermaid", mermaid(doc, changes), "```", "", LEGEND, ""],
        _details(f"Resources ({len(doc['resources'])})", resource_rows, len(doc["resources"])),
        _details("Stack outputs", outputs, len(outputs)) if outputs else [],
    ]
    return _fit(sections, limit) + "\n"
