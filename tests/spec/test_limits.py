"""``--max-time``: what it takes and what it refuses, word for word."""

from __future__ import annotations

import pytest

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.limits import parse_max_time


@pytest.mark.parametrize(
    ("value", "seconds"), [("0.5", 0.5), ("10", 10.0), (" 30s ", 30.0), ("1e-3", 0.001), (2, 2.0)]
)
def test_max_time_takes_seconds(value: object, seconds: float) -> None:
    assert parse_max_time(value) == seconds


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0", "'0'"),
        ("-1", "'-1'"),
        ("lots", "'lots'"),
        ("inf", "'inf'"),
        ("nan", "'nan'"),
        ("1e999", "'1e999'"),
        ("1_0", "'1_0'"),
        ("10min", "'10min'"),
        (True, "True"),
        (0.0, "0.0"),
    ],
)
def test_max_time_refuses_word_for_word(value: object, shown: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_max_time(value)
    assert str(error.value) == (
        f"--max-time must be a number of seconds greater than 0, e.g. 0.5, 10 or 120 (got {shown})"
    )


def test_max_time_refuses_an_int_too_long_to_print() -> None:
    with pytest.raises(SpecError) as error:
        parse_max_time(10**5000)
    assert str(error.value) == (
        "--max-time must be a number of seconds greater than 0, e.g. 0.5, 10 or 120 "
        "(got a number too long to show)"
    )
