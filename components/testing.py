"""Test helpers: run a Pulumi program or function under the offline mock engine and inspect what it created.

Like `click.testing`, this is the supported way for tests (ours and yours) to exercise components without
a cloud, without the Pulumi CLI and without reaching into the preview engine's internals:

    from azure_jit_access.testing import run

    result = run(lambda: JitProtectedVm("web", args))
    nsg = result.one("azure-native:network:NetworkSecurityGroup", "web-nsg")
    assert nsg.inputs["networkSecurityGroupName"] == "web-nsg"  # camelCase, as policies see it

`run` defaults to update mode (every `apply` runs, as with `pulumi.runtime.set_mocks(preview=False)`);
pass `preview=True` to see exactly what `pulumi preview` would (unmodelled outputs unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure_jit_access.cli.preview.model import PreviewResult, Resource, Violation

__all__ = ["run", "run_project_folder", "evaluate_policies", "inputs_by_name"]


def __getattr__(name: str) -> Any:
    # `ProgramError` is imported lazily, so that importing this module does not load the Pulumi SDK.
    if name == "ProgramError":
        from azure_jit_access.cli.preview.engine import ProgramError

        return ProgramError
    raise AttributeError(name)


def run(
    program: Callable[[], Any],
    *,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    stack: str = "test",
    project: str = "azure-jit-access",
    preview: bool = False,
    on_register: Callable[[int], None] | None = None,
) -> PreviewResult:
    """Run `program` (a function that creates resources) as a Pulumi program and return what it registered.

    Args:
        program: called once, inside a Pulumi stack, like a program's `__main__.py`.
        config: stack config, namespaced keys (`"azure-native:location": "westeurope"`).
        secret_keys: which config keys are secrets.
        stack: the stack name (URNs and `pulumi.get_stack()`).
        project: the project name (URNs and `pulumi.get_project()`).
        preview: run as `pulumi preview` (unmodelled outputs unknown) instead of as an update.
        on_register: called with the running count after each registration.

    Exceptions the program raises propagate; errors it logs raise `ProgramError`.
    """
    from azure_jit_access.cli.preview.engine import run_inline

    return run_inline(
        program,
        project=project,
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        on_register=on_register,
        preview=preview,
    )


def run_project_folder(folder: str | Path, stack: str = "dev", overrides: list[str] | None = None) -> PreviewResult:
    """Preview a project folder (`Pulumi.yaml` + program) exactly as `jit preview --program FOLDER` does."""
    from azure_jit_access.cli.preview.engine import run_program

    return run_program(folder, stack, overrides)


def evaluate_policies(
    result: PreviewResult, pack_dir: str | Path, config: dict[str, Any] | None = None
) -> list[Violation]:
    """Evaluate a CrossGuard pack folder on a run's resources, as `pulumi preview --policy-pack` would."""
    from azure_jit_access.cli.preview.packs import evaluate_packs, load_pack

    return evaluate_packs([load_pack(pack_dir)], result, config)


def inputs_by_name(result: PreviewResult, type_: str) -> dict[str, dict[str, Any]]:
    """Every resource of `type_` by logical name -> its camelCase inputs."""
    found: list[Resource] = result.find(type_)
    return {resource.name: resource.inputs for resource in found}
