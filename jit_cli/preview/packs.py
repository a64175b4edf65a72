"""Load any Python CrossGuard pack without its server, and evaluate it the way the Pulumi CLI does.

A pack's `__main__.py` builds `PolicyPack(...)`, which would start a gRPC server and block. Here the
constructor is swapped for one that captures its arguments; the captured policies are then served by
pulumi-policy's own analyzer (`_PolicyAnalyzerServicer`) called in-process, so enforcement levels,
config, violation messages and stack-policy wiring are exactly what `pulumi preview --policy-pack` gives.
Config is reconciled as the CLI does: schema defaults, then the pack's `initial_config`, then the user's
`--policy-pack-config` file (`all` first, then per policy), validated against each policy's JSON schema.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import runpy
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from azure_jit_access.cli.preview.engine import forget_program_modules
from azure_jit_access.cli.preview.model import PreviewResult, Resource, Violation

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PackError(Exception):
    """A pack or pack config that cannot be used; the message names the file and the problem."""


@dataclass
class LoadedPack:
    """A policy pack's captured `PolicyPack(...)` arguments."""

    name: str
    version: str
    policies: list[Any]
    enforcement_level: Any
    initial_config: dict[str, Any] | None
    path: Path
    kwargs: dict[str, Any] = field(default_factory=dict)


class _CapturedPack(Exception):
    """Raised by the stand-in constructor to stop the pack's `__main__` right where it would serve."""

    def __init__(self, args: tuple, kwargs: dict) -> None:
        super().__init__("captured")
        self.args_ = args
        self.kwargs = kwargs


def _capture(*args: Any, **kwargs: Any) -> None:
    raise _CapturedPack(args, kwargs)


@contextlib.contextmanager
def _pack_context(pack_dir: Path):
    import pulumi_policy
    import pulumi_policy.policy

    before = set(sys.modules)
    old_cwd = os.getcwd()
    originals = (pulumi_policy.PolicyPack, pulumi_policy.policy.PolicyPack)
    # Deliberate monkeypatching: the pack's `PolicyPack(...)` call must stop the pack instead of serving it
    # (the real constructor blocks on a gRPC server), so the class is swapped for a function while it runs.
    pulumi_policy.PolicyPack = _capture  # type: ignore[misc, assignment]
    pulumi_policy.policy.PolicyPack = _capture  # type: ignore[misc, assignment]
    sys.path.insert(0, str(pack_dir))
    os.chdir(pack_dir)
    try:
        yield
    finally:
        pulumi_policy.PolicyPack, pulumi_policy.policy.PolicyPack = originals  # type: ignore[misc]  # the swap back
        os.chdir(old_cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(pack_dir))
        # A later pack with a module of the same name must not get this pack's copy.
        forget_program_modules(set(sys.modules) - before, pack_dir)


def load_pack(pack_dir: str | Path) -> LoadedPack:
    """Run a pack's `__main__.py` with `PolicyPack` captured instead of served."""
    pack_dir = Path(pack_dir).resolve()
    main = pack_dir / "__main__.py"
    if not main.is_file():
        raise PackError(f"{pack_dir}: no __main__.py; --policy-pack must name a Python policy pack folder")
    version = "0.0.1"
    manifest = pack_dir / "PulumiPolicy.yaml"
    if manifest.is_file():
        try:
            doc = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise PackError(f"{manifest}: not valid YAML: {err}") from None
        version = str(doc.get("version") or version) if isinstance(doc, dict) else version
    with _pack_context(pack_dir):
        try:
            runpy.run_path(str(main), run_name="__main__")
        except _CapturedPack as captured:
            args, kwargs = captured.args_, captured.kwargs
        else:
            raise PackError(f"{main}: ran to the end without building a PolicyPack(...)")
    names = ["name", "policies", "enforcement_level", "initial_config"]
    bound = dict(zip(names, args, strict=False)) | kwargs
    from pulumi_policy import EnforcementLevel

    return LoadedPack(
        name=bound["name"],
        version=version,
        policies=list(bound["policies"]),
        enforcement_level=bound.get("enforcement_level") or EnforcementLevel.ADVISORY,
        initial_config=bound.get("initial_config"),
        path=pack_dir,
        kwargs={k: v for k, v in bound.items() if k not in names},
    )


