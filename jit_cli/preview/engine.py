"""Run a Pulumi Python program on Pulumi's mock engine and record what it would create.

This is the offline half of `pulumi preview`: the program runs in-process as a preview (`is_dry_run()` is
true), every registration is answered by `RecordingMonitor` with the inputs plus the outputs the engine
models (everything else is unknown, as in `pulumi preview`), and the result lists resources in a stable tree
order so the same input always gives the same output. Component tests may run in update mode
(`preview=False`), where unmodelled outputs are absent instead of unknown and every `apply` runs.

    from azure_jit_access.cli.preview.engine import run_inline
    result = run_inline(lambda: MyComponent("web", args), config={"azure-jit-access:size": "B2s"})
    nsg = result.one("azure-native:network:NetworkSecurityGroup")
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from azure_jit_access.cli.preview import arm_state
from azure_jit_access.cli.preview.model import PreviewResult, Resource
from azure_jit_access.cli.preview.project_config import ProjectConfig, load_project


class ProgramError(Exception):
    """The program raised or logged an error; `cause` keeps the original exception for `--debug`."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


def configure_stack_settings(project: str, stack: str, config: dict[str, str], secret_keys: list[str]) -> None:
    """Give the process the stack's project, name and config, as the CLI gives a policy pack before it loads.

    Packs that read `pulumi.Config()` or `pulumi.get_stack()` at import time then see the stack's values.
    """
    from pulumi.runtime import config as pulumi_config
    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.mocks import MockSettings

    pulumi_settings.configure(
        MockSettings(project=project, stack=stack, dry_run=True, organization="organization", monitor=None)
    )
    pulumi_config.set_all_config(dict(config), list(secret_keys))


def _configure(
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    on_register,
    preview: bool = True,
    stack_outputs: dict[str, dict[str, Any]] | None = None,
    strict: bool = False,
    source_root: Path | None = None,
):
    # Imported here so that `jit --help` never pays for the Pulumi SDK.
    from pulumi.runtime import config as pulumi_config
    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.mocks import MockSettings

    from azure_jit_access.cli.preview import runtime_patches
    from azure_jit_access.cli.preview.recording import ArmMocks, RecordingEngine, RecordingMonitor

    root = str(source_root.resolve()) if source_root else None
    runtime_patches.install(root)

    subscription = config.get("azure-native:subscriptionId") or arm_state.DEFAULT_SUBSCRIPTION_ID
    tenant = config.get("azure-native:tenantId") or arm_state.DEFAULT_TENANT_ID
    monitor = RecordingMonitor(
        ArmMocks(subscription, tenant),
        on_register,
        config=config,
        stack_outputs=stack_outputs,
        strict=strict,
        source_root=root,
    )
    engine = RecordingEngine()
    pulumi_settings.ROOT.set(None)
    features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
    pulumi_settings.configure(
        MockSettings(
            monitor=monitor,
            monitor_features=features,
            engine=engine,
            project=project,
            stack=stack,
            dry_run=preview,
            organization="organization",
            callbacks=None,
        )
    )
    pulumi_settings.SETTINGS.outputs.clear()
    pulumi_config.set_all_config(dict(config), list(secret_keys))
    return monitor, engine


def _tree_order(recorded: dict[str, Resource]) -> list[Resource]:
    # Registrations arrive from a thread pool in no fixed order; a depth-first walk with children sorted by
    # name and type makes the listing stable.
    children: dict[str | None, list[Resource]] = {}
    for resource in recorded.values():
        parent = resource.parent if resource.parent in recorded else None
        children.setdefault(parent, []).append(resource)
    ordered: list[Resource] = []

    def walk(parent: str | None) -> None:
        for child in sorted(children.get(parent, []), key=lambda r: (r.name, r.type, r.urn)):
            ordered.append(child)
            walk(child.urn)

    walk(None)
    return ordered


