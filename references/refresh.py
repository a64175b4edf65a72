"""Refresh the vendored Microsoft references from local clones of their public repositories.

    python references/refresh.py --arm-schemas ~/src/azure-resource-manager-schemas \
        --policy-evaluator ~/src/azure-policy-evaluator

ARM schemas: for every azure-native type token in TYPES (the types this project, its examples, benchmarks and
fixtures create), the API version the installed pulumi-azure-native SDK uses by default is read from the
SDK's own docstring ("Uses Azure REST API version ..."), and every `schemas/<version>/<Namespace>*.json`
file of that version whose namespace matches is copied to `arm-schemas/<version>/`, together with
`schemas/common/definitions.json` and `schemas/2020-10-01/policyDefinition.json`. `arm-schemas/manifest.json`
records the commit, the token -> version -> file choice, and the types with no published schema.

Policy aliases: the alias dump (`Get-AzPolicyAlias`, JanneMattila/azure-policy-evaluator
`src/AzurePolicyEvaluator/Resources/policy-aliases.gz`) is filtered to NAMESPACES and written to
`policy-aliases.json.gz` (sorted alias names).

Logic Apps functions: every function of the workflow language with its signatures, as Azure/LogicAppsUX's
designer declares them (`libs/designer-ui/src/lib/workflow/languageservice/templatefunctions.ts`), reduced to
name -> signatures (parameter count, optional and variadic marks) in `logic-apps/functions.json`.

The JIT swagger and the AzureActivity column list are single files copied by hand (see README.md).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TYPES = [
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:SecurityRule",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:Subnet",
    "azure-native:network:NetworkInterface",
    "azure-native:network:PublicIPAddress",
    "azure-native:network:BastionHost",
    "azure-native:network:LoadBalancer",
    "azure-native:network:InboundNatRule",
    "azure-native:network:AzureFirewall",
    "azure-native:network:FirewallPolicyRuleCollectionGroup",
    "azure-native:network:AdminRule",
    "azure-native:compute:VirtualMachine",
    "azure-native:security:JitNetworkAccessPolicy",
    "azure-native:security:Pricing",
    "azure-native:authorization:RoleAssignment",
    "azure-native:authorization:RoleDefinition",
    "azure-native:authorization:PolicyDefinition",
    "azure-native:authorization:PolicyDefinitionAtManagementGroup",
    "azure-native:authorization:PolicyAssignment",
    "azure-native:resources:ResourceGroup",
    "azure-native:resources:Deployment",
    "azure-native:resources:DeploymentAtSubscriptionScope",
    "azure-native:logic:Workflow",
    "azure-native:web:Connection",
    "azure-native:operationalinsights:Workspace",
    "azure-native:operationalinsights:Table",
    "azure-native:operationalinsights:SavedSearch",
    "azure-native:monitor:SubscriptionDiagnosticSetting",
    "azure-native:monitor:ScheduledQueryRule",
    "azure-native:monitor:ActionGroup",
    "azure-native:monitor:DataCollectionRule",
    "azure-native:monitor:DataCollectionEndpoint",
]
NAMESPACES = ("Microsoft.Network", "Microsoft.Security")
ALIAS_DUMP = "src/AzurePolicyEvaluator/Resources/policy-aliases.gz"


def _commit(clone: Path) -> tuple[str, str]:
    out = subprocess.run(
        ["git", "-C", str(clone), "log", "-1", "--format=%H %cI"], check=True, capture_output=True, text=True
    ).stdout.split()
    return out[0], out[1]


def _show(clone: Path, path: str) -> bytes | None:
    """A file of the clone's HEAD (works on bare mirrors and work trees alike)."""
    done = subprocess.run(["git", "-C", str(clone), "show", f"HEAD:{path}"], capture_output=True)
    return done.stdout if done.returncode == 0 else None


def _listing(clone: Path, folder: str) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(clone), "ls-tree", "--name-only", f"HEAD:{folder}"], capture_output=True, text=True
    )
    return out.stdout.split() if out.returncode == 0 else []


def refresh_arm_schemas(clone: Path) -> None:
    """Copy the schema files the pinned SDK's default API versions need; write the manifest."""
    from azure_jit_access.cli.preview import validate

    target = HERE / "arm-schemas"
    shutil.rmtree(target, ignore_errors=True)
    commit, date = _commit(clone)
    manifest: dict = {"repository": "Azure/azure-resource-manager-schemas", "commit": commit, "date": date}
    types: dict[str, dict] = {}
    copied: set[str] = set()
    for token in TYPES:
        version = validate.sdk_api_version(token)
        namespaces = validate.namespaces_for(token)
        files = [
            f"schemas/{version}/{name}"
            for name in _listing(clone, f"schemas/{version}")
            if any(name.lower().startswith(ns.lower() + ".") for ns in namespaces) and name.endswith(".json")
        ]
        types[token] = {"apiVersion": version, "files": [f.removeprefix("schemas/") for f in files]}
        copied.update(files)
    for path in sorted(copied | {"schemas/common/definitions.json", "schemas/2020-10-01/policyDefinition.json"}):
        data = _show(clone, path)
        if data is None:
            raise SystemExit(f"{path} is not in {clone}")
        out = target / path.removeprefix("schemas/")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    manifest["types"] = types
    manifest["files"] = sorted(p.removeprefix("schemas/") for p in copied)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    readme = HERE / "README.md"
    readme.write_text(provenance_note(readme.read_text(), manifest))


