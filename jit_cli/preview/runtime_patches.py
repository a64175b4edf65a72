"""Changes the engine makes to the SDK's program runtime, for speed; none changes a result.

They replace private SDK functions, so they are only installed on the pulumi versions they were checked
against (`TESTED_VERSIONS`); on any other version the SDK's own behaviour is kept (slower, same results).

1. Waiting for a program to finish, in time linear in the number of outputs. When a program's
   top-level code returns, the Python SDK waits for every outstanding RPC and every pending `Output`
   task (`pulumi.runtime.stack.wait_for_rpcs`) with `asyncio.wait(..., FIRST_COMPLETED)` in a loop,
   which attaches a callback to every pending task each time a single one finishes: quadratic in the
   number of outputs, and the largest single cost of a 1000-VM preview once aliases are pruned.
   `wait_until_quiet` keeps the same contract (drain the RPC queue, re-raise the first failure, wait
   until no output task is left, repeat while new RPCs appear) but waits for each batch of tasks in
   one go, returning early only on an exception, so every task gets one callback per batch.

2. One cheap frame walk per registration instead of a full stack trace (see `install`).
"""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import sys
import sysconfig
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TypedDict

from pulumi.runtime import settings

if TYPE_CHECKING:
    from pulumi.runtime.proto import source_pb2

TESTED_VERSIONS = ((3, 272, 0), (3, 273, 0))
"""[lowest, highest) pulumi SDK versions whose private functions these patches were checked against."""


class _Originals(TypedDict, total=False):
    """The SDK's own functions, kept to put back."""

    wait_for_rpcs: Callable[..., Coroutine[Any, Any, None]]
    _get_stack_trace: Callable[[], source_pb2.StackTrace]


_ORIGINALS: _Originals = {}
_LIBRARY_DIRS = tuple(
    {str(Path(p).resolve()) for key in ("stdlib", "platstdlib", "purelib", "platlib") if (p := sysconfig.get_path(key))}
)
_user_file: dict[str, bool] = {}
_source_root: list[str | None] = [None]
_CONSTRUCTORS = ("__init__", "_internal_init")


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@functools.lru_cache(maxsize=1)
def installed_version() -> str:
    """The installed pulumi SDK's version (the package has no `__version__`)."""
    return importlib.metadata.version("pulumi")


def is_tested_version(version: str | None = None) -> bool:
    """Whether the installed (or given) pulumi SDK version is one the patches were checked against."""
    low, high = TESTED_VERSIONS
    return low <= _version_tuple(version or installed_version()) < high


async def wait_until_quiet(await_all_outstanding_tasks: bool = True) -> None:
    """Return once no RPC and (optionally) no output task is outstanding; raise the first failure."""
    manager = settings._get_rpc_manager()
    while True:
        while manager.rpcs:
            await asyncio.sleep(0)
            rpc = manager.rpcs.pop()
            try:
                await rpc
            except Exception as err:
                if manager.unhandled_exception is not None:
                    raise err from manager.unhandled_exception.with_traceback(manager.exception_traceback)
                raise
        if manager.unhandled_exception is not None:
            raise manager.unhandled_exception.with_traceback(manager.exception_traceback)

        if await_all_outstanding_tasks:
            while True:
                with settings.SETTINGS.lock:
                    if not settings.SETTINGS.outputs:
                        break
                    batch = list(settings.SETTINGS.outputs)
                    settings.SETTINGS.outputs.clear()
                done, pending = await asyncio.wait(batch, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    await task  # re-raises the task's exception, if any
                if pending:
                    with settings.SETTINGS.lock:
                        settings.SETTINGS.outputs.update(pending)

        if not manager.rpcs:
            break


def _is_user_file(filename: str) -> bool:
    known = _user_file.get(filename)
    if known is None:
        known = (
            not filename.startswith("<") and not filename.startswith(_LIBRARY_DIRS) and "site-packages" not in filename
        )
        _user_file[filename] = known
    return known


def program_position() -> tuple[str, int] | None:
    """The line that constructed the resource being registered: the innermost frame that is not the
    resource's own constructor chain, in the program's folder (else in any non-library file).

    One walk up the frames (`f_back`), no `traceback.extract_stack()`, which formats every frame and cost
    about a millisecond per resource under components. The object under construction is the `self` of the
    SDK's `Resource.__init__`; frames of its own class constructors (a component's `__init__`) are skipped,
    so a component is placed at the program line that built it, its children at the lines inside it.
    """
    root = _source_root[0]
    fallback = None
    constructing = None
    frame: FrameType | None = sys._getframe(2)  # skip this function and its caller in this module
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        in_constructor = code.co_name in _CONSTRUCTORS
        if in_constructor and constructing is None:
            constructing = frame.f_locals.get("self")
        elif _is_user_file(filename) and not (in_constructor and frame.f_locals.get("self") is constructing):
            if root is None or filename.startswith(root):
                return filename, frame.f_lineno
            if fallback is None:
                fallback = (filename, frame.f_lineno)
        frame = frame.f_back
    return fallback


def _one_frame_stack_trace():
    from pulumi.runtime.proto import source_pb2

    position = program_position()
    if position is None:
        return source_pb2.StackTrace()
    uri = Path(position[0]).as_uri()
    return source_pb2.StackTrace(
        frames=[source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=uri, line=position[1]))]
    )


def install(source_root: str | None = None) -> bool:
    """Patch the SDK if its version is tested (the engine calls this before each run); True if patched.

    `wait_until_quiet` replaces the run loop's wait, and a one-frame walk replaces the SDK's stack trace
    capture: the source position the monitor reads then names the program's own line (relative to
    `source_root` when it is inside it). On an untested version nothing is patched, the SDK's own functions
    stay and positions come from the SDK's own (slower) stack trace.
    """
    from pulumi.runtime import resource, stack

    _ORIGINALS.setdefault("wait_for_rpcs", stack.wait_for_rpcs)
    _ORIGINALS.setdefault("_get_stack_trace", resource._get_stack_trace)
    _source_root[0] = source_root
    if not is_tested_version():
        uninstall()
        return False
    stack.wait_for_rpcs = wait_until_quiet
    resource._get_stack_trace = _one_frame_stack_trace
    return True


def uninstall() -> None:
    """Put the SDK's own functions back."""
    from pulumi.runtime import resource, stack

    if "wait_for_rpcs" in _ORIGINALS:
        stack.wait_for_rpcs = _ORIGINALS["wait_for_rpcs"]
        resource._get_stack_trace = _ORIGINALS["_get_stack_trace"]
