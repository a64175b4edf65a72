"""The JIT `initiate` body judged by the REST spec (Azure/azure-rest-api-specs, Microsoft.Security 2020-01-01
jitNetworkAccessPolicies.json, vendored in references/rest-specs/)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft4Validator

from azure_jit_access.cli.preview.validate import REFERENCES, format_checker

SPEC = REFERENCES / "rest-specs" / "jitNetworkAccessPolicies.2020-01-01.json"


@cache
def _validator(definition: str) -> Draft4Validator:
    spec = json.loads(SPEC.read_text())
    schema = {"definitions": spec["definitions"], "allOf": [{"$ref": f"#/definitions/{definition}"}]}
    return Draft4Validator(schema, format_checker=format_checker())


def initiate_body_errors(body: Any) -> list[tuple[str, str]]:
    """(JSON path, message) for every way the body breaks `JitNetworkAccessPolicyInitiateRequest`."""
    return [
        ("$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path), e.message)
        for e in _validator("JitNetworkAccessPolicyInitiateRequest").iter_errors(body)
    ]
