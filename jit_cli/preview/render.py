"""Turning a preview into text (a resource tree), JSON (the pinned shape) or Markdown (a PR comment)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from azure_jit_access.cli.preview import access_report
from azure_jit_access.cli.preview.compare import Changes, format_diff
from azure_jit_access.cli.preview.model import UNKNOWN, PreviewResult, Resource, Violation

SECRET = "[secret]"
UNKNOWN_TEXT = "output<string>"
"""How the Pulumi CLI's preview shows a value known only after apply (its wire unknowns are strings)."""
PINNED_OPTIONS = ("protect", "retainOnDelete", "ignoreChanges", "dependsOn")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def mask_secrets(inputs: dict[str, Any], secret_paths: list[str]) -> dict[str, Any]:
    """A copy of `inputs` with every secret replaced by `[secret]`."""
    if not secret_paths:
        return inputs
    masked = copy.deepcopy(inputs)
    for path in secret_paths:
        parts = [name if name else int(index) for name, index in _PATH_PART.findall(path)]
        node: Any = masked
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = SECRET
    return masked


def summary(result: PreviewResult) -> dict[str, int]:
    """Counts for the summary line and the JSON `summary` key."""
    return {
        "resources": len(result.resources),
        "mandatory": sum(v.enforcement == "mandatory" for v in result.violations),
        "advisory": sum(v.enforcement == "advisory" for v in result.violations),
    }


def resource_json(resource: Resource) -> dict[str, Any]:
    """One resource in the pinned JSON shape (secrets masked)."""
    entry: dict[str, Any] = {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "parent": resource.parent,
        "inputs": mask_secrets(resource.inputs, resource.secret_paths),
        "options": {
            key: resource.options.get(key, [] if key in ("ignoreChanges", "dependsOn") else False)
            for key in PINNED_OPTIONS
        },
    }
    if resource.id:
        entry["id"] = resource.id
    if resource.source:
        entry["source"] = resource.source
    return entry


def source_text(resource: Resource) -> str:
    """`file:line` of the program line that constructed the resource, or an empty string."""
    return f"{resource.source['file']}:{resource.source['line']}" if resource.source else ""


def text_value(value: Any) -> str:
    """A value as the text report shows it: JSON, with unknowns as the CLI shows them (`output<string>`)."""
    if value == UNKNOWN:
        return UNKNOWN_TEXT
    return json.dumps(value, sort_keys=True).replace(json.dumps(UNKNOWN), UNKNOWN_TEXT)


def to_json_document(result: PreviewResult, changes: Changes | None = None) -> dict[str, Any]:
    """The whole preview as the pinned JSON document (with `changes` when compared with a base)."""
    outputs = {k: (SECRET if k in result.secret_outputs else v) for k, v in sorted(result.outputs.items())}
    doc = {
        "project": result.project,
        "stack": result.stack,
        "resources": [resource_json(r) for r in result.resources],
        "outputs": outputs,
        "violations": [_violation_json(v, result) for v in sorted_violations(result.violations)],
        "summary": summary(result),
    }
    doc["access"] = access_report.access_json(doc, changes)
    if result.remediations:
        doc["remediations"] = [
            {"pack": r.pack, "policy": r.policy, "urn": r.urn, "before": r.before, "after": r.after}
            for r in result.remediations
        ]
    if result.warnings:
        doc["warnings"] = sorted(set(result.warnings))
    if result.validation is not None:
        doc["validation"] = [issue.to_json() for issue in result.validation.issues]
        doc["validationNotChecked"] = dict(sorted(result.validation.not_checked.items()))
    if changes is not None:
        doc["changes"] = changes.to_json()
    return doc


def render_json(result: PreviewResult, changes: Changes | None = None) -> str:
    """JSON text; keys sorted so that equal previews are byte-identical."""
    return json.dumps(to_json_document(result, changes), indent=2, sort_keys=True) + "\n"


def _violation_json(violation: Violation, result: PreviewResult) -> dict[str, Any]:
    """The pinned violation keys, plus the policy's fix and docs link (pulumi-policy metadata) when it has them."""
    out: dict[str, Any] = {
        "pack": violation.pack,
        "policy": violation.policy,
        "enforcement": violation.enforcement,
        "urn": violation.urn,
        "message": violation.message,
    }
    doc = result.policy_docs.get(f"{violation.pack}/{violation.policy}")
    if doc is not None and doc.remediation:
        out["remediation"] = doc.remediation
    if doc is not None and doc.url:
        out["url"] = doc.url
    return out


def sorted_violations(violations: list[Violation]) -> list[Violation]:
    """Mandatory first, then by policy and resource, so the order never depends on scheduling."""
    rank = {"mandatory": 0, "advisory": 1}
    return sorted(violations, key=lambda v: (rank.get(v.enforcement, 2), v.pack, v.policy, v.urn or "", v.message))


