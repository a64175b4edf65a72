"""Microsoft's ARM resource schemas (vendored in `references/arm-schemas/`) for azure-native type tokens, and the
ARM request body a resource's wire inputs become.

pulumi-azure-native flattens each `properties` object (x-ms-client-flatten), so inputs that are not top-level
properties of the schema go back under `properties`, recursively wherever the schema has a nested `properties`;
URL parameters (`resourceGroupName`, the name of the resource and of its parents, `scope`, `ascLocation`, ...)
are dropped because ARM takes them from the URL. The schema is the one of the API version the installed SDK uses
for the type (its docstring says "Uses Azure REST API version ...").
"""

from __future__ import annotations

import importlib.util
import json
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

REFERENCES = Path(__file__).resolve().parents[2] / "references"
ARM_SCHEMAS = REFERENCES / "arm-schemas"
EXPRESSION_REF = "definitions.json#/definitions/expression"
SECTIONS = (
    "resourceDefinitions",
    "subscription_resourceDefinitions",
    "managementGroup_resourceDefinitions",
    "tenant_resourceDefinitions",
    "extension_resourceDefinitions",
    "unknown_resourceDefinitions",
)
# The SDK module when it is not the namespace's own name (pulumi-azure-native v3 merged insights into monitor).
MODULE_NAMESPACES = {"monitor": ("Microsoft.Insights", "Microsoft.Monitor")}
# Inputs the SDK renamed because the ARM name collides with a resource-level one (`properties.type` is the
# SDK's `roleType`): SDK input name -> ARM property name.
RENAMED_INPUTS = {"azure-native:authorization:RoleDefinition": {"roleType": "type"}}
# Tokens whose class name is not the ARM type's last segment: (ARM type, schema section).
SPECIAL_TYPES = {
    "monitor:SubscriptionDiagnosticSetting": (
        "Microsoft.Insights/diagnosticSettings",
        "subscription_resourceDefinitions",
    ),
    "authorization:PolicyDefinitionAtManagementGroup": (
        "Microsoft.Authorization/policyDefinitions",
        "managementGroup_resourceDefinitions",
    ),
    "authorization:PolicySetDefinitionAtManagementGroup": (
        "Microsoft.Authorization/policySetDefinitions",
        "managementGroup_resourceDefinitions",
    ),
    "resources:DeploymentAtSubscriptionScope": ("Microsoft.Resources/deployments", "subscription_resourceDefinitions"),
    "resources:DeploymentAtManagementGroupScope": (
        "Microsoft.Resources/deployments",
        "managementGroup_resourceDefinitions",
    ),
    "resources:DeploymentAtTenantScope": ("Microsoft.Resources/deployments", "tenant_resourceDefinitions"),
    "network:AdminRule": (
        "Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules",
        "resourceDefinitions",
    ),
    "network:FirewallPolicyRuleCollectionGroup": (
        "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
        "resourceDefinitions",
    ),
}
# Tokens no single resource schema describes, and why (reported as not checked, never as passed).
NO_SINGLE_SCHEMA = {
    "azure-native:resources:Resource": "a generic resource: its ARM type and API version are inputs "
    "(resourceProviderNamespace, resourceType, apiVersion), so no one schema applies",
}
_VERSION_TOKEN = re.compile(r"^v(\d{4})(\d{2})(\d{2})(.*)$")
_API_VERSION_DOC = re.compile(r"Uses Azure REST API version ([0-9]{4}-[0-9]{2}-[0-9]{2}(?:-[a-z]+)?)")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


@cache
def sdk_api_version(token: str) -> str | None:
    """The Azure API version the installed pulumi-azure-native uses for a type token (None if unknown)."""
    _, module, name = token.split(":")
    if "/" in module:
        match = _VERSION_TOKEN.match(module.split("/", 1)[1])
        if not match:
            return None
        year, month, day, suffix = match.groups()
        return f"{year}-{month}-{day}" + (f"-{suffix}" if suffix else "")
    spec = importlib.util.find_spec("pulumi_azure_native")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / module
    candidates = [folder / f"{_snake(name)}.py", *sorted(folder.glob("*.py"))]
    needle = f'"{token}"'
    for path in candidates:
        if path.is_file():
            source = path.read_text(encoding="utf-8")
            if needle in source:
                found = _API_VERSION_DOC.search(source)
                return found.group(1) if found else None
    return None


