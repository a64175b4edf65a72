"""What a preview records: resources, violations and the result of one run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UNKNOWN = "[unknown]"
"""How a value only known after apply is shown (pinned: `[unknown]` in JSON, `output<string>` in text)."""
UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""The engine's wire sentinel for an unknown value (what analyzers receive)."""


@dataclass
class Resource:
    """One registered resource as the engine saw it.

    `inputs` are in the engine's camelCase wire form, exactly what CrossGuard policies get as `props`
    (secrets unwrapped; the renderers mask them using `secret_paths`).
    """

    urn: str
    type: str
    name: str
    parent: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    custom: bool = True
    secret_paths: list[str] = field(default_factory=list)
    source: dict[str, Any] | None = None
    """The program line that constructed it: `{"file": "__main__.py", "line": 42}` (None when unknown)."""

    @property
    def id(self) -> str | None:
        """The mock engine's ARM-shaped id (None for component resources)."""
        return self.outputs.get("id")


@dataclass
class Violation:
    """One policy violation, as `pulumi preview --policy-pack` would report it."""

    pack: str
    policy: str
    enforcement: str
    urn: str | None
    message: str


@dataclass
class Remediation:
    """One remediation a `remediate`-level policy applied to a resource's inputs, as the CLI reports it."""

    pack: str
    policy: str
    urn: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class PreviewResult:
    """The resources and stack outputs of one program run under the mock engine."""

    project: str
    stack: str
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    policy_docs: dict[str, Any] = field(default_factory=dict, repr=False)
    """Per `pack/policy`, what the policy says about itself (violation_groups.PolicyDoc): fix and docs link."""
    remediations: list[Remediation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Things the offline preview could not do as the CLI would (remote components, missing stack outputs)."""
    validation: Any = None
    """The `--validate` report (`validate.ValidationReport`), None when the schema check did not run."""
    wire_inputs: dict[str, dict] = field(default_factory=dict, repr=False)
    """Per URN, the inputs as the engine sends them to analyzers (secrets still marked)."""

    def find(self, type_: str, name: str | None = None) -> list[Resource]:
        """All resources of a type token, optionally with a given logical name."""
        return [r for r in self.resources if r.type == type_ and (name is None or r.name == name)]

    def one(self, type_: str, name: str | None = None) -> Resource:
        """The single resource of a type token (and name); raises if there is not exactly one."""
        found = self.find(type_, name)
        if len(found) != 1:
            raise LookupError(f"expected exactly one {type_} {name or ''}, found {len(found)}")
        return found[0]

    def children_of(self, urn: str) -> list[Resource]:
        """Resources whose parent is the given URN."""
        return [r for r in self.resources if r.parent == urn]