def _depths(result: PreviewResult) -> dict[str, int]:
    depth: dict[str, int] = {}
    for resource in result.resources:  # tree order: a parent always comes before its children
        depth[resource.urn] = depth.get(resource.parent, -1) + 1 if resource.parent in depth else 0
    return depth


SYMBOLS = {"create": "+", "update": "~", "delete": "-", "same": " "}


def _tree_lines(result: PreviewResult, changes: Changes | None) -> list[str]:
    depth = _depths(result)
    rows = [
        (depth[r.urn], r.type, r.name, changes.kind_of(r.urn) if changes else "create", source_text(r))
        for r in result.resources
    ]
    if changes is not None:
        rows += [(1, r["type"], r["name"], "delete", "") for r in changes.delete]
    width = max((len(type_) + 3 * level for level, type_, _, _, _ in rows), default=4) + 2
    name_width = max((len(name) for _, _, name, _, _ in rows), default=4) + 2
    lines = [f"     {'Type':<{width}}{'Name':<{name_width}}Source".rstrip()]
    for level, type_, name, kind, source in rows:
        label = ("│  " * (level - 1) + "├─ " if level else "") + type_
        lines.append(f" {SYMBOLS[kind]}   {label:<{width}}{name:<{name_width}}{source}".rstrip())
    return lines


def summary_line(result: PreviewResult, changes: Changes | None = None) -> str:
    """`Resources: ...` then the violation counts, on one line."""
    counts = summary(result)
    if changes is None:
        steps = f"{counts['resources']} to create"
    else:
        c = changes.counts()
        steps = f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete, {c['same']} unchanged"
    return f"Resources: {steps}. Policy violations: {counts['mandatory']} mandatory, {counts['advisory']} advisory."


def _names(result: PreviewResult) -> dict[str | None, str]:
    names: dict[str | None, str] = {r.urn: f"{r.type} {r.name}" for r in result.resources}
    names[None] = "(stack)"
    return names


def render_text(result: PreviewResult, changes: Changes | None = None) -> str:
    """The resource tree, outputs, violations grouped by enforcement level, then a one-line summary."""
    lines = [f"Previewing {result.project} stack {result.stack!r} offline (mock engine, no cloud calls)", ""]
    lines += [*access_report.text_lines(to_json_document(result), changes), ""]
    lines += _tree_lines(result, changes)
    if changes is not None and changes.update:
        lines += ["", "Changes:"]
        for resource, diffs in changes.update:
            lines.append(f"    ~ {resource['type']} {resource['name']}")
            lines += [f"        {format_diff(d)}" for d in diffs]
    if result.outputs:
        lines += ["", "Outputs:"]
        for key, value in sorted(result.outputs.items()):
            shown = SECRET if key in result.secret_outputs else text_value(value)
            lines.append(f"    {key}: {shown}")
    if result.remediations:
        lines += ["", "Policy remediations:"]
        for remediation in result.remediations:
            where = _names(result).get(remediation.urn, remediation.urn)
            lines.append(f"    [remediate] {remediation.pack} {remediation.policy}  ({where})")
    for warning in sorted(set(result.warnings)):
        lines += ["", f"warning: {warning}"]
    names = _names(result)
    for level in ("mandatory", "advisory"):
        group = [v for v in sorted_violations(result.violations) if v.enforcement == level]
        if not group:
            continue
        lines += ["", f"Policy violations ({level}):"]
        for violation in group:
            where = names.get(violation.urn, violation.urn or "(stack)")
            lines.append(f"    [{level}] {violation.pack} {violation.policy}  ({where})")
            lines += [f"        {line}" for line in violation.message.splitlines()]
            doc = result.policy_docs.get(f"{violation.pack}/{violation.policy}")
            # The fix and the docs link are the policy's metadata, shown once under its message.
            if doc is not None and doc.remediation and not violation.message.startswith("can't run policy"):
                lines.append(f"        How to fix: {doc.remediation}")
            if doc is not None and doc.url:
                lines.append(f"        See: {doc.url}")
    lines += validation_lines(result, names)
    lines += ["", summary_line(result, changes)]
    return "\n".join(lines) + "\n"


def validation_lines(result: PreviewResult, names: dict[str | None, str]) -> list[str]:
    """The `--validate` section of the text report: every schema error, then what was not checked."""
    if result.validation is None:
        return []
    lines = ["", "Azure schema check (--validate):"]
    for issue in result.validation.issues:
        where = names.get(issue.urn, issue.urn) + (f" at {issue.source}" if issue.source else "")
        lines += [f"    [error] {issue.path}  ({where})", f"        {issue.message}", f"        see {issue.reference}"]
    lines.append(f"    {result.validation.note()}")
    return lines