def namespaces_for(token: str) -> tuple[str, ...]:
    """The ARM namespaces an SDK module may hold."""
    module = token.split(":")[1].split("/")[0]
    return MODULE_NAMESPACES.get(module, (f"Microsoft.{module}",))


@cache
def schema_files(version: str) -> dict[str, dict]:
    folder = ARM_SCHEMAS / version
    return {p.name: strip_expressions(json.loads(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.json"))}


def strip_expressions(node: Any) -> Any:
    """The schema without its `oneOf: [X, template expression]` alternatives, so that errors name X's rule."""
    if isinstance(node, list):
        return [strip_expressions(n) for n in node]
    if not isinstance(node, dict):
        return node
    for key in ("oneOf", "anyOf"):
        options = node.get(key)
        if isinstance(options, list):
            kept = [o for o in options if not str(o.get("$ref", "")).endswith(EXPRESSION_REF)]
            if len(kept) < len(options):
                rest = {k: v for k, v in node.items() if k != key}
                merged = kept[0] if len(kept) == 1 else {key: kept}
                return strip_expressions({**rest, **merged} if rest else merged)
    return {k: strip_expressions(v) for k, v in node.items()}


def _singulars(segment: str) -> set[str]:
    low = segment.lower()
    found = {low}
    if low.endswith("ies"):
        found.add(low[:-3] + "y")
    if low.endswith("es"):
        found.add(low[:-2])
    if low.endswith("s"):
        found.add(low[:-1])
    return found


@dataclass
class SchemaMatch:
    """The vendored resource definition for a type token."""

    version: str
    file: str
    section: str
    key: str
    arm_type: str
    token: str = ""

    @property
    def reference(self) -> str:
        """Where the schema lives, for the report."""
        return f"references/arm-schemas/{self.version}/{self.file}#/{self.section}/{self.key}"


def _parent_params(arm_type: str) -> list[str]:
    segments = arm_type.split("/")[1:-1]
    return [min(_singulars(s), key=len) for s in segments]


def find_schema(token: str, inputs: dict[str, Any]) -> SchemaMatch | str:
    """The resource definition for a token, or why there is none."""
    if token in NO_SINGLE_SCHEMA:
        return NO_SINGLE_SCHEMA[token]
    version = sdk_api_version(token)
    if version is None:
        return "API version unknown to the installed SDK"
    files = schema_files(version)
    if not files:
        return f"no vendored schemas for API version {version}"
    _, module, name = token.split(":")
    namespaces_text = " or ".join(namespaces_for(token))
    if not any(f.lower().startswith(ns.lower() + ".") for f in files for ns in namespaces_for(token)):
        return f"no vendored {namespaces_text} schema for API version {version}"
    special = SPECIAL_TYPES.get(f"{module.split('/')[0]}:{name}")
    namespaces = tuple(ns.lower() for ns in namespaces_for(token))
    candidates: list[SchemaMatch] = []
    input_keys = {k.lower() for k in inputs}
    for file_name, doc in files.items():
        for section in SECTIONS:
            for key, definition in (doc.get(section) or {}).items():
                types = ((definition.get("properties") or {}).get("type") or {}).get("enum") or []
                if not types:
                    continue
                arm_type = types[0]
                if special:
                    if arm_type.lower() == special[0].lower() and section == special[1]:
                        candidates.append(SchemaMatch(version, file_name, section, key, arm_type))
                    continue
                if arm_type.split("/")[0].lower() not in namespaces:
                    continue
                if name.lower() in _singulars(arm_type.split("/")[-1]):
                    candidates.append(SchemaMatch(version, file_name, section, key, arm_type))
    if not candidates:
        return f"no {name} in the vendored {namespaces_text} {version} schemas"

    def fit(match: SchemaMatch) -> tuple[bool, int, int]:
        parents = _parent_params(match.arm_type)
        present = sum(f"{p}name" in input_keys for p in parents)
        return (present == len(parents), present, -SECTIONS.index(match.section))

    return replace(max(candidates, key=fit), token=token)


def _resolve(schema: dict, root: dict, files: dict[str, dict]) -> dict:
    """Follow `$ref`s (within a file, to common definitions) and merge `allOf`, enough to walk properties."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        ref = schema["$ref"]
        target_file, _, pointer = ref.partition("#")
        doc = root if not target_file else files.get(target_file.rsplit("/", 1)[-1], {})
        node: Any = doc
        for part in pointer.strip("/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        schema, seen = node, seen + 1
    if isinstance(schema, dict) and "allOf" in schema:
        merged = {"properties": dict(schema.get("properties") or {})}
        for part in schema["allOf"]:
            merged["properties"].update(_resolve(part, root, files).get("properties") or {})
        return merged
    return schema if isinstance(schema, dict) else {}


def _unflatten(value: Any, schema: dict, root: dict, files: dict, path: tuple, inserted: set) -> Any:
    """Put flattened keys back under the `properties` objects the schema declares."""
    schema = _resolve(schema, root, files)
    if isinstance(value, list):
        items = schema.get("items") or {}
        return [_unflatten(v, items, root, files, (*path, i), inserted) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    props = schema.get("properties") or {}
    nested = _resolve(props["properties"], root, files).get("properties") if "properties" in props else None
    out: dict[str, Any] = {}
    moved: dict[str, Any] = {}
    for key, item in value.items():
        if key in props or not nested or key not in nested:
            out[key] = _unflatten(item, props.get(key) or {}, root, files, (*path, key), inserted)
        else:
            moved[key] = item
    if moved:
        inserted.add((*path, "properties"))
        inner = out.get("properties")
        if not isinstance(inner, dict):
            inner = {}
        out["properties"] = {
            **inner,
            **_unflatten(moved, props["properties"], root, files, (*path, "properties"), inserted),
        }
    return out


def arm_body(match: SchemaMatch, inputs: dict[str, Any]) -> tuple[dict[str, Any], set[tuple]]:
    """The ARM request body for wire inputs, and the paths of the `properties` objects it re-created."""
    files = schema_files(match.version)
    root = files[match.file]
    definition = root[match.section][match.key]
    top = set(definition.get("properties") or {})
    inner_schema = (definition.get("properties") or {}).get("properties")
    inner = set(_resolve(inner_schema, root, files).get("properties") or {}) if inner_schema else set()
    body: dict[str, Any] = {"type": match.arm_type, "apiVersion": match.version}
    flat: dict[str, Any] = {}
    renamed = RENAMED_INPUTS.get(match.token, {})
    for key, value in inputs.items():
        key = renamed.get(key, key)
        if key in ("apiVersion", "name") or (key == "type" and key not in inner):
            continue
        if key in top and key not in ("properties", "type"):
            body[key] = value
        elif key in inner or key == "properties":
            flat[key] = value
        # Anything else is a URL parameter (resource group, names, scope): ARM has it from the URL.
    wanted = f"{min(_singulars(match.arm_type.split('/')[-1]), key=len)}name"
    own_name = next((v for k, v in inputs.items() if k.lower() == wanted), None)
    body["name"] = own_name if isinstance(own_name, str) else "[unknown]"
    if "location" in (definition.get("required") or []) and "location" not in body:
        body["location"] = "[unknown]"  # the provider fills it from the resource group
    inserted: set[tuple] = set()
    if flat or "properties" in (definition.get("required") or []):
        body["properties"] = flat.pop("properties") if set(flat) == {"properties"} else flat
        if "properties" not in inputs:
            inserted.add(("properties",))
    return _unflatten(body, definition, root, files, (), inserted), inserted


@cache
def registry() -> Any:
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    resources = []
    for path in sorted(ARM_SCHEMAS.rglob("*.json")):
        if path.name == "manifest.json":
            continue
        doc = strip_expressions(json.loads(path.read_text(encoding="utf-8")))
        rel = path.relative_to(ARM_SCHEMAS).as_posix()
        uri = f"https://schema.management.azure.com/schemas/{rel}"
        resources.append((uri, Resource.from_contents({**doc, "id": uri}, default_specification=DRAFT4)))
    return Registry().with_resources(resources)
