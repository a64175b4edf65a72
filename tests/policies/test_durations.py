"""ISO 8601 durations for JIT's maxRequestAccessDuration."""

from datetime import timedelta

import pytest

from jit_guardrails.durations import describe, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT3H", timedelta(hours=3)),
        ("PT5M", timedelta(minutes=5)),
        ("P1D", timedelta(days=1)),
        ("PT1H30M", timedelta(minutes=90)),
        ("P0DT24H", timedelta(hours=24)),
        ("PT0.5H", timedelta(minutes=30)),
        ("PT1,5H", timedelta(minutes=90)),
        ("PT90S", timedelta(seconds=90)),
        ("P1W", timedelta(weeks=1)),
        ("P1Y", timedelta(days=365)),
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
        ("PT-3H", "unexpected '-'"),
        ("", "empty duration"),
        ("P1DT", "has no amount after 'T'"),
    ],
)
def test_invalid_durations_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match="use ISO 8601 such as PT30M, PT3H or P1D") as err:
        parse_duration(text)
    assert message in str(err.value)


def test_describe_is_short():
    assert [describe(timedelta(hours=3)), describe(timedelta(minutes=90)), describe(timedelta(days=2))] == [
        "3h",
        "1h30m",
        "2d",
    ]
