"""`jit preview`: the offline `pulumi preview --policy-pack`.

Exit status (pinned): 0 no mandatory violation, 1 at least one mandatory violation, 2 the program, its
config or a policy pack is broken (a short message; the traceback only with --debug).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

EXAMPLES = """examples:
  jit preview                                   # this project, dev stack, its policies/ pack
  jit preview --stack bastion --format markdown --output preview.md
  jit preview --program ../other-project --policy-pack policies --config azure-native:location=westus3
  jit preview --format json | jq '.violations'
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `jit preview` to the `jit` parser."""
    parser = subparsers.add_parser(
        "preview",
        help="preview a Pulumi Python program offline and evaluate CrossGuard policy packs",
        description="Run a Pulumi Python program on Pulumi's mock engine (no cloud, no Pulumi CLI), list every "
        "resource it would create and evaluate CrossGuard policy packs as `pulumi preview --policy-pack` would.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--program", default=".", help="folder with Pulumi.yaml and the program (default: .)")
    parser.add_argument("--stack", default="dev", help="stack whose Pulumi.<stack>.yaml is read (default: dev)")
    parser.add_argument(
        "--policy-pack",
        action="append",
        default=None,
        metavar="DIR",
        help="Python policy pack folder; repeatable (default: policies/ of this project)",
    )
    parser.add_argument(
        "--policy-config",
        action="append",
        default=None,
        metavar="FILE",
        help="policy pack config JSON (the format of `pulumi preview --policy-pack-config`); "
        "one per --policy-pack, in the same order",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. azure-native:location=westus3; repeatable",
    )
    parser.add_argument(
        "--compare",
        metavar="BASE.json",
        help="compare with an earlier `jit preview --format json` (e.g. of the base branch)",
    )
    parser.add_argument("--format", choices=("text", "json", "markdown", "sarif"), default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for broken programs")
    parser.set_defaults(handler=run)


def _default_packs(program_dir: Path, project: str) -> list[Path]:
    candidate = program_dir / "policies"
    if project == "azure-jit-access" and (candidate / "__main__.py").is_file():
        return [candidate]
    return []


def _program_failure(err: BaseException, program_dir: Path) -> str:
    # Name the innermost frame in the user's own files: that is where the problem is.
    where = ""
    for frame in traceback.extract_tb(err.__traceback__):
        path = Path(frame.filename)
        if path.is_absolute() and path.resolve().is_relative_to(program_dir):
            where = f"{path.relative_to(program_dir)}:{frame.lineno}: "
    text = str(err).strip() or type(err).__name__
    return f"{where}{type(err).__name__}: {text}"


class _Progress:
    """Shows `registered N resources` on a terminal once a run takes longer than a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.shown = False
        self.last = 0.0

    def __call__(self, count: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.start < 1.0 or now - self.last < 0.1:
            return
        self.last = now
        self.shown = True
        sys.stderr.write(f"\rregistered {count} resources ...")
        sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 40 + "\r")
            sys.stderr.flush()


def _fail(message: str, err: BaseException | None, debug: bool) -> int:
    if debug and err is not None:
        traceback.print_exception(err)
    sys.stderr.write(f"error: {message}\n")
    return 2


def run(args: argparse.Namespace) -> int:
    """Handle `jit preview`."""
    from azure_jit_access.cli.preview import compare as compare_mod
    from azure_jit_access.cli.preview import markdown, render, sarif
    from azure_jit_access.cli.preview import packs as pack_mod
    from azure_jit_access.cli.preview.engine import ProgramError, run_project
    from azure_jit_access.cli.preview.project_config import ConfigError, load_project

    try:
        project = load_project(Path(args.program), args.stack, args.config)
        base = compare_mod.load_base(args.compare) if args.compare else None
    except ConfigError as err:
        return _fail(str(err), err, args.debug)

    pack_dirs = (
        [Path(p) for p in args.policy_pack]
        if args.policy_pack
        else _default_packs(project.program_dir, project.project)
    )
    try:
        configs = [pack_mod.read_policy_config(p) for p in args.policy_config or []]
        if configs and len(configs) != len(pack_dirs):
            raise pack_mod.PackError(
                f"{len(configs)} --policy-config file(s) for {len(pack_dirs)} policy pack(s): "
                "give one per --policy-pack, in the same order"
            )
        loaded = [pack_mod.load_pack(p) for p in pack_dirs]
    except pack_mod.PackError as err:
        return _fail(str(err), err, args.debug)
    except Exception as err:  # noqa: BLE001 - a third-party pack can fail in any way; report, don't crash
        return _fail(f"policy pack failed to load: {type(err).__name__}: {err}", err, args.debug)

    progress = _Progress(args.format == "text" and sys.stderr.isatty())
    try:
        result = run_project(project, on_register=progress)
    except ProgramError as err:
        progress.done()
        return _fail(f"{project.main}: {err}", err.cause, args.debug)
    except Exception as err:  # noqa: BLE001 - any exception from a user program is a broken program
        progress.done()
        return _fail(
            f"the program {project.main} failed: {_program_failure(err, project.program_dir)}", err, args.debug
        )
    progress.done()

    try:
        result.violations = pack_mod.evaluate_packs(loaded, result.resources, configs or None, result.wire_inputs)
    except pack_mod.PackError as err:
        return _fail(str(err), err, args.debug)
    except Exception as err:  # noqa: BLE001 - a crashing policy must not look like a pass
        return _fail(f"a policy raised instead of reporting: {type(err).__name__}: {err}", err, args.debug)

    changes = compare_mod.compare(base, render.to_json_document(result)) if base is not None else None
    renderers = {"text": render.render_text, "json": render.render_json, "markdown": markdown.render_markdown}
    renderers["sarif"] = sarif.sarif_renderer(loaded, project.main, project.program_dir)
    report = renderers[args.format](result, changes)
    if args.output:
        Path(args.output).write_text(report, encoding="utf-8")
        sys.stderr.write(render.summary_line(result, changes) + f" Report written to {args.output}.\n")
    else:
        sys.stdout.write(report)
    return 1 if any(v.enforcement == "mandatory" for v in result.violations) else 0
