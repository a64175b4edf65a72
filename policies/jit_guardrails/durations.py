"""ISO 8601 durations for the pack: re-exported from `rules.durations`, the one grammar every tool uses."""

from __future__ import annotations

from .rules.durations import JIT_MAXIMUM, JIT_MINIMUM, describe, format_duration, parse_duration

__all__ = ["JIT_MAXIMUM", "JIT_MINIMUM", "describe", "format_duration", "parse_duration"]
