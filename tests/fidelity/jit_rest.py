"""The JIT `initiate` body judged by the REST spec (Azure/azure-rest-api-specs, Microsoft.Security 2020-01-01
jitNetworkAccessPolicies.json, vendored in references/rest-specs/)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

from azure_jit_access.cli.preview.validate import REFERENCES

SPEC = REFERENCES / "rest-specs" / "jitNetworkAccessPolicies.2020-01-01.json"
_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _rfc3339(value: object) -> bool:
    # Swagger's date-time is RFC 3339: a date, `T`, a time and an explicit offset (`Z` or +hh:mm).
    if not isinstance(value, str):
        return True
    if "T" not in value or not (value.endswith("Z") or value[-6] in "+-"):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@cache
def _validator(definition: str) -> Draft4Validator:
    spec = json.loads(SPEC.read_text())
    schema = {"definitions": spec["definitions"], "allOf": [{"$ref": f"#/definitions/{definition}"}]}
    return Draft4Validator(schema, format_checker=_FORMATS)


def initiate_body_errors(body: Any) -> list[tuple[str, str]]:
    """(JSON path, message) for every way the body breaks `JitNetworkAccessPolicyInitiateRequest`."""
    return [
        ("$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path), e.message)
        for e in _validator("JitNetworkAccessPolicyInitiateRequest").iter_errors(body)
    ]
