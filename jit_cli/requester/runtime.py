"""The outside world of the requester commands, passed in so tests control it: time, output, credential.

`jit` builds the default `Runtime` (real clock, stdout/stderr, DefaultAzureCredential). Tests build one with
a fixed clock, captured output and a fixed-token credential; that seam is a function argument, so no flag
or environment variable can swap the credential of a real run.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TextIO

from azure_jit_access.cli.requester.client import Cloud, default_credential
from azure_jit_access.cli.requester.transport import NetworkLimits


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Runtime:
    """What a requester command needs from outside: all replaceable in tests."""

    credential_factory: Callable[[Cloud, str | None], Any] = default_credential
    """Builds the token credential for a cloud and optional tenant."""
    clock: Callable[[], datetime] = _utc_now
    """The current time, timezone-aware UTC (endTimeUtc is computed from it)."""
    sleep: Callable[[float], None] = time.sleep
    """Waits between polls of `--wait`."""
    monotonic: Callable[[], float] = time.monotonic
    """Seconds on a clock that only moves forward; `--wait-timeout` is measured on it."""
    limits: NetworkLimits = field(default_factory=NetworkLimits)
    """Timeouts, retries, the `Retry-After` cap and the page limit of every Azure call."""
    out: TextIO = field(default_factory=lambda: sys.stdout)
    """Where results go."""
    err: TextIO = field(default_factory=lambda: sys.stderr)
    """Where errors, progress and the spinner go."""
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    """Environment variables (AZURE_SUBSCRIPTION_ID, JIT_ARM_ENDPOINT, JIT_IP_LOOKUP_URL, AZURE_CONFIG_DIR)."""
    http_get: Callable[[str], str] | None = None
    """Fetches the IP lookup URL; None uses `requests`."""
    poll_interval: float = 5.0
    """Seconds between polls while waiting for Azure."""
    is_tty: bool | None = None
    """Whether `err` is a terminal (the spinner only draws on one); None asks `err.isatty()`."""

    def tty(self) -> bool:
        """True when progress may be drawn as a spinner."""
        if self.is_tty is not None:
            return self.is_tty
        isatty = getattr(self.err, "isatty", None)
        return bool(isatty and isatty())

    def now(self) -> datetime:
        """The clock's time, refused if it is not timezone-aware (endTimeUtc must be UTC)."""
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock returned a naive datetime; JIT times must be UTC")
        return moment.astimezone(timezone.utc)
