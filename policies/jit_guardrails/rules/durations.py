"""ISO 8601 durations as Azure reads them: one grammar for the component, the pack, the CLI and the workflow.

Grammar (the subset of xs:duration that means a fixed length of time):
    P [n D] [T [n H] [n M] [n S]]
with `n` one or more ASCII digits (no fractions, no sign), designators upper case and in this order, at least
one amount, and at least one amount after `T`. Years and months have no fixed length and weeks are not part
of xs:duration (which .NET's XmlConvert.ToTimeSpan, used across ARM, implements), so they are refused rather
than guessed; fractions (`PT1.5H`) are refused so that every tool reads the same value (write `PT90M`).
JIT's `maxRequestAccessDuration` must lie within PT5M..PT24H (Microsoft.Security 2020-01-01 spec).
"""

from __future__ import annotations

from datetime import timedelta

JIT_MINIMUM = timedelta(minutes=5)
"""The shortest `maxRequestAccessDuration` JIT accepts."""
JIT_MAXIMUM = timedelta(hours=24)
"""The longest `maxRequestAccessDuration` JIT accepts (Defender caps requests at one day)."""
PARSE_LIMIT = timedelta(days=3650)
"""Anything longer is refused while parsing, so absurd values give a ValueError instead of an OverflowError."""

EXAMPLES = "use ISO 8601 such as PT30M, PT3H, PT1H30M or P1D"
_DATE_UNITS = {"D": 86400}
_TIME_UNITS = {"H": 3600, "M": 60, "S": 1}
_MAX_DIGITS = 12


def parse_duration(value: object) -> timedelta:
    """Parse an ISO 8601 duration of days, hours, minutes and seconds.

    Raises:
        ValueError: saying what is wrong and what a valid duration looks like (never another exception).
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a duration: {EXAMPLES}")
    if value != value.strip():
        raise ValueError(f"{value!r} has blanks around it: {EXAMPLES}")
    text = value
    if text[0] != "P":
        hint = " (designators are upper case)" if text[0] == "p" else ""
        raise ValueError(f"'{value}' does not start with 'P'{hint}: {EXAMPLES}")
    seconds, amounts, number = 0, 0, ""
    units, order, in_time, time_amounts = _DATE_UNITS, -1, False, 0
    for char in text[1:]:
        if char in "0123456789":
            number += char
            if len(number) > _MAX_DIGITS:
                raise ValueError(f"'{value}' is far too long; JIT durations are at most PT24H: {EXAMPLES}")
        elif char == "T" and not in_time and not number:
            in_time, units, order, time_amounts = True, _TIME_UNITS, -1, amounts
        elif char in units and number:
            position = list(units).index(char)
            if position <= order:
                raise ValueError(f"'{value}': '{char}' is out of order or repeated: {EXAMPLES}")
            seconds += units[char] * int(number)
            order, number, amounts = position, "", amounts + 1
        else:
            raise ValueError(f"'{value}': unexpected {_describe_char(char, in_time)}: {EXAMPLES}")
    if number:
        raise ValueError(f"'{value}': the number {number} has no unit: {EXAMPLES}")
    if amounts == 0 or (in_time and amounts == time_amounts):
        raise ValueError(f"'{value}' has no amount after '{'T' if in_time else 'P'}': {EXAMPLES}")
    if seconds > PARSE_LIMIT.total_seconds():
        raise ValueError(f"'{value}' is far too long; JIT durations are at most PT24H: {EXAMPLES}")
    return timedelta(seconds=seconds)


def _describe_char(char: str, in_time: bool) -> str:
    if char in ".,":
        return "fraction (give whole units, e.g. PT90M instead of PT1.5H)"
    if char in "YW" or (char == "M" and not in_time):
        return f"'{char}' (years, months and weeks have no fixed length or are not xs:duration; use days or hours)"
    if char in "+-":
        return "sign (durations are positive)"
    return f"'{char}'"


def format_duration(duration: timedelta) -> str:
    """Write a duration the way Azure does: `PT1H30M`, `PT5M`, `PT24H` (hours, never days); `PT0S` for zero."""
    total = max(int(duration.total_seconds()), 0)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    return "PT" + (text or "0S")


def describe(duration: timedelta) -> str:
    """A short human form: `3h`, `1d`, `1h30m`, `45s`."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def jit_duration_problem(value: object) -> str | None:
    """Why `value` is not a `maxRequestAccessDuration` JIT accepts (PT5M..PT24H), or None when it is."""
    try:
        duration = parse_duration(value)
    except ValueError as err:
        return str(err)
    if not JIT_MINIMUM <= duration <= JIT_MAXIMUM:
        return f"'{value}' is {describe(duration)}, outside what JIT allows"
    return None


def whole_minutes(value: object) -> int:
    """Whole minutes of a duration (`PT3H` -> 180); a duration with leftover seconds is refused."""
    duration = parse_duration(value)
    seconds = int(duration.total_seconds())
    if seconds % 60:
        raise ValueError(f"'{value}' is not a whole number of minutes; use e.g. PT90M")
    return seconds // 60
