"""KQL judged by Microsoft's Kusto.Language (npm @kusto/language-service-next, pinned in tests/fidelity/node):
parsed and bound against the documented `AzureActivity` columns (Learn table reference, references/kql/) and
the project's own table as the preview deploys it; DCR transformations also restricted to the operators and
functions Azure Monitor supports in transformations (Learn, references/kql/transformation-kql.json)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from azure_jit_access.cli.preview.validate import REFERENCES

_RESULTS: dict[str, list[dict]] = {}
NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "kql_check.js"
# Kusto.Language's type names for the Tables API's column types.
_TABLE_TYPES = {
    "dateTime": "datetime",
    "datetime": "datetime",
    "string": "string",
    "int": "int",
    "long": "long",
    "real": "real",
    "boolean": "bool",
    "bool": "bool",
    "dynamic": "dynamic",
    "guid": "guid",
}


@dataclass
class QueryReport:
    """What Kusto.Language says about one query."""

    name: str
    errors: list[str] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    """The result's columns and their KQL types (for a transformation: what it writes to the table)."""


def schema_text(columns: dict[str, str]) -> str:
    """A table schema in Kusto.Language's `(Name:type, ...)` form."""
    return "(" + ", ".join(f"['{name}']:{_TABLE_TYPES.get(kind, kind)}" for name, kind in columns.items()) + ")"


@cache
def azure_activity_columns() -> dict[str, str]:
    """The documented AzureActivity columns (Learn table reference)."""
    return json.loads((REFERENCES / "kql" / "AzureActivity.json").read_text())["columns"]


@cache
def transformation_rules() -> dict:
    """What Azure Monitor supports in a DCR transformation (Learn)."""
    return json.loads((REFERENCES / "kql" / "transformation-kql.json").read_text())


def analyse(queries: dict[str, str], tables: dict[str, dict[str, str]]) -> dict[str, QueryReport]:
    """Parse and bind every query with Kusto.Language; only Error-severity diagnostics count."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed: the KQL gate needs it (see README, Fidelity gate)")
    if not (NODE_DIR / "node_modules" / "@kusto" / "language-service-next").is_dir():
        raise RuntimeError("run `make install` (npm ci --prefix tests/fidelity/node) first")
    payload = {
        "tables": {name: schema_text(columns) for name, columns in tables.items()},
        "queries": [{"name": name, "text": text} for name, text in queries.items()],
    }
    key = json.dumps(payload, sort_keys=True)
    if key not in _RESULTS:
        # One node start costs seconds (Kusto.Language is 30 MB of JavaScript): reuse answers within a run.
        _RESULTS[key] = _run_node(node, key)
    reports = {}
    for entry in _RESULTS[key]:
        text = queries[entry["name"]]
        errors = [
            f"{d['code']} {d['message']} at {text[d['start'] : d['start'] + max(d['length'], 1)]!r}"
            for d in entry["diagnostics"]
            if d["severity"] == "Error"
        ]
        reports[entry["name"]] = QueryReport(
            entry["name"], errors, entry["operators"], entry["functions"], entry["columns"]
        )
    return reports


def kql_type(table_type: str) -> str:
    """The KQL type of a Tables API / stream declaration column type (`dateTime` -> `datetime`)."""
    return _TABLE_TYPES.get(table_type, table_type)


def _run_node(node: str, payload: str) -> list[dict]:
    done = subprocess.run(
        [node, str(SCRIPT)], input=payload, capture_output=True, text=True, cwd=NODE_DIR, check=True, timeout=120
    )
    return json.loads(done.stdout)


def transformation_problems(report: QueryReport) -> list[str]:
    """Operators and functions a DCR transformation may not use."""
    rules = transformation_rules()
    operators = set(rules["tabularOperators"]) | set(rules["statements"])
    functions = set(rules["functions"])
    return [
        f"operator {op!r} is not supported in transformations" for op in report.operators if op not in operators
    ] + [f"function {fn}() is not supported in transformations" for fn in report.functions if fn not in functions]