def run_inline(
    fn: Callable[[], Any],
    *,
    project: str = "azure-jit-access",
    stack: str = "test",
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    on_register: Callable[[int], None] | None = None,
    preview: bool = False,
    stack_outputs: dict[str, dict[str, Any]] | None = None,
    strict: bool = False,
    source_root: Path | None = None,
) -> PreviewResult:
    """Run `fn` as a Pulumi program under the mock engine and return what it registered.

    `preview=True` runs it as `pulumi preview` does (unmodelled outputs unknown, `apply` on them skipped);
    the default update mode suits component tests, whose assertions inside `apply` must run.
    `stack_outputs` answers `StackReference`s by stack name; `strict` makes remote components errors;
    `source_root` is the folder source positions are relative to.
    Exceptions raised by `fn` propagate unchanged; errors it logs with `pulumi.log.error` raise
    `ProgramError`, because a real deployment fails on them too.
    """
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    monitor, engine = _configure(
        project, stack, config or {}, secret_keys or [], on_register, preview, stack_outputs, strict, source_root
    )
    try:
        _sync_await(run_in_stack(fn))
    finally:
        from pulumi.runtime import settings as pulumi_settings

        pulumi_settings.ROOT.set(None)
    if engine.errors:
        raise ProgramError("the program logged errors:\n" + "\n".join(f"  - {e}" for e in engine.errors))
    return PreviewResult(
        project=project,
        stack=stack,
        resources=_tree_order(monitor.recorded),
        outputs=monitor.stack_outputs,
        secret_outputs=monitor.secret_outputs,
        wire_inputs=monitor.wire_inputs,
        warnings=monitor.warnings + engine.warnings,
    )


@contextlib.contextmanager
def _program_context(program_dir: Path) -> Iterator[None]:
    """Run as the Pulumi CLI would: from the program folder, with it first on sys.path.

    Modules the program imports from its own folder are forgotten afterwards, so the next program run in
    this process (tests, `--compare`) cannot pick up a stale module of the same name.
    """
    before = set(sys.modules)
    old_cwd = os.getcwd()
    sys.path.insert(0, str(program_dir))
    os.chdir(program_dir)
    try:
        yield
    finally:
        os.chdir(old_cwd)
        with contextlib.suppress(ValueError):
            sys.path.remove(str(program_dir))
        forget_program_modules(set(sys.modules) - before, program_dir)


def forget_program_modules(names: set[str], folder: Path) -> None:
    """Drop the program's own modules from `sys.modules`, never installed packages.

    A virtualenv often lives inside the project folder (`.venv`, `venv`); forgetting a provider SDK
    loaded from there would make the next run register its package twice.
    """
    for name in names:
        module_file = getattr(sys.modules.get(name), "__file__", None) or ""
        if not module_file or "site-packages" in Path(module_file).parts:
            continue
        if Path(module_file).resolve().is_relative_to(folder):
            del sys.modules[name]


def run_project(
    project: ProjectConfig,
    on_register: Callable[[int], None] | None = None,
    *,
    preview: bool = True,
    stack_outputs: dict[str, dict[str, Any]] | None = None,
    strict: bool = False,
) -> PreviewResult:
    """Run a project folder's program (its `main`) under the mock engine, as a preview by default."""
    main = str(project.main)

    def program() -> None:
        runpy.run_path(main, run_name="__main__")

    with _program_context(project.program_dir):
        return run_inline(
            program,
            project=project.project,
            stack=project.stack,
            config=project.config,
            secret_keys=project.secret_keys,
            on_register=on_register,
            preview=preview,
            stack_outputs=stack_outputs,
            strict=strict,
            source_root=project.program_dir,
        )


def run_program(
    program_dir: str | Path = ".",
    stack: str = "dev",
    overrides: list[str] | None = None,
    on_register: Callable[[int], None] | None = None,
    **options: Any,
) -> PreviewResult:
    """Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` in `program_dir` and run its program (see `run_project`)."""
    return run_project(load_project(Path(program_dir), stack, overrides), on_register, **options)
