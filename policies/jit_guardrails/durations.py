"""ISO 8601 durations (`PT3H`, `PT30M`, `P1D`) as JIT's `maxRequestAccessDuration` uses them.

A small tokenizer instead of a regular expression, so every rejection can say exactly what is wrong.
JIT accepts 5 minutes to 1 day (Microsoft.Security 2020-01-01 spec); years and months, which have no
fixed length, are counted as 365 and 30 days, far above that cap either way.
"""

from __future__ import annotations

from datetime import timedelta

JIT_MINIMUM = timedelta(minutes=5)
JIT_MAXIMUM = timedelta(hours=24)

_DATE_UNITS = {"Y": timedelta(days=365), "M": timedelta(days=30), "W": timedelta(weeks=1), "D": timedelta(days=1)}
_TIME_UNITS = {"H": timedelta(hours=1), "M": timedelta(minutes=1), "S": timedelta(seconds=1)}


def parse_duration(value: str) -> timedelta:
    """Parse an ISO 8601 duration; raise ValueError saying what is wrong and what a valid one looks like."""
    example = "use ISO 8601 such as PT30M, PT3H or P1D"
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"empty duration: {example}")
    text = value.strip()
    if text[0] != "P":
        hint = " (designators are upper case)" if text[0] == "p" else ""
        raise ValueError(f"'{value}' does not start with 'P'{hint}: {example}")
    total = timedelta()
    units = _DATE_UNITS
    last = -1  # position, in the current section's unit order, of the unit just read
    amounts = 0
    number = ""
    in_time, time_start = False, 0
    for char in text[1:]:
        if char in "0123456789" or (char in ".," and number and "." not in number):
            number += "." if char == "," else char
        elif char == "T" and not in_time and not number:
            in_time, units, last, time_start = True, _TIME_UNITS, -1, amounts
        elif char in units and number and not number.endswith("."):
            position = list(units).index(char)
            if position <= last:
                raise ValueError(f"'{value}': '{char}' is out of order or repeated: {example}")
            try:
                total += units[char] * float(number)
            except OverflowError:  # beyond timedelta's ~2.7 million years
                raise ValueError(f"'{value}': {number}{char} is far too long: {example}") from None
            last, number, amounts = position, "", amounts + 1
        else:
            raise ValueError(f"'{value}': unexpected '{char}': {example}")
    if number:
        raise ValueError(f"'{value}': the number {number} has no unit: {example}")
    if amounts == 0 or (in_time and amounts == time_start):
        raise ValueError(f"'{value}' has no amount after '{'T' if in_time else 'P'}': {example}")
    return total


def describe(duration: timedelta) -> str:
    """A short human form: `3h`, `1d`, `1h30m`, `45s`."""
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
