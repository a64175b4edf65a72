"""Reading a Pulumi project's `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI does.

Config keys are namespaced (`azure-jit-access:vmSize`, `azure-native:location`); a key without a namespace
belongs to the project. Objects and lists are stored as JSON text (what `Config.get_object` parses), and
`secure:` values, which only the CLI can decrypt, become secret placeholders so programs still run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """A project or stack file that cannot be used; the message names the file and the problem."""


@dataclass
class ProjectConfig:
    """What one preview run needs from a project folder."""

    project: str
    stack: str
    program_dir: Path
    main: Path
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    stack_file: Path | None = None


def secret_placeholder(key: str) -> str:
    """The stand-in for a `secure:` value the offline preview cannot decrypt."""
    return f"secret-placeholder-for-{key}"


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte {err.start}); save the file as UTF-8") from None


def _contains_secure(value: Any) -> bool:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return True
        return any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def _replace_secure(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return secret_placeholder(key)
        return {k: _replace_secure(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, key) for v in value]
    return value


def config_text(value: Any) -> str:
    """A config value as the string Pulumi stores: JSON for objects and lists, lower-case booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        # The CLI passes objects as compact JSON with sorted keys (`{"inner":"value"}`), as Go marshals them.
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if value is None:
        return ""
    return str(value)


def full_key(key: str, project: str) -> str:
    """`vmSize` -> `<project>:vmSize`; namespaced keys are kept."""
    if not isinstance(key, str) or not key:
        raise ConfigError(f"config key {key!r} is not a non-empty string")
    return key if ":" in key else f"{project}:{key}"


def _apply_values(values: Any, project: str, source: Path, config: dict, secrets: set[str]) -> None:
    if values is None:
        return
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: `config` must be a mapping of keys to values, not {type(values).__name__}")
    for key, value in values.items():
        name = full_key(str(key), project)
        if _contains_secure(value):
            secrets.add(name)
            value = _replace_secure(value, name)
        config[name] = config_text(value)


def _project_defaults(section: Any, project: str, source: Path, config: dict, secrets: set[str]) -> None:
    # Pulumi.yaml's `config:` declares keys with `default`/`value`/`secret`, or plain values.
    if section is None:
        return
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: `config` must be a mapping")
    for key, spec in section.items():
        name = full_key(str(key), project)
        if isinstance(spec, dict) and ({"type", "default", "value", "description", "secret"} & set(spec)):
            if "value" in spec or "default" in spec:
                config[name] = config_text(spec.get("value", spec.get("default")))
            if spec.get("secret"):
                secrets.add(name)
        else:
            _apply_values({key: spec}, project, source, config, secrets)


def load_project(program_dir: Path, stack: str, overrides: list[str] | None = None) -> ProjectConfig:
    """Read the project and stack files of `program_dir` and apply `KEY=VALUE` overrides."""
    program_dir = Path(program_dir).resolve()
    project_file = program_dir / "Pulumi.yaml"
    if not project_file.is_file():
        alt = program_dir / "Pulumi.yml"
        if not alt.is_file():
            raise ConfigError(f"{program_dir}: no Pulumi.yaml here; --program must name a Pulumi project folder")
        project_file = alt
    project_doc = _load_yaml(project_file)
    if not isinstance(project_doc, dict) or not project_doc.get("name"):
        raise ConfigError(f"{project_file}: a Pulumi project needs a `name`")
    project = str(project_doc["name"])
    runtime = project_doc.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ConfigError(f"{project_file}: runtime is {runtime_name!r}; jit preview runs Python programs only")

    main = program_dir / str(project_doc.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise ConfigError(f"{project_file}: the program entry point {main} does not exist")

    config: dict[str, str] = {}
    secrets: set[str] = set()
    _project_defaults(project_doc.get("config"), project, project_file, config, secrets)

    stack_path = program_dir / f"Pulumi.{stack}.yaml"
    stack_file: Path | None = None
    if stack_path.is_file():
        stack_doc = _load_yaml(stack_path) or {}
        if not isinstance(stack_doc, dict):
            raise ConfigError(f"{stack_path}: expected a mapping with a `config` section")
        _apply_values(stack_doc.get("config"), project, stack_path, config, secrets)
        stack_file = stack_path

    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--config {item!r}: expected KEY=VALUE, e.g. --config azure-native:location=westeurope")
        name = full_key(key.strip(), project)
        config[name] = value
        secrets.discard(name)

    return ProjectConfig(project, stack, program_dir, main, config, sorted(secrets), stack_file)
