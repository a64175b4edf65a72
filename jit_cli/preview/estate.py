"""`jit preview --all-stacks`: preview every stack of a project in one call, as one estate.

Every `Pulumi.<stack>.yaml` of the program folder is previewed in its own process (two at a time), platform
stacks first (`<project>:role: platform`); the other stacks then get `--stack-outputs ORG/PROJECT/<platform>=`
the platform's JSON preview, so their `StackReference`s resolve as they will after the platform's `pulumi up`.
Then the estate is checked as a whole: two resources of different stacks with one Azure id would overwrite or
refuse each other, and a VM listed by two JIT policies is refused. The exit status is the worst of the stacks
(2 broken, 1 a mandatory violation or an estate conflict, 0 clean).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

WORKERS = 2
ORGANIZATION = "organization"
"""The organization of the offline engine's stacks (its StackReference names start with it)."""
NOT_AZURE = ("pulumi:providers:", "pulumi:pulumi:")


@dataclass
class StackRun:
    """One stack's preview in the estate."""

    stack: str
    role: str
    exit_status: int = 2
    report: dict[str, Any] | None = None

    @property
    def summary(self) -> dict[str, int]:
        return (self.report or {}).get("summary") or {}


@dataclass
class EstateResult:
    """Every stack's preview and the estate-wide conflicts."""

    project: str
    runs: list[StackRun]
    conflicts: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        worst = max((run.exit_status for run in self.runs), default=0)
        return max(worst, 1 if self.conflicts else 0)


def discover_stacks(program_dir: Path) -> tuple[str, list[tuple[str, str]]]:
    """The project name and its stacks as (name, role), platform stacks first, then by name."""
    project = yaml.safe_load((program_dir / "Pulumi.yaml").read_text(encoding="utf-8"))["name"]
    stacks = []
    for path in sorted(program_dir.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi.") : -len(".yaml")]
        config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
        stacks.append((name, str(config.get(f"{project}:role", "all-in-one"))))
    stacks.sort(key=lambda item: (item[1] != "platform", item[0]))
    return project, stacks


def _preview_one(argv: list[str]) -> int:
    # Runs in a worker process: one Pulumi program per process, as the Pulumi CLI runs them.
    from azure_jit_access.cli.main import main

    return main(argv)


def _common_flags(args: argparse.Namespace) -> list[str]:
    flags = ["--program", str(args.program), "--timeout", str(args.timeout)]
    flags += ["--policy-timeout", str(args.policy_timeout)]
    for pack in args.policy_pack or []:
        flags += ["--policy-pack", str(pack)]
    for config in args.policy_config or []:
        flags += ["--policy-config", str(config)]
    for pair in args.config:
        flags += ["--config", pair]
    for pair in args.stack_outputs:
        flags += ["--stack-outputs", pair]
    for pair in args.stack_tag:
        flags += ["--stack-tag", pair]
    flags += ["--validate"] if getattr(args, "validate", False) else []
    return flags + (["--strict"] if args.strict else [])


def run_estate_previews(args: argparse.Namespace, workdir: Path) -> EstateResult:
    """Preview every stack (platform first) in worker processes; each report is read back from its JSON."""
    program = Path(args.program)
    project, stacks = discover_stacks(program)
    runs = [StackRun(name, role) for name, role in stacks]
    common = _common_flags(args)

    def argv(run: StackRun, extra: list[str]) -> list[str]:
        out = workdir / f"{run.stack}.json"
        return ["preview", "--stack", run.stack, "--format", "json", "--output", str(out), *common, *extra]

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=context) as pool:
        platforms = [run for run in runs if run.role == "platform"]
        for run, status in zip(platforms, pool.map(_preview_one, [argv(r, []) for r in platforms]), strict=True):
            run.exit_status = status
        wiring: list[str] = []
        for run in platforms:
            if (workdir / f"{run.stack}.json").is_file():
                wiring += ["--stack-outputs", f"{ORGANIZATION}/{project}/{run.stack}={workdir / f'{run.stack}.json'}"]
        others = [run for run in runs if run.role != "platform"]
        for run, status in zip(others, pool.map(_preview_one, [argv(r, wiring) for r in others]), strict=True):
            run.exit_status = status
    for run in runs:
        path = workdir / f"{run.stack}.json"
        if path.is_file():
            run.report = json.loads(path.read_text(encoding="utf-8"))
    result = EstateResult(project, runs)
    result.conflicts = estate_conflicts(runs)
    return result


def estate_conflicts(runs: list[StackRun]) -> list[str]:
    """Azure ids claimed by two stacks, and VMs listed by two JIT policies anywhere in the estate."""
    owners: dict[str, list[str]] = {}
    policies_of: dict[str, list[str]] = {}
    for run in runs:
        for resource in (run.report or {}).get("resources", []):
            resource_id = resource.get("id")
            if not resource_id or resource["type"].startswith(NOT_AZURE) or "[unknown]" in resource_id:
                continue
            owners.setdefault(resource_id.lower(), []).append(f"{run.stack}:{resource['name']}")
            if resource["type"] == "azure-native:security:JitNetworkAccessPolicy":
                for vm in resource.get("inputs", {}).get("virtualMachines") or []:
                    if isinstance(vm, dict) and isinstance(vm.get("id"), str):
                        policies_of.setdefault(vm["id"].lower(), []).append(f"{run.stack}:{resource_id}")
    conflicts = [
        f"Azure id {resource_id} is claimed by {len(claims)} resources: {', '.join(claims)}"
        for resource_id, claims in sorted(owners.items())
        if len({claim.split(":", 1)[0] for claim in claims}) > 1
    ]
    conflicts += [
        f"VM {vm_id} is listed by {len(found)} JIT policies: {', '.join(found)}; list it in one"
        for vm_id, found in sorted(policies_of.items())
        if len(found) > 1
    ]
    return conflicts