def read_policy_config(path: str | Path) -> dict[str, Any]:
    """Read a `--policy-pack-config` JSON file."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise PackError(f"{path}: cannot be read: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise PackError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}): {err.msg}") from None
    if not isinstance(doc, dict):
        raise PackError(f"{path}: expected a JSON object of policy names to levels or settings")
    return doc


def _split_entry(value: Any, where: str) -> tuple[str | None, dict[str, Any]]:
    level = getattr(value, "value", value)
    if isinstance(level, str):
        if level not in LEVELS:
            raise PackError(f"{where}: enforcement level {level!r} is not one of {', '.join(LEVELS)}")
        return level, {}
    if isinstance(value, dict):
        props = dict(value)
        level = props.pop("enforcementLevel", None)
        level = getattr(level, "value", level)
        if level is not None and level not in LEVELS:
            raise PackError(f"{where}: enforcementLevel {level!r} is not one of {', '.join(LEVELS)}")
        return level, props
    raise PackError(f"{where}: expected an enforcement level or an object, got {type(value).__name__}")


def resolve_config(pack: LoadedPack, user_config: dict[str, Any] | None) -> dict[str, tuple[str, dict]]:
    """Per policy: (enforcement level, properties), as the CLI would send them to the pack."""
    import jsonschema

    by_name = {policy.name: policy for policy in pack.policies}
    user_config = user_config or {}
    unknown = sorted(set(user_config) - set(by_name) - {"all"})
    if unknown:
        raise PackError(
            f"policy config names {', '.join(unknown)}, not in pack {pack.name!r} "
            f"(its policies: {', '.join(sorted(by_name))})"
        )
    resolved: dict[str, tuple[str, dict]] = {}
    for name, policy in by_name.items():
        level = getattr(policy.enforcement_level or pack.enforcement_level, "value", "advisory")
        schema = getattr(policy, "config_schema", None)
        props: dict[str, Any] = {}
        if schema is not None:
            for key, spec in (schema.properties or {}).items():
                if isinstance(spec, dict) and "default" in spec:
                    props[key] = spec["default"]
        for source, config in (("initial_config", pack.initial_config or {}), ("policy config", user_config)):
            for key in ("all", name):
                if key in config:
                    new_level, new_props = _split_entry(config[key], f"{source} {key!r}")
                    level = new_level or level
                    if key == name:
                        if source == "policy config":
                            _refuse_unknown_properties(name, new_props, schema)
                        props.update(new_props)
        if schema is not None:
            full_schema = {"type": "object", "properties": schema.properties or {}}
            if schema.required:
                full_schema["required"] = list(schema.required)
            try:
                jsonschema.validate(props, full_schema)
            except jsonschema.ValidationError as err:
                where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
                raise PackError(f"config of policy {name!r} at {where}: {err.message}") from None
        resolved[name] = (level, props)
    return resolved


def _refuse_unknown_properties(policy: str, props: dict[str, Any], schema: Any) -> None:
    """A misspelt property would leave the policy at its default without a word: refuse it, naming the fix.

    `pulumi preview --policy-pack-config` accepts unknown properties silently (pulumi-policy's config schemas do
    not close `additionalProperties`); the offline preview is stricter on purpose, since a typo in a guardrail's
    config is exactly the mistake a reviewer cannot see.
    """
    known = sorted((schema.properties or {}) if schema is not None else {})
    for key in sorted(set(props) - set(known)):
        if not known:
            raise PackError(f"policy config for {policy!r} sets {key!r}, but the policy takes no properties")
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"its properties are {', '.join(known)}"
        raise PackError(f"policy config for {policy!r} sets unknown property {key!r}; {hint}")


def _analyzer(pack: LoadedPack, resolved: dict[str, tuple[str, dict]], limits: Any = None):
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import analyzer_pb2 as proto
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    # Under `jit preview`, each policy call runs under the per-policy time limit (limits.TimeLimits).
    policies = [limits.timed_policy(p, pack.name) for p in pack.policies] if limits else pack.policies
    servicer = _PolicyAnalyzerServicer(pack.name, pack.version, policies, pack.enforcement_level, pack.initial_config)
    levels = {
        "advisory": proto.ADVISORY,
        "mandatory": proto.MANDATORY,
        "remediate": proto.REMEDIATE,
        "disabled": proto.DISABLED,
    }
    request = proto.ConfigureAnalyzerRequest()
    for name, (level, props) in resolved.items():
        entry = proto.PolicyConfig(enforcementLevel=levels[level])
        if props:
            properties = struct_pb2.Struct()
            properties.update(props)
            entry.properties.CopyFrom(properties)
        request.policyConfig[name].CopyFrom(entry)
    servicer.Configure(request, None)
    return servicer, proto


def evaluate_packs(
    packs: list[LoadedPack],
    resources: list[Resource] | PreviewResult,
    config: dict[str, Any] | Sequence[dict[str, Any] | None] | None = None,
    wire_inputs: dict[str, dict] | None = None,
    *,
    stack_tags: dict[str, str] | None = None,
    stack_config: dict[str, str] | None = None,
    limits: Any = None,
) -> list[Violation]:
    """Evaluate every resource policy per resource and every stack policy once, for each pack.

    `resources` is a `PreviewResult` (remediations and remediated inputs are then written into it) or a
    list of resources. `config` is one `--policy-pack-config` document for all packs, or a list with one
    per pack. `wire_inputs` (from `PreviewResult`) keeps secrets marked as the engine sends them.
    `stack_tags` are what policies see as `args.stack_tags` (`--stack-tag`).
    `limits` (a `limits.TimeLimits`) bounds every policy call and names the policy that hangs.
    """
    from azure_jit_access.cli.preview import analysis

    if isinstance(resources, PreviewResult):
        result = resources
    else:
        result = PreviewResult(project="", stack="", resources=list(resources), wire_inputs=dict(wire_inputs or {}))
        if resources:
            parts = resources[0].urn.split("::")
            result.stack, result.project = parts[0].rsplit(":", 1)[-1], parts[1]
    configs = config if isinstance(config, Sequence) else [config] * len(packs)
    analyzers = []
    for pack, pack_config in zip(packs, configs, strict=True):
        servicer, proto = _analyzer(pack, resolve_config(pack, pack_config), limits)
        servicer.ConfigureStack(
            proto.AnalyzerStackConfigureRequest(
                stack=result.stack,
                project=result.project,
                organization="organization",
                dry_run=True,
                tags=dict(stack_tags or {}),
            ),
            None,
        )
        analyzers.append((servicer, proto))
    before = len(result.violations)
    analysis.evaluate(packs, analyzers, result, stack_config)
    return result.violations[before:]
