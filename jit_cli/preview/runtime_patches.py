"""Two changes the engine makes to the SDK's program runtime, for speed; neither changes a result.

1. Waiting for a program to finish, in time linear in the number of outputs. When a program's
   top-level code returns, the Python SDK waits for every outstanding RPC and every pending `Output`
   task (`pulumi.runtime.stack.wait_for_rpcs`) with `asyncio.wait(..., FIRST_COMPLETED)` in a loop,
   which attaches a callback to every pending task each time a single one finishes: quadratic in the
   number of outputs, and the largest single cost of a 1000-VM preview once aliases are pruned.
   `wait_until_quiet` keeps the same contract (drain the RPC queue, re-raise the first failure, wait
   until no output task is left, repeat while new RPCs appear) but waits for each batch of tasks in
   one go, returning early only on an exception, so every task gets one callback per batch.

2. No stack trace per registration (see `install`).
"""

from __future__ import annotations

import asyncio

from pulumi.runtime import settings


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


def _no_stack_trace():
    from pulumi.runtime.proto import source_pb2

    return source_pb2.StackTrace()


def install() -> None:
    """Make the SDK's run loop use `wait_until_quiet` (the engine calls this before each run).

    It also stops the SDK from capturing a stack trace and source position for every registration
    (`traceback.extract_stack()`, about a millisecond per resource under components): the real engine
    uses them to point at the line of an error, the mock engine never reads them.
    """
    from pulumi.runtime import resource, stack

    stack.wait_for_rpcs = wait_until_quiet
    resource._get_stack_trace = _no_stack_trace
