"""ISO 8601 durations: the one grammar the component, the pack, the CLI and the workflow config share.

Azure reads `maxRequestAccessDuration` as an xs:duration (PT5M..PT24H per the Microsoft.Security 2020-01-01
spec). Only fixed-length, whole-unit forms are accepted, so every tool reads the same value.
"""

from datetime import timedelta

import pytest

from azure_jit_access.rules.durations import (
    describe,
    format_duration,
    jit_duration_problem,
    parse_duration,
    whole_minutes,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT3H", timedelta(hours=3)),
        ("PT5M", timedelta(minutes=5)),
        ("P1D", timedelta(days=1)),
        ("PT1H30M", timedelta(minutes=90)),
        ("P0DT24H", timedelta(hours=24)),
        ("PT90S", timedelta(seconds=90)),
        ("PT300S", timedelta(minutes=5)),
    ],
)
def test_valid_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3h", "'3h' does not start with 'P'"),
        ("pt3h", "(designators are upper case)"),
        ("PT", "'PT' has no amount after 'T'"),
        ("P", "'P' has no amount after 'P'"),
        ("PT3", "the number 3 has no unit"),
        ("P3H", "unexpected 'H'"),
        ("PT3M2H", "'H' is out of order or repeated"),
        ("PT3H3H", "'H' is out of order or repeated"),
        ("PT-3H", "unexpected sign"),
        ("", "'' is not a duration"),
        ("P1DT", "has no amount after 'T'"),
        ("PT1.5H", "unexpected fraction (give whole units, e.g. PT90M instead of PT1.5H)"),
        ("PT0,5H", "unexpected fraction"),
        ("P1W", "unexpected 'W' (years, months and weeks"),
        ("P1Y", "unexpected 'Y'"),
        ("P1M", "unexpected 'M'"),
        (" PT3H", "has blanks around it"),
        ("PT²H", "unexpected '²'"),
        ("PT٣H", "unexpected '٣'"),
        ("P99999999999D", "far too long"),
        ("PT9999999999999H", "far too long"),
    ],
)
def test_invalid_durations_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match="PT30M, PT3H") as err:
        parse_duration(text)
    assert message in str(err.value)


@pytest.mark.parametrize("value", [None, 3, 1.5, ["PT3H"]])
def test_non_strings_are_a_value_error(value):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("PT5M", None),
        ("PT24H", None),
        ("P1D", None),
        ("PT4M59S", "'PT4M59S' is 4m59s, outside what JIT allows"),
        ("PT24H1S", "'PT24H1S' is 1d1s, outside what JIT allows"),
        ("P2D", "'P2D' is 2d, outside what JIT allows"),
    ],
)
def test_jit_accepts_five_minutes_to_a_day(value, problem):
    assert jit_duration_problem(value) == problem


def test_format_writes_hours_like_azure_and_round_trips():
    assert [format_duration(timedelta(minutes=m)) for m in (5, 90, 1440, 0)] == ["PT5M", "PT1H30M", "PT24H", "PT0S"]
    for minutes in range(5, 1441, 37):
        assert parse_duration(format_duration(timedelta(minutes=minutes))) == timedelta(minutes=minutes)


def test_whole_minutes():
    assert whole_minutes("PT3H") == 180
    with pytest.raises(ValueError, match="not a whole number of minutes"):
        whole_minutes("PT90S")


def test_describe_is_short():
    assert [describe(timedelta(hours=3)), describe(timedelta(minutes=90)), describe(timedelta(days=2))] == [
        "3h",
        "1h30m",
        "2d",
    ]
