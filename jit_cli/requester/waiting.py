"""Polling Azure until a JIT request shows up, with a spinner on terminals only."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

from azure_jit_access.cli.requester.runtime import Runtime

T = TypeVar("T")

_FRAMES = "|/-\\"


def poll_until(check: Callable[[], T | None], runtime: Runtime, message: str, timeout: float) -> T | None:
    """Call `check` until it returns something other than None, or `timeout` seconds of polling pass.

    Args:
        check: one poll (e.g. a GET of the policy); returns the awaited value or None to go on.
        runtime: supplies sleep, the interval and the output stream.
        message: what we wait for, shown next to the spinner (or once, when not on a terminal).
        timeout: how long to keep polling, in seconds.

    Returns:
        The first value `check` returned, or None on timeout.
    """
    interval = max(runtime.poll_interval, 0.001)
    attempts = max(1, math.ceil(timeout / interval) + 1)
    spinner = runtime.tty()
    if not spinner:
        runtime.err.write(f"{message}...\n")
    try:
        for attempt in range(attempts):
            result = check()
            if result is not None:
                return result
            if attempt == attempts - 1:
                break
            if spinner:
                runtime.err.write(f"\r{_FRAMES[attempt % len(_FRAMES)]} {message}...")
                runtime.err.flush()
            runtime.sleep(interval)
        return None
    finally:
        if spinner:
            # Wipe the spinner line so the result starts on a clean line.
            runtime.err.write("\r" + " " * (len(message) + 5) + "\r")
            runtime.err.flush()
