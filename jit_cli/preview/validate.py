"""`jit preview --validate`: every azure-native resource checked against Microsoft's ARM resource schema.

`arm_schemas` finds the vendored schema of the API version the installed SDK uses and rebuilds the ARM body;
this module validates it (required properties, enums, types, formats) and reports like a policy violation.
Unknown values and secrets are never reported: an error at or under one is dropped. A type with no vendored
schema is listed as not checked, never counted as a pass.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from azure_jit_access.cli.preview.arm_schemas import (  # noqa: F401 - re-exported for the gate and refresh.py
    ARM_SCHEMAS,
    REFERENCES,
    arm_body,
    find_schema,
    namespaces_for,
    registry,
    sdk_api_version,
)

UNKNOWN_VALUES = ("[unknown]", "04da6b54-80e4-46f7-96ec-b56ff0331ba9")
SECRET_MARK = "[secret]"
# Where the ARM schema closes an enum the REST API keeps open (x-ms-enum modelAsString): the value pattern the
# service also accepts, and the public reference that says so.
OPEN_ENUMS = {
    ("Microsoft.Insights/dataCollectionRules", ("properties", "dataFlows", int, "streams", int)): (
        re.compile(r"^Custom-[A-Za-z0-9_]+$"),
        "Learn: Structure of a data collection rule, streams (custom streams are named Custom-<name>)",
    ),
    ("Microsoft.Compute/virtualMachines", ("properties", "hardwareProfile", "vmSize")): (
        re.compile(r"^(Standard|Basic)_[A-Za-z0-9_]+$"),
        "REST spec VirtualMachineSizeTypes is modelAsString; the schema lists only the sizes of its time",
    ),
}


@cache
def format_checker() -> Any:
    """jsonschema's format checks plus `date-time` (RFC 3339, as Swagger and the ARM schemas mean it), which
    jsonschema only checks when an optional package is installed."""
    from datetime import datetime

    from jsonschema import FormatChecker

    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _rfc3339(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value):
            raise ValueError(f"{value!r} is not an RFC 3339 date-time")
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return True

    return checker


@dataclass
class ValidationIssue:
    """One schema failure: the resource, the JSON path in its ARM body, what is wrong, and the reference."""

    urn: str
    path: str
    message: str
    reference: str
    source: str = ""
    """The program file (and line, when the engine recorded it) that constructed the resource."""

    def to_json(self) -> dict[str, str]:
        """The pinned `validation[]` entry (plus `source` when known)."""
        entry = {"urn": self.urn, "path": self.path, "message": self.message, "reference": self.reference}
        if self.source:
            entry["source"] = self.source
        return entry


@dataclass
class ValidationReport:
    """Failures, and the types that could not be checked (no vendored schema)."""

    issues: list[ValidationIssue] = field(default_factory=list)
    checked: int = 0
    not_checked: dict[str, str] = field(default_factory=dict)
    """type token -> why it was not checked."""

    def note(self) -> str:
        """One line for the report: how much was checked and what was not."""
        text = f"Azure schema check: {self.checked} resource(s) checked, {len(self.issues)} error(s)."
        if self.not_checked:
            text += " Not checked (no vendored schema): " + "; ".join(
                f"{t} ({why})" for t, why in sorted(self.not_checked.items())
            )
        return text


def _path_text(parts: tuple) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _placeholder(node: Any) -> bool:
    # Pulumi never sends a None input, so a null in the recorded inputs is a value the engine could not know.
    return node is None or (isinstance(node, str) and (node in UNKNOWN_VALUES or node == SECRET_MARK))


def _is_masked(body: Any, parts: tuple) -> bool:
    """True when the error's path runs through an unknown value or a secret (never reported)."""
    node = body
    for part in parts:
        if _placeholder(node):
            return True
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return _placeholder(node)


def _open_enum(arm_type: str, parts: tuple, value: Any) -> bool:
    for (type_, shape), (pattern, _why) in OPEN_ENUMS.items():
        same_shape = len(shape) == len(parts) and all(
            isinstance(p, int) if s is int else p == s for s, p in zip(shape, parts, strict=True)
        )
        if type_.lower() == arm_type.lower() and same_shape and isinstance(value, str) and pattern.match(value):
            return True
    return False


def validate_resource(urn: str, token: str, inputs: dict[str, Any]) -> list[ValidationIssue] | str:
    """Schema failures of one resource's wire inputs, or why it could not be checked."""
    from jsonschema import Draft4Validator
    from jsonschema.exceptions import best_match

    match = find_schema(token, inputs)
    if isinstance(match, str):
        return match
    body, inserted = arm_body(match, inputs)
    uri = f"https://schema.management.azure.com/schemas/{match.version}/{match.file}#/{match.section}/{match.key}"
    validator = Draft4Validator({"$ref": uri}, registry=registry(), format_checker=format_checker())
    issues = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        if error.context:
            # A polymorphic property (oneOf/anyOf): report the closest alternative's own failure.
            error = best_match(error.context)
        parts = tuple(error.absolute_path)
        if _is_masked(body, parts) or _open_enum(match.arm_type, parts, error.instance):
            continue
        input_path = [p for i, p in enumerate(parts) if parts[: i + 1] not in inserted]
        message = error.message
        if input_path:
            message += f" (input {_path_text(tuple(input_path))[2:] or '.'})"
        issues.append(ValidationIssue(urn, _path_text(parts), message, match.reference))
    return issues


def mask_secrets(inputs: dict[str, Any], secret_paths: list[str]) -> dict[str, Any]:
    """Inputs with every secret replaced by a mark the checker skips (a secret never reaches a message)."""
    from azure_jit_access.cli.preview.render import mask_secrets as mask

    return mask(copy.deepcopy(inputs), secret_paths) if secret_paths else inputs


def _source(resource: Any, program_dir: Path | None, main: Path | None) -> str:
    recorded = getattr(resource, "source", None)
    if isinstance(recorded, dict) and recorded.get("file"):
        return f"{recorded['file']}:{recorded['line']}" if recorded.get("line") else str(recorded["file"])
    if main is None:
        return ""
    try:
        return str(main.resolve().relative_to(program_dir.resolve())) if program_dir else main.name
    except ValueError:
        return str(main)


def validate_resources(
    resources: list[Any], program_dir: Path | None = None, main: Path | None = None
) -> ValidationReport:
    """Check every custom azure-native resource of a preview (`main`: the program file, named in reports)."""
    report = ValidationReport()
    for resource in resources:
        if not resource.custom or not resource.type.startswith("azure-native:"):
            continue
        inputs = mask_secrets(resource.inputs, resource.secret_paths)
        outcome = validate_resource(resource.urn, resource.type, inputs)
        if isinstance(outcome, str):
            report.not_checked.setdefault(resource.type, outcome)
            continue
        report.checked += 1
        source = _source(resource, program_dir, main)
        for issue in outcome:
            issue.source = source
        report.issues.extend(outcome)
    return report