def _row(run: StackRun) -> tuple[str, str, str, str, str, str]:
    summary = run.summary
    verdict = {0: "pass", 1: "mandatory violation"}.get(run.exit_status, "broken")
    return (
        run.stack,
        run.role,
        str(summary.get("resources", "-")),
        str(summary.get("mandatory", "-")),
        str(summary.get("advisory", "-")),
        f"{verdict} ({run.exit_status})",
    )


def render_estate_text(result: EstateResult) -> str:
    """A line per stack, the conflicts, and the estate's verdict."""
    lines = [f"Estate preview of {result.project}: {len(result.runs)} stacks (platform first)", ""]
    for stack, role, res, mandatory, advisory, verdict in map(_row, result.runs):
        lines.append(
            f"  {stack:<16} {role:<11} {res:>4} resources  {mandatory} mandatory  {advisory} advisory  {verdict}"
        )
    lines.append("")
    lines += [f"conflict: {c}" for c in result.conflicts] or ["No two resources of the estate share an Azure id."]
    lines.append(f"Estate exit status: {result.exit_status}")
    return "\n".join(lines) + "\n"


def render_estate_markdown(result: EstateResult) -> str:
    """The combined PR comment: the per-stack table, estate conflicts, then each stack's violations."""
    lines = [
        f"## Estate preview: {result.project}",
        "",
        f"**{len(result.runs)} stacks**, exit status **{result.exit_status}** "
        f"({'clean' if result.exit_status == 0 else 'needs attention'}). Platform stacks run first; workload "
        "stacks read their outputs.",
        "",
        "| Stack | Role | Resources | Mandatory | Advisory | Result |",
        "|---|---|---:|---:|---:|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in map(_row, result.runs)]
    lines += ["", "### Estate conflicts", ""]
    lines += [f"- {c}" for c in result.conflicts] or ["None: no two resources of the estate share an Azure id."]
    for run in result.runs:
        violations = (run.report or {}).get("violations") or []
        lines += ["", f"### `{run.stack}` ({run.role})", ""]
        if run.report is None:
            lines.append(
                "The preview failed (exit status 2): run `jit preview --stack " + run.stack + "` for the error."
            )
            continue
        counts: dict[str, int] = {}
        for resource in run.report.get("resources", []):
            if not resource["type"].startswith(NOT_AZURE):
                counts[resource["type"]] = counts.get(resource["type"], 0) + 1
        lines += [f"<details><summary>{sum(counts.values())} resources by type</summary>", ""]
        lines += ["| Type | Count |", "|---|---:|"] + [f"| `{t}` | {n} |" for t, n in sorted(counts.items())]
        lines += ["", "</details>", ""]
        if not violations:
            lines.append("No policy violations.")
        else:
            lines += ["| Enforcement | Policy | Resource | Message |", "|---|---|---|---|"]
            for v in violations:
                urn = (v.get("urn") or "(stack)").rsplit("::", 1)[-1]
                message = str(v.get("message", "")).replace("|", "\\|").replace("\n", " ")
                lines.append(f"| {v.get('enforcement')} | `{v.get('policy')}` | `{urn}` | {message} |")
    return "\n".join(lines) + "\n"


def run_estate(args: argparse.Namespace) -> int:
    """Handle `jit preview --all-stacks`: exit status is the worst of the stacks and the estate checks."""
    if args.stack != "dev" or args.compare:
        sys.stderr.write("error: --all-stacks previews every stack of the project: drop --stack and --compare\n")
        return 2
    if args.format not in ("text", "json", "markdown"):
        sys.stderr.write(f"error: --all-stacks writes text, json or markdown, not {args.format}\n")
        return 2
    if not (Path(args.program) / "Pulumi.yaml").is_file():
        sys.stderr.write(f"error: --program {args.program}: no Pulumi.yaml there\n")
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="jit-estate-") as workdir:
            result = run_estate_previews(args, Path(workdir))
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as err:
        # A stack file that is not YAML, or a Pulumi.yaml without a name: the estate cannot be listed.
        sys.stderr.write(f"error: --all-stacks: cannot read the project's stack files: {type(err).__name__}: {err}\n")
        return 2
    if args.format == "json":
        report = json.dumps(
            {
                "project": result.project,
                "stacks": [
                    {"stack": r.stack, "role": r.role, "exitStatus": r.exit_status, "summary": r.summary}
                    for r in result.runs
                ],
                "conflicts": result.conflicts,
                "exitStatus": result.exit_status,
            },
            indent=2,
        )
    elif args.format == "markdown":
        report = render_estate_markdown(result)
    else:
        report = render_estate_text(result)
    if args.output:
        try:
            Path(args.output).write_text(report, encoding="utf-8")
        except OSError as err:
            sys.stderr.write(f"error: --output {args.output}: cannot be written: {err.strerror or err}\n")
            return 2
        sys.stderr.write(f"Estate exit status {result.exit_status}. Report written to {args.output}.\n")
    else:
        sys.stdout.write(report)
    return result.exit_status
