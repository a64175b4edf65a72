"""Azure Policy rules judged by Microsoft's references: the published policy definition schema
(azure-resource-manager-schemas `schemas/2020-10-01/policyDefinition.json`) and the catalogue of existing
aliases (a public dump of `Get-AzPolicyAlias`, references/policy-aliases.json.gz)."""

from __future__ import annotations

import gzip
import json
from functools import cache
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from azure_jit_access.cli.preview.validate import ARM_SCHEMAS, REFERENCES

SCHEMA_URI = "https://schema.management.azure.com/schemas/2020-10-01/policyDefinition.json"
# Fields that are not aliases (Learn: Azure Policy definition structure, "Fields").
PLAIN_FIELDS = {"name", "fullname", "kind", "type", "location", "id", "identity.type", "tags"}


@cache
def _validator() -> Draft4Validator:
    resources = []
    for rel in ("2020-10-01/policyDefinition.json", "common/definitions.json"):
        doc = json.loads((ARM_SCHEMAS / rel).read_text())
        uri = f"https://schema.management.azure.com/schemas/{rel}"
        resources.append((uri, Resource.from_contents({**doc, "id": uri}, default_specification=DRAFT4)))
    return Draft4Validator({"$ref": SCHEMA_URI}, registry=Registry().with_resources(resources))


@cache
def known_aliases() -> frozenset[str]:
    """Every alias of the vendored namespaces, lower case (aliases are case-insensitive)."""
    doc = json.loads(gzip.decompress((REFERENCES / "policy-aliases.json.gz").read_bytes()))
    return frozenset(a.lower() for a in doc["aliases"])


@cache
def alias_namespaces() -> tuple[str, ...]:
    """The namespaces the catalogue holds."""
    doc = json.loads(gzip.decompress((REFERENCES / "policy-aliases.json.gz").read_bytes()))
    return tuple(ns.lower() for ns in doc["namespaces"])


def _path(parts: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def schema_errors(rule: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON path, message) for every place the rule breaks the published schema (the most specific error)."""
    found = []
    for error in _validator().iter_errors(rule):
        leaf = best_match([error]) if not error.context else best_match(error.context)
        found.append((_path(leaf.absolute_path), leaf.message))
    return found


def _fields(node: Any, path: tuple = ()) -> list[tuple[str, str]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "field" and isinstance(value, str):
                found.append((_path((*path, key)), value))
            else:
                found += _fields(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _fields(value, (*path, i))
    return found


def is_plain_field(field: str) -> bool:
    """True for the fields every resource has (name, type, tags[...], ...), which are not aliases."""
    low = field.lower()
    return low in PLAIN_FIELDS or low.startswith(("tags[", "tags.", "identity."))


def unknown_aliases(rule: dict[str, Any]) -> list[tuple[str, str]]:
    """(JSON path, field) for every `field` that is neither a plain field nor an existing alias.

    An alias outside the catalogue's namespaces, or a field given as an expression, cannot be proven to
    exist, so it is reported too (fail closed)."""
    bad = []
    for path, field in _fields(rule):
        if is_plain_field(field):
            continue
        if field.lower() not in known_aliases():
            bad.append((path, field))
    return bad


def policy_definition_problems(resource: Any) -> list[str]:
    """Every schema error and unknown alias of a recorded PolicyDefinition, as `urn policyRule<path>: problem`."""
    rule = resource.inputs.get("policyRule") or {}
    found = [f"{resource.urn} policyRule{path[1:]}: {message}" for path, message in schema_errors(rule)]
    found += [f"{resource.urn} policyRule{path[1:]}: no alias {field!r}" for path, field in unknown_aliases(rule)]
    return found
