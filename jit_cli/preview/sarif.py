"""`jit preview --format sarif`: policy violations as SARIF 2.1.0, for GitHub code scanning.

One `reportingDescriptor` (rule) per policy of the loaded packs, with its description, its documentation
(`helpUri`) and a severity from its enforcement level; one result per violation, located at the line of the
program that constructed the resource. The engine records that line as `source: {"file", "line"}` on a
resource where it can; without it the first line of the program quoting the resource's logical name stands in,
and for stack-wide violations line 1 of the entry point; the message says which.

SARIF 2.1.0: OASIS standard, https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html; GitHub reads
`properties.security-severity` (a number as text, 9.0+ critical, 7.0+ high, 4.0+ medium) and `helpUri`
(https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .compare import Changes
from .model import PreviewResult, Resource, Violation
from .render import sorted_violations

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "jit-preview"
TOOL_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html"
LEVELS = {"mandatory": "error", "remediate": "error", "advisory": "warning"}
SECURITY_SEVERITY = {"mandatory": "8.0", "remediate": "8.0", "advisory": "5.0"}


@dataclass(frozen=True)
class PolicyInfo:
    """What SARIF says about one policy: its pack, description, enforcement level and documentation URL."""

    pack: str
    name: str
    description: str
    enforcement: str
    help_uri: str


def docs_uri(policy: str, pack_dir: Path | None, url: str | None = None) -> str:
    """The policy's documentation: its own `url` metadata, else docs/policies.md beside the pack.

    In GitHub Actions that file is linked on github.com at the commit under review; elsewhere as a file URI.
    """
    if url:
        return url
    server, repo, sha = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    anchor = f"#{policy}"
    if server and repo and sha:
        return f"{server}/{repo}/blob/{sha}/docs/policies.md{anchor}"
    base = (pack_dir.resolve().parent if pack_dir else Path.cwd()) / "docs" / "policies.md"
    return base.as_uri() + anchor


def policy_infos(packs: Iterable[Any]) -> list[PolicyInfo]:
    """PolicyInfo for every policy of the loaded packs (`packs.LoadedPack`)."""
    infos = []
    for pack in packs:
        for policy in pack.policies:
            level = getattr(policy.enforcement_level or pack.enforcement_level, "value", "advisory")
            url = getattr(policy, "url", None)
            infos.append(
                PolicyInfo(
                    pack.name,
                    policy.name,
                    policy.description or policy.name,
                    level,
                    docs_uri(policy.name, pack.path, url),
                )
            )
    return infos


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


_LITERAL = re.compile(r"""["']([^"'\n]{1,200})["']""")


def literal_lines(program: Path, limit: int = 500) -> dict[str, tuple[Path, int]]:
    """The first (file, line) where each string literal appears in the program's own Python files.

    The fallback locator when the engine recorded no source line: a raw program names its resources with
    literals (`network.LoadBalancer("web-lb", ...)`), so the first line quoting the logical name is where the
    resource is built. Names built at run time (component children) are not found.
    """
    found: dict[str, tuple[Path, int]] = {}
    folder = program.parent
    files = [program, *sorted(p for p in folder.rglob("*.py") if p != program)]
    for file in files[:limit]:
        if any(
            part.startswith(".") or part in ("venv", "node_modules") for part in file.relative_to(folder).parts[:-1]
        ):
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for match in _LITERAL.finditer(line):
                found.setdefault(match.group(1), (file, number))
    return found


def _location(
    resource: Resource | None,
    program: Path,
    root: Path,
    literals: Mapping[str, tuple[Path, int]] | None = None,
    program_dir: Path | None = None,
) -> tuple[dict[str, Any], str | None]:
    """(SARIF location, note when the program line is not known) of the resource that was judged."""
    source = getattr(resource, "source", None) if resource is not None else None
    guess = (literals or {}).get(resource.name) if resource is not None else None
    if isinstance(source, Mapping) and source.get("file") and isinstance(source.get("line"), int):
        # The engine records files relative to the program folder (absolute when outside it).
        file, line, note = (program_dir or program.parent) / str(source["file"]), int(source["line"]), None
    elif guess is not None:
        file, line = guess
        note = "Located by the first line quoting the resource's name; the engine recorded no source line."
    else:
        file, line = program, 1
        note = (
            "The whole stack was judged, so the result points at the program's entry point."
            if resource is None
            else "The engine did not record where this resource was constructed; line 1 of the program stands in."
        )
    physical = {"artifactLocation": {"uri": _relative(file, root)}, "region": {"startLine": max(line, 1)}}
    location: dict[str, Any] = {"physicalLocation": physical}
    if resource is not None:
        location["logicalLocations"] = [{"fullyQualifiedName": resource.urn, "kind": "resource"}]
    return location, note


def _result(
    violation: Violation,
    index: dict[str, int],
    resources: dict[str, Resource],
    program: Path,
    root: Path,
    literals: Mapping[str, tuple[Path, int]],
    program_dir: Path | None,
) -> dict[str, Any]:
    resource = resources.get(violation.urn or "")
    location, note = _location(resource, program, root, literals, program_dir)
    detail = violation.message.split("\n", 1)[1] if "\n" in violation.message else violation.message
    text = detail if note is None else f"{detail} ({note})"
    result: dict[str, Any] = {
        "ruleId": violation.policy,
        "level": LEVELS.get(violation.enforcement, "note"),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"jitPreview/v1": f"{violation.policy}|{violation.urn or 'stack'}"},
    }
    if violation.policy in index:
        result["ruleIndex"] = index[violation.policy]
    return result


def to_sarif(
    result: PreviewResult,
    policies: list[PolicyInfo],
    program: Path,
    root: Path | None = None,
    program_dir: Path | None = None,
) -> dict[str, Any]:
    """The SARIF log (a dict): one run, one rule per policy, one result per violation.

    `program` is the entry point, `program_dir` the folder the engine's source files are relative to (default:
    the entry point's folder), `root` the folder artifact URIs are relative to (default: the working directory,
    the repository root in CI).
    """
    root = root or Path.cwd()
    known = {p.name for p in policies}
    extra = [
        PolicyInfo(v.pack, v.policy, v.message.split("\n", 1)[0], v.enforcement, docs_uri(v.policy, None))
        for v in result.violations
        if v.policy not in known
    ]
    infos = list({p.name: p for p in [*policies, *extra]}.values())
    rules = [
        {
            "id": info.name,
            "name": info.name,
            "shortDescription": {"text": info.description},
            "fullDescription": {"text": info.description},
            "helpUri": info.help_uri,
            "help": {"text": f"{info.description} See {info.help_uri}"},
            "defaultConfiguration": {"level": LEVELS.get(info.enforcement, "note")},
            "properties": {
                "pack": info.pack,
                "enforcement": info.enforcement,
                "security-severity": SECURITY_SEVERITY.get(info.enforcement, "2.0"),
                "tags": ["security", "azure", "jit"],
            },
        }
        for info in infos
    ]
    index = {info.name: i for i, info in enumerate(infos)}
    resources = {r.urn: r for r in result.resources}
    literals = literal_lines(program) if result.violations and program.is_file() else {}
    results = [
        _result(v, index, resources, program, root, literals, program_dir) for v in sorted_violations(result.violations)
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL_NAME, "informationUri": TOOL_URI, "rules": rules}},
                "automationDetails": {"id": f"jit-preview/{result.project}/{result.stack}/"},
                "results": results,
            }
        ],
    }


def sarif_renderer(packs: Iterable[Any], program: Path, program_dir: Path | None = None, root: Path | None = None):
    """A renderer with the CLI's `(result, changes)` signature; `changes` do not apply to SARIF."""
    policies = policy_infos(packs)

    def render(result: PreviewResult, changes: Changes | None = None) -> str:
        log = to_sarif(result, policies, program, root, program_dir)
        return json.dumps(log, indent=2, sort_keys=True) + "\n"

    return render
