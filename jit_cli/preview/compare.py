"""Comparing a preview with an earlier JSON preview: what a pull request creates, changes and deletes.

Resources are matched by URN, as the Pulumi engine matches them against a stack's state. Both sides are
compared in their JSON form, where secrets are already `[secret]`, so a diff never reveals one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure_jit_access.cli.preview.diff import PropertyDiff, diff_values, format_diff
from azure_jit_access.cli.preview.project_config import ConfigError

__all__ = ["Changes", "PropertyDiff", "compare", "diff_values", "format_diff", "load_base"]


@dataclass
class Changes:
    """The difference between a base preview and this one."""

    create: list[dict] = field(default_factory=list)
    delete: list[dict] = field(default_factory=list)
    update: list[tuple[dict, list[PropertyDiff]]] = field(default_factory=list)
    same: int = 0
    base_doc: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    """The base preview itself: the access summary compares what it allowed with what this one allows."""
    _kinds: dict[str, str] | None = field(default=None, repr=False, compare=False)

    def kind_of(self, urn: str) -> str:
        """`create`, `update`, `delete` or `same` for a URN."""
        if self._kinds is None:
            self._kinds = {r["urn"]: "create" for r in self.create}
            self._kinds.update({r["urn"]: "update" for r, _ in self.update})
            self._kinds.update({r["urn"]: "delete" for r in self.delete})
        return self._kinds.get(urn, "same")

    def counts(self) -> dict[str, int]:
        """How many resources each kind of step touches."""
        return {"create": len(self.create), "update": len(self.update), "delete": len(self.delete), "same": self.same}

    def to_json(self) -> dict[str, Any]:
        """The `changes` key of a compared JSON preview."""
        return {
            "create": [r["urn"] for r in self.create],
            "delete": [r["urn"] for r in self.delete],
            "update": [
                {
                    "urn": r["urn"],
                    "diffs": [
                        {
                            "path": d.path,
                            "before": None if d.added else d.before,
                            "after": None if d.removed else d.after,
                        }
                        for d in diffs
                    ],
                }
                for r, diffs in self.update
            ],
            "summary": self.counts(),
        }


def load_base(path: str | Path) -> dict[str, Any]:
    """Read a base preview written by `jit preview --format json`."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; --compare takes a `jit preview --format json` report") from None
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"{path}: not valid JSON (line {err.lineno}): {err.msg}; "
            "--compare takes the output of `jit preview --format json`"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        raise ConfigError(f"{path}: has no `resources` list; --compare takes the output of `jit preview --format json`")
    for index, resource in enumerate(doc["resources"]):
        if not isinstance(resource, dict) or not isinstance(resource.get("urn"), str):
            raise ConfigError(f"{path}: resources[{index}] has no `urn` string; is it a `jit preview --format json`?")
        for key in ("inputs", "options"):
            if not isinstance(resource.get(key, {}), dict):
                raise ConfigError(f"{path}: resources[{index}].{key} is not an object; is it a `jit preview` report?")
    return doc


def compare(base: dict[str, Any], head: dict[str, Any]) -> Changes:
    """What changes from `base` to `head` (both JSON preview documents)."""
    base_by_urn = {r["urn"]: r for r in base.get("resources", [])}
    head_by_urn = {r["urn"]: r for r in head.get("resources", [])}
    changes = Changes(base_doc=base)
    for urn, resource in head_by_urn.items():
        old = base_by_urn.get(urn)
        if old is None:
            changes.create.append(resource)
            continue
        diffs = diff_values(
            {"inputs": old.get("inputs", {}), "options": old.get("options", {})},
            {"inputs": resource.get("inputs", {}), "options": resource.get("options", {})},
        )
        if diffs:
            changes.update.append((resource, diffs))
        else:
            changes.same += 1
    changes.delete = [r for urn, r in base_by_urn.items() if urn not in head_by_urn]
    return changes
