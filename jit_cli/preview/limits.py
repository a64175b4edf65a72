"""Time limits of `jit preview`: one for the whole run (`--timeout`) and one per policy call (`--policy-timeout`).

A program or policy that loops forever would otherwise hang a pull-request job until the CI kills it, with
no word on which policy hung. In the main thread the limits are a `SIGALRM` timer whose handler raises
`PreviewTimeout` where the code is stuck (pure-Python loops and sleeps are interrupted); a watchdog thread
ends the process with exit status 2 shortly after the whole-run limit in case the signal cannot get through
(a hang inside C code, or a run outside the main thread).
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

DEFAULT_TIMEOUT = 600.0
"""Seconds for the whole run: far above the dev stack's few seconds, far below a CI job's hour."""
DEFAULT_POLICY_TIMEOUT = 60.0
"""Seconds for one policy on one resource (or one stack policy on the stack)."""
HARD_STOP_GRACE = 5.0
"""Seconds after the whole-run limit when the watchdog ends the process if the signal did not get through."""


_REAL_EXIT = os._exit
"""Kept before `no_hard_exit` swaps it, for the watchdog."""


class PreviewTimeout(BaseException):
    """A time limit passed; a BaseException so a program's or policy's `except Exception` cannot swallow it."""


class HardExit(SystemExit):
    """A program or pack called `os._exit`, which would end the process with its own (possibly 0) status."""


@contextlib.contextmanager
def no_hard_exit() -> Iterator[None]:
    """Make `os._exit` raise `HardExit` (a `SystemExit`) meanwhile, so it is reported like `sys.exit`."""

    def refuse(code: int) -> None:
        raise HardExit(code)

    os._exit = refuse  # type: ignore[assignment]
    try:
        yield
    finally:
        os._exit = _REAL_EXIT


class TimeLimits:
    """The whole-run and per-policy limits of one `jit preview` run; use as a context manager."""

    def __init__(self, total: float, per_policy: float, *, hard_stop: bool = True) -> None:
        self.total = total
        self.per_policy = per_policy
        self.hard_stop = hard_stop
        self.phase = "starting"
        self._end = 0.0
        self._current: tuple[str, str, str | None, float] | None = None
        self._signals = False
        self._old_handler: Any = None
        self._watchdog: threading.Timer | None = None

    # --- arming ---------------------------------------------------------------------------------------------

    def __enter__(self) -> TimeLimits:
        self._end = time.monotonic() + self.total
        self._signals = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
        if self._signals:
            self._old_handler = signal.signal(signal.SIGALRM, self._on_alarm)
            self._arm(self.total)
        if self.hard_stop:
            self._watchdog = threading.Timer(self.total + HARD_STOP_GRACE, self._hard_stop)
            self._watchdog.daemon = True
            self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._signals:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old_handler)

    def _arm(self, seconds: float) -> None:
        if self._signals:
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def remaining(self) -> float:
        """Seconds left of the whole run."""
        return self._end - time.monotonic()

    # --- messages -------------------------------------------------------------------------------------------

    def _run_message(self) -> str:
        return (
            f"the preview did not finish within --timeout {self.total:g}s ({self.phase}); a program or policy "
            "may loop forever. Fix it, or raise --timeout if the stack is just large"
        )

    def _policy_message(self, pack: str, policy: str, urn: str | None) -> str:
        subject = f"resource {urn}" if urn else "the stack"
        return (
            f"policy '{policy}' of pack '{pack}' did not finish within --policy-timeout {self.per_policy:g}s on "
            f"{subject}; it may loop forever. Fix the policy, or raise --policy-timeout"
        )

    def _on_alarm(self, _signum: int, _frame: Any) -> None:
        current = self._current
        if current is not None and time.monotonic() >= current[3] and self.remaining() > 0:
            raise PreviewTimeout(self._policy_message(*current[:3]))
        raise PreviewTimeout(self._run_message())

    def _hard_stop(self) -> None:
        sys.stderr.write(f"error: {self._run_message()} (stopped by the watchdog)\n")
        sys.stderr.flush()
        _REAL_EXIT(2)

    # --- policies -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def policy(self, pack: str, policy: str, urn: str | None) -> Iterator[None]:
        """Run one policy call under the per-policy limit (and what is left of the whole run)."""
        self._current = (pack, policy, urn, time.monotonic() + self.per_policy)
        self._arm(min(self.per_policy, self.remaining()))
        try:
            yield
        finally:
            self._current = None
            self._arm(self.remaining())
        # A policy that ran past its limit without the signal getting through (C code, another thread).
        if time.monotonic() > self._end:
            raise PreviewTimeout(self._run_message())

    def timed_policy(self, policy: Any, pack: str) -> Any:
        """A shallow copy of `policy` whose `validate` runs under the per-policy limit."""
        validate: Callable[..., Any] | None = getattr(policy, "validate", None)
        if validate is None:
            return policy
        timed = copy.copy(policy)

        def run(args: Any, report_violation: Any) -> Any:
            with self.policy(pack, policy.name, getattr(args, "urn", None)):
                return validate(args, report_violation)

        timed.validate = run
        return timed
