"""`jit preview`: the offline `pulumi preview --policy-pack`.

Exit status (pinned): 0 no mandatory violation, 1 at least one mandatory violation, 2 the program, its
config or a policy pack is broken, exits early (any `SystemExit`, even `sys.exit(0)`), runs out of time
(`--timeout`, `--policy-timeout`), the report cannot be written, or `--validate` found an Azure schema
error (a short message; the traceback only with --debug). Exit 0 is only ever returned after every policy
ran on every resource.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import traceback
from pathlib import Path

from azure_jit_access.cli.preview.limits import (
    DEFAULT_POLICY_TIMEOUT,
    DEFAULT_TIMEOUT,
    HardExit,
    PreviewTimeout,
    TimeLimits,
    no_hard_exit,
)

EXAMPLES = """examples:
  jit preview                                   # this project, dev stack, its policies/ pack
  jit preview --stack bastion --format markdown --output preview.md
  jit preview --program ../other-project --policy-pack policies --config azure-native:location=westus3
  jit preview --format json | jq '.violations'
  jit preview --validate                        # also check every resource against Azure's ARM schemas
  jit preview --timeout 120 --policy-timeout 10   # a CI job: never hang
  jit preview --all-stacks --format markdown --output estate.md   # every stack, platform first

exit status: 0 no mandatory violation (every policy ran), 1 a mandatory violation, 2 the program, its config
or a pack is broken, exits early, runs out of time, the report cannot be written, or --validate
found an Azure schema error.
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
    parser.add_argument(
        "--validate",
        action="store_true",
        help="check every azure-native resource against Microsoft's ARM resource schema of the API version "
        "the installed SDK uses; any error exits 2, as `pulumi preview` fails on a provider check",
    )
    parser.add_argument(
        "--stack-outputs",
        action="append",
        default=[],
        metavar="ORG/PROJECT/STACK=FILE",
        help="answer StackReference('ORG/PROJECT/STACK') with the outputs in FILE (a JSON object, or another "
        "stack's `jit preview --format json`); repeatable. Without it a stack reference's outputs are unknown",
    )
    parser.add_argument(
        "--stack-tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a stack tag policies see (args.stack_tags); repeatable",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 2) on what the offline preview cannot do as the CLI would (remote components), "
        "instead of warning",
    )
    parser.add_argument("--format", choices=("text", "json", "markdown", "sarif"), default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report here instead of stdout")
    parser.add_argument(
        "--timeout",
        type=_seconds("--timeout"),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up (exit 2) when the whole run takes longer (default: {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--policy-timeout",
        type=_seconds("--policy-timeout"),
        default=DEFAULT_POLICY_TIMEOUT,
        metavar="SECONDS",
        help=f"give up (exit 2, naming the policy) when one policy call takes longer (default: "
        f"{DEFAULT_POLICY_TIMEOUT:g})",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for broken programs")
    parser.add_argument(
        "--all-stacks",
        action="store_true",
        help="preview every Pulumi.<stack>.yaml of the program as one estate, two processes at a time, platform "
        "stacks first with their outputs wired to the others' stack references; a per-stack summary (markdown: "
        "one combined report) and the worst exit status (docs/estate.md)",
    )
    parser.set_defaults(handler=run)


def _seconds(flag: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not 0 < value <= 86400:
            raise argparse.ArgumentTypeError(f"{flag} must be more than 0 and at most 86400 seconds, got {text}")
        return value

    return parse


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


def parse_pairs(values: list[str], flag: str) -> dict[str, str]:
    """`KEY=VALUE` flags as a dict; a value without `=` is a usage error naming the flag."""
    pairs = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} {value!r}: expected KEY=VALUE")
        pairs[key.strip()] = rest
    return pairs


def read_stack_outputs(values: list[str]) -> dict[str, dict]:
    """`--stack-outputs ORG/PROJECT/STACK=FILE`: FILE is an outputs object or a `jit preview --format json`."""
    found = {}
    for name, path in parse_pairs(values, "--stack-outputs").items():
        if name.count("/") != 2:
            raise ValueError(f"--stack-outputs {name!r}: name the stack as ORG/PROJECT/STACK")
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise ValueError(f"--stack-outputs {name}: {path}: cannot be read: {err.strerror}") from None
        except json.JSONDecodeError as err:
            raise ValueError(f"--stack-outputs {name}: {path}: not valid JSON (line {err.lineno}): {err.msg}") from None
        outputs = doc.get("outputs") if isinstance(doc, dict) and "resources" in doc else doc
        if not isinstance(outputs, dict):
            raise ValueError(f"--stack-outputs {name}: {path}: expected a JSON object of outputs")
        found[name] = outputs
    return found


def _fail(message: str, err: BaseException | None, debug: bool) -> int:
    if debug and err is not None:
        traceback.print_exception(err)
    sys.stderr.write(f"error: {message}\n")
    return 2


def _early_exit(err: SystemExit, who: str) -> str:
    call = "os._exit" if isinstance(err, HardExit) else "sys.exit"
    return (
        f"{who} exited early ({call}({err.code!r})) before every policy ran; nothing was checked. "
        "A Pulumi program or policy pack must not call sys.exit, exit() or os._exit: raise an exception instead"
    )


def run(args: argparse.Namespace) -> int:
    """Handle `jit preview`: every failure, even a `SystemExit` or a hang, is exit status 2 with one message."""
    if getattr(args, "all_stacks", False):
        from azure_jit_access.cli.preview.estate import run_estate

        return run_estate(args)
    try:
        with TimeLimits(args.timeout, args.policy_timeout) as limits, no_hard_exit():
            return _run(args, limits)
    except PreviewTimeout as err:
        return _fail(str(err), err, args.debug)
    except SystemExit as err:
        return _fail(_early_exit(err, "the preview"), err, args.debug)
    except Exception as err:  # noqa: BLE001 - an exit status that lies is worse than a terse message
        return _fail(f"jit preview failed: {type(err).__name__}: {err}", err, args.debug)


def _run(args: argparse.Namespace, limits: TimeLimits) -> int:
    from azure_jit_access.cli.preview import compare as compare_mod
    from azure_jit_access.cli.preview import markdown, render, sarif
    from azure_jit_access.cli.preview import packs as pack_mod
    from azure_jit_access.cli.preview.engine import ProgramError, configure_stack_settings, run_project
    from azure_jit_access.cli.preview.project_config import ConfigError, load_project
    from azure_jit_access.cli.preview.violation_groups import policy_docs

    limits.phase = "while reading the project"
    try:
        project = load_project(Path(args.program), args.stack, args.config)
        base = compare_mod.load_base(args.compare) if args.compare else None
        stack_outputs = read_stack_outputs(args.stack_outputs)
        stack_tags = parse_pairs(args.stack_tag, "--stack-tag")
    except (ConfigError, ValueError) as err:
        return _fail(str(err), err, args.debug)
    # As the CLI does, a pack is loaded with the stack's config in place: packs may read it at import.
    configure_stack_settings(project.project, project.stack, project.config, project.secret_keys)

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
        limits.phase = "while loading the policy packs"
        loaded = [pack_mod.load_pack(p) for p in pack_dirs]
    except pack_mod.PackError as err:
        return _fail(str(err), err, args.debug)
    except SystemExit as err:
        return _fail(_early_exit(err, "a policy pack's __main__.py"), err, args.debug)
    except Exception as err:  # noqa: BLE001 - a third-party pack can fail in any way; report, don't crash
        return _fail(f"policy pack failed to load: {type(err).__name__}: {err}", err, args.debug)

    progress = _Progress(args.format == "text" and sys.stderr.isatty())
    limits.phase = f"while running the program {project.main.name}"
    # The program's own print() must not corrupt a report written to stdout.
    quiet = contextlib.redirect_stdout(sys.stderr) if not args.output else contextlib.nullcontext()
    try:
        with quiet:
            result = run_project(project, on_register=progress, stack_outputs=stack_outputs, strict=args.strict)
    except SystemExit as err:
        progress.done()
        return _fail(_early_exit(err, f"the program {project.main}"), err, args.debug)
    except ProgramError as err:
        progress.done()
        return _fail(f"{project.main}: {err}", err.cause, args.debug)
    except Exception as err:  # noqa: BLE001 - any exception from a user program is a broken program
        progress.done()
        return _fail(
            f"the program {project.main} failed: {_program_failure(err, project.program_dir)}", err, args.debug
        )
    progress.done()

    limits.phase = "while evaluating the policies"
    try:
        pack_mod.evaluate_packs(
            loaded, result, configs or None, stack_tags=stack_tags, stack_config=project.config, limits=limits
        )
        result.policy_docs = policy_docs(loaded)
    except pack_mod.PackError as err:
        return _fail(str(err), err, args.debug)
    except SystemExit as err:
        return _fail(_early_exit(err, "a policy"), err, args.debug)
    except Exception as err:  # noqa: BLE001 - a crashing policy must not look like a pass
        return _fail(f"a policy raised instead of reporting: {type(err).__name__}: {err}", err, args.debug)

    if args.validate:
        from azure_jit_access.cli.preview import validate

        if not validate.ARM_SCHEMAS.is_dir():
            return _fail(
                f"--validate needs the vendored ARM schemas in {validate.ARM_SCHEMAS}; install azure-jit-access "
                "from a source checkout (pip install -e .), where references/ is present",
                None,
                args.debug,
            )
        result.validation = validate.validate_resources(result.resources, project.program_dir, project.main)

    limits.phase = "while writing the report"
    try:
        changes = compare_mod.compare(base, render.to_json_document(result)) if base is not None else None
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        return _fail(f"--compare {args.compare}: not a `jit preview --format json` report ({err!r})", err, args.debug)
    renderers = {"text": render.render_text, "json": render.render_json, "markdown": markdown.render_markdown}
    renderers["sarif"] = sarif.sarif_renderer(loaded, project.main, project.program_dir)
    report = renderers[args.format](result, changes)
    if args.output:
        try:
            Path(args.output).write_text(report, encoding="utf-8")
        except OSError as err:
            return _fail(f"--output {args.output}: cannot be written: {err.strerror or err}", err, args.debug)
        sys.stderr.write(render.summary_line(result, changes) + f" Report written to {args.output}.\n")
    else:
        sys.stdout.write(report)
    if result.validation is not None and result.validation.issues:
        sys.stderr.write(f"error: {len(result.validation.issues)} Azure schema error(s) (--validate), see the report\n")
        return 2
    return 1 if any(v.enforcement == "mandatory" for v in result.violations) else 0