TYPES_START, TYPES_END = "<!-- types: written by refresh.py -->", "<!-- end of types -->"
_ARM_PIN = re.compile(r"(\| `arm-schemas/<apiVersion>/\*\.json` \|[^|]*\| )commit `[0-9a-f]{40}` \([0-9-]+\)")


def types_table(manifest: dict) -> str:
    """The README's token -> API version -> schema file table, from the manifest."""
    lines = ["| Type token | API version (SDK default) | Vendored schema file |", "|---|---|---|"]
    for token, entry in sorted(manifest["types"].items()):
        files = ", ".join(f"`{f}`" for f in entry["files"]) or "none published"
        lines.append(f"| `{token}` | {entry['apiVersion']} | {files} |")
    return "\n".join(lines)


def provenance_note(readme: str, manifest: dict) -> str:
    """README.md with the ARM schemas' pinned commit and the types table rewritten from the manifest."""
    readme, pinned = _ARM_PIN.subn(rf"\g<1>commit `{manifest['commit']}` ({manifest['date'][:10]})", readme)
    head, start, rest = readme.partition(TYPES_START)
    _, end, tail = rest.partition(TYPES_END)
    if not (pinned and start and end):
        raise SystemExit(f"README.md lacks the ARM schemas row or the {TYPES_START} ... {TYPES_END} markers")
    return f"{head}{TYPES_START}\n{types_table(manifest)}\n{TYPES_END}{tail}"


def refresh_aliases(clone: Path) -> None:
    """Filter the public Get-AzPolicyAlias dump to the namespaces our policy rules use."""
    data = _show(clone, ALIAS_DUMP)
    if data is None:
        raise SystemExit(f"{ALIAS_DUMP} is not in {clone}")
    text = gzip.decompress(data).decode("utf-8-sig")
    aliases = {
        alias
        for alias, _, _path in (line.strip().partition(",") for line in text.splitlines())
        if any(alias.lower().startswith(ns.lower() + "/") for ns in NAMESPACES)
    }
    commit, date = _commit(clone)
    doc = {
        "repository": "JanneMattila/azure-policy-evaluator",
        "file": ALIAS_DUMP,
        "commit": commit,
        "date": date,
        "namespaces": list(NAMESPACES),
        "aliases": sorted(aliases, key=str.lower),
    }
    # gzip (mtime 0, so a refresh with no change is byte-identical): the plain list is 2 MB.
    payload = (json.dumps(doc, indent=0) + "\n").encode("utf-8")
    (HERE / "policy-aliases.json.gz").write_bytes(gzip.compress(payload, mtime=0))


TEMPLATE_FUNCTIONS = "libs/designer-ui/src/lib/workflow/languageservice/templatefunctions.ts"
_FUNCTION = re.compile(r"^\s*name: '([A-Za-z0-9_]+)',\s*\n\s*defaultSignature:|definition:\s*\n?\s*'([^']*)'", re.M)


def _arity(definition: str) -> dict:
    """`f(a: t, b?: t, ...)` -> {"min": 1, "max": 2 or None when variadic}."""
    inner = definition[definition.index("(") + 1 : definition.rindex(")")].strip()
    params = [p.strip() for p in inner.split(",") if p.strip()] if inner else []
    variadic = bool(params) and params[-1] == "..."
    fixed = [p for p in params if p != "..."]
    required = [p for p in fixed if "?" not in p.split(":")[0]]
    return {"min": len(required), "max": None if variadic else len(fixed)}


def refresh_logic_apps(clone: Path) -> None:
    """Function names and arities of the workflow language, from the LogicAppsUX designer's signatures."""
    data = _show(clone, TEMPLATE_FUNCTIONS)
    if data is None:
        raise SystemExit(f"{TEMPLATE_FUNCTIONS} is not in {clone}")
    text = data.decode("utf-8")
    text = text[text.index("export const FunctionGroupDefinitions") :]
    functions: dict[str, list[str]] = {}
    current = ""
    for match in _FUNCTION.finditer(text):
        if match.group(1):
            current = match.group(1)
            functions.setdefault(current, [])
        else:
            functions[current].append(match.group(2))
    commit, date = _commit(clone)
    doc = {
        "repository": "Azure/LogicAppsUX",
        "file": TEMPLATE_FUNCTIONS,
        "commit": commit,
        "date": date,
        "functions": {
            name: {"signatures": sigs, "arities": [_arity(s) for s in sigs]}
            for name, sigs in sorted(functions.items(), key=lambda kv: kv[0].lower())
        },
    }
    out = HERE / "logic-apps" / "functions.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")


def main() -> None:
    """Parse the clone paths and refresh what was given."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arm-schemas", type=Path, help="clone of Azure/azure-resource-manager-schemas")
    parser.add_argument("--policy-evaluator", type=Path, help="clone of JanneMattila/azure-policy-evaluator")
    parser.add_argument("--logic-apps-ux", type=Path, help="clone of Azure/LogicAppsUX")
    args = parser.parse_args()
    if args.arm_schemas:
        refresh_arm_schemas(args.arm_schemas)
    if args.policy_evaluator:
        refresh_aliases(args.policy_evaluator)
    if args.logic_apps_ux:
        refresh_logic_apps(args.logic_apps_ux)


if __name__ == "__main__":
    main()
