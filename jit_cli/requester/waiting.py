"""Polling Azure until a JIT request shows up, with a spinner on terminals only.

The wait is measured on a monotonic clock and every poll gets only the time that is left, so
`--wait-timeout 10` ends after about 10 seconds even when Azure answers slowly or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from azure_jit_access.cli.requester.runtime import Runtime

T = TypeVar("T")

_FRAMES = "|/-\\"


def poll_until(check: Callable[[float], T | None], runtime: Runtime, message: str, timeout: float) -> T | None:
    """Call `check` until it returns something other than None, or `timeout` seconds pass.

    Args:
        check: one poll (e.g. a GET of the policy), given the seconds left; returns the awaited value or None.
        runtime: supplies the monotonic clock, sleep, the interval and the output stream.
        message: what we wait for, shown next to the spinner (or once, when not on a terminal).
        timeout: how long to keep polling, in seconds.

    Returns:
        The first value `check` returned, or None on timeout.
    """
    interval = max(runtime.poll_interval, 0.001)
    deadline = runtime.monotonic() + timeout
    spinner = runtime.tty()
    if not spinner:
        runtime.err.write(f"{message}...\n")
    try:
        attempt = 0
        while True:
            result = check(max(deadline - runtime.monotonic(), 0.0))
            if result is not None:
                return result
            remaining = deadline - runtime.monotonic()
            if remaining <= 0:
                return None
            if spinner:
                runtime.err.write(f"\r{_FRAMES[attempt % len(_FRAMES)]} {message}...")
                runtime.err.flush()
            runtime.sleep(min(interval, remaining))
            attempt += 1
    finally:
        if spinner:
            # Wipe the spinner line so the result starts on a clean line.
            runtime.err.write("\r" + " " * (len(message) + 5) + "\r")
            runtime.err.flush()
