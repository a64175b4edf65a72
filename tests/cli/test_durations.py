"""Human and ISO 8601 durations for `jit request --duration`, and the policy's cap."""

from datetime import timedelta

import pytest

from azure_jit_access.cli.requester.durations import (
    check_duration_allowed,
    format_human_duration,
    format_iso_duration,
    parse_iso_duration,
    parse_request_duration,
)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("30m", "PT30M"),
        ("1h", "PT1H"),
        ("1h30m", "PT1H30M"),
        ("90m", "PT1H30M"),
        ("2H", "PT2H"),
        ("45min", "PT45M"),
        (" 1h 15m ", "PT1H15M"),
        ("PT2H", "PT2H"),
        ("pt45m", "PT45M"),
        ("PT1H30M", "PT1H30M"),
        ("PT300S", "PT5M"),
        ("P1D", "PT24H"),
        ("24h", "PT24H"),
        ("5m", "PT5M"),
    ],
)
def test_human_and_iso_durations_become_iso_8601(text, iso):
    assert format_iso_duration(parse_request_duration(text)) == iso


@pytest.mark.parametrize(
    "text", ["", "abc", "1.5h", "30", "h", "PT", "P", "P1Y", "P1M", "3 hours", "-1h", "1h30", "PT1.5H", "P99999999999D"]
)
def test_malformed_durations_name_the_flag_and_the_accepted_forms(text):
    with pytest.raises(ValueError) as caught:
        parse_request_duration(text)
    assert str(caught.value) == (
        f"--duration {text!r} is not a duration: write minutes and hours such as 30m, 1h, 1h30m, "
        "or ISO 8601 such as PT2H"
    )


@pytest.mark.parametrize("text", ["4m", "PT4M59S", "0m", "PT0S"])
def test_durations_under_five_minutes_are_refused(text):
    with pytest.raises(ValueError, match=r"shorter than 5 minutes, the shortest access JIT grants"):
        parse_request_duration(text)


@pytest.mark.parametrize("text", ["25h", "24h1m", "P2D", "PT25H"])
def test_durations_over_a_day_are_refused(text):
    with pytest.raises(ValueError, match=r"longer than 24 hours, the longest access JIT grants"):
        parse_request_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT3H", timedelta(hours=3)),
        ("P1D", timedelta(days=1)),
        ("PT1H30M", timedelta(minutes=90)),
        ("PT90S", timedelta(seconds=90)),
        ("P1DT2H", timedelta(hours=26)),
    ],
)
def test_policy_durations_are_parsed_as_azure_writes_them(text, expected):
    assert parse_iso_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "P1DT", "3h", "PT3X", "P1W", "PT1.5H", "PT0.5S", "P99999999999D"])
def test_not_iso_durations_are_refused(text):
    # One grammar with the component and the pack (rules/durations.py): whole units, fixed lengths only.
    with pytest.raises(ValueError, match="use ISO 8601 such as PT30M, PT3H"):
        parse_iso_duration(text)


@pytest.mark.parametrize(
    ("duration", "iso", "human"),
    [
        (timedelta(minutes=5), "PT5M", "5m"),
        (timedelta(hours=24), "PT24H", "1d"),
        (timedelta(hours=1, minutes=30), "PT1H30M", "1h30m"),
        (timedelta(hours=2, seconds=5), "PT2H5S", "2h"),
        (timedelta(seconds=30), "PT30S", "<1m"),
        (timedelta(days=2, hours=3), "PT51H", "2d3h"),
    ],
)
def test_durations_are_written_for_azure_and_for_people(duration, iso, human):
    assert format_iso_duration(duration) == iso
    assert format_human_duration(duration) == human


def test_a_duration_within_the_policy_cap_passes():
    check_duration_allowed(timedelta(hours=3), "PT3H", "port 22 of vm1")
    check_duration_allowed(timedelta(minutes=5), "PT5M", "port 22 of vm1")


def test_a_duration_over_the_policy_cap_says_what_the_policy_allows():
    with pytest.raises(ValueError) as caught:
        check_duration_allowed(timedelta(hours=3, minutes=1), "PT3H", "port 22 of vm1")
    assert str(caught.value) == (
        "--duration 3h1m is longer than the JIT policy allows for port 22 of vm1: at most 3h (PT3H); "
        "ask for --duration 3h or less"
    )


def test_a_policy_cap_outside_the_grammar_is_a_clean_error_not_a_traceback():
    # `PT1.5H` used to pass the component and the pack but crash `jit request`; now all three refuse it.
    with pytest.raises(
        ValueError, match=r"^the JIT policy for port 22 of vm1 has an unreadable maxRequestAccessDuration"
    ):
        check_duration_allowed(timedelta(hours=1), "PT1.5H", "port 22 of vm1")
