"""Human and ISO 8601 durations for JIT requests (`30m`, `1h`, `1h30m`, `PT2H`).

JIT takes durations in ISO 8601 (`maxRequestAccessDuration`, PT5M..PT24H per the 2020-01-01 REST spec);
people type `30m`. Everything here is pure so the limits are tested directly.
"""

from __future__ import annotations

import re
from datetime import timedelta

from azure_jit_access.rules.durations import JIT_MAXIMUM, JIT_MINIMUM, format_duration, parse_duration

MIN_REQUEST = JIT_MINIMUM
"""The shortest access JIT grants (the spec's minimum for `maxRequestAccessDuration`)."""

MAX_REQUEST = JIT_MAXIMUM
"""The longest access JIT grants (the spec's maximum for `maxRequestAccessDuration`)."""

_HUMAN = re.compile(r"^(?:(?P<h>[0-9]{1,3})h)?(?:(?P<m>[0-9]{1,5})m(?:in)?)?$", re.IGNORECASE)

# One ISO 8601 grammar for every tool: the rules core's (`PT1.5H` is refused everywhere, with a hint).
parse_iso_duration = parse_duration
format_iso_duration = format_duration


def format_human_duration(duration: timedelta) -> str:
    """Write a duration for people: `1h30m`, `45m`, `2d3h` (rounded down to the minute, `<1m` below)."""
    total_minutes = int(duration.total_seconds()) // 60
    if total_minutes <= 0:
        return "<1m"
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return "".join(parts)


def parse_request_duration(text: str) -> timedelta:
    """Parse the `--duration` of a request: `30m`, `1h`, `1h30m`, `90m` or ISO 8601 (`PT2H`).

    The result is checked against JIT's own limits (5 minutes to 24 hours); the policy's cap is checked
    separately by `check_duration_allowed`, because only the policy knows it.

    Raises:
        ValueError: naming `--duration` and the accepted forms.
    """
    cleaned = text.strip().replace(" ", "")
    human = _HUMAN.match(cleaned)
    if cleaned and human and (human.group("h") or human.group("m")):
        duration = timedelta(hours=int(human.group("h") or 0), minutes=int(human.group("m") or 0))
    elif cleaned[:1].upper() == "P":
        try:
            # People type `pt45m`; the ISO grammar itself is the rules core's (upper-case designators).
            duration = parse_duration(cleaned.upper())
        except ValueError:
            duration = None
    else:
        duration = None
    if duration is None:
        raise ValueError(
            f"--duration {text!r} is not a duration: write minutes and hours such as 30m, 1h, 1h30m, "
            "or ISO 8601 such as PT2H"
        )
    if duration < MIN_REQUEST:
        raise ValueError(f"--duration {text!r} is shorter than 5 minutes, the shortest access JIT grants")
    if duration > MAX_REQUEST:
        raise ValueError(f"--duration {text!r} is longer than 24 hours, the longest access JIT grants")
    return duration


def check_duration_allowed(duration: timedelta, max_request_access_duration: str, where: str) -> None:
    """Refuse a duration above the policy's `maxRequestAccessDuration` for the port.

    Args:
        duration: the requested duration.
        max_request_access_duration: the port rule's cap as Azure returns it (ISO 8601).
        where: the port and VM, for the message (e.g. "port 22 of vm1").

    Raises:
        ValueError: saying what the policy allows.
    """
    try:
        cap = parse_duration(max_request_access_duration)
    except ValueError as err:
        raise ValueError(f"the JIT policy for {where} has an unreadable maxRequestAccessDuration: {err}") from None
    if duration > cap:
        raise ValueError(
            f"--duration {format_human_duration(duration)} is longer than the JIT policy allows for {where}: "
            f"at most {format_human_duration(cap)} ({max_request_access_duration}); ask for "
            f"--duration {format_human_duration(cap)} or less"
        )
