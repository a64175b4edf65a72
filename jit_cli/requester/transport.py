"""Bounded network behaviour of the requester commands: timeouts, retries, a cap on `Retry-After`, pages.

azure-core's defaults wait up to 300 s for a connection and for each read, retry 10 times with up to
120 s of backoff, obey any `Retry-After` in full (600 s, or a crash on `inf` and on text that is not a
date), and follow `nextLink` for as long as the service sends one. A person at a terminal (or a CI job)
needs an answer in seconds, so every one of those is bounded here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.policies import RetryPolicy


class CappedRetryPolicy(RetryPolicy):
    """azure-core's retry policy, with `Retry-After` capped and unreadable values ignored."""

    def __init__(self, retry_after_cap: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after_cap = retry_after_cap

    def get_retry_after(self, response: Any) -> float | None:
        """The server's `Retry-After` (or `retry-after-ms`) in seconds, at most `retry_after_cap`.

        `inf`, `nan`, negative numbers and text that is neither a number nor an HTTP date fall back to the
        exponential backoff (None) or the cap, never to an unbounded sleep or a crash.
        """
        try:
            value = super().get_retry_after(response)
        except (ValueError, OverflowError, TypeError):
            return None
        if value is None or math.isnan(value):
            return None
        return min(max(value, 0.0), self.retry_after_cap)


@dataclass(frozen=True)
class NetworkLimits:
    """How long and how often the requester commands wait for Azure."""

    connect_timeout: float = 10.0
    """Seconds to establish a connection."""
    read_timeout: float = 30.0
    """Seconds to wait for each read of an answer."""
    retries: int = 3
    """Retries of a failed call (429, 5xx, reset connection), after the first attempt."""
    backoff: float = 0.8
    """Seconds of the first exponential backoff between retries (doubled each time)."""
    backoff_max: float = 8.0
    """Longest backoff between two retries."""
    retry_after_cap: float = 10.0
    """Longest `Retry-After` obeyed; a longer one is waited this long."""
    operation_timeout: float = 120.0
    """Seconds one call may take with all its retries."""
    page_limit: int = 50
    """Pages of a list answer followed at most (`nextLink`): a service that pages forever is a fault."""

    def retry_policy(self) -> CappedRetryPolicy:
        """The retry policy for azure-core pipelines."""
        return CappedRetryPolicy(
            self.retry_after_cap,
            retry_total=self.retries,
            retry_connect=self.retries,
            retry_read=self.retries,
            retry_status=self.retries,
            retry_backoff_factor=self.backoff,
            retry_backoff_max=self.backoff_max,
            timeout=self.operation_timeout,
        )

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for an azure-core client: retry policy and transport timeouts."""
        return {
            "retry_policy": self.retry_policy(),
            "connection_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
        }

    def call_kwargs(self, remaining: float | None) -> dict[str, Any]:
        """Per-call keyword arguments that keep one call within `remaining` seconds (None: no deadline)."""
        if remaining is None:
            return {}
        budget = max(remaining, 0.5)
        return {
            "connection_timeout": min(self.connect_timeout, budget),
            "read_timeout": min(self.read_timeout, budget),
            "timeout": budget,
            "retry_total": 0,
        }
