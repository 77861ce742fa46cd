"""The simulation's command line refuses numbers it cannot run with, each with a usage error that
names the argument, instead of failing (or running forever) later."""

import pytest

from bench.simulation import parse


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("--organisations", "0"),
        ("--replicas", "-1"),
        ("--day-seconds", "nan"),
        ("--day-seconds", "inf"),
        ("--day-seconds", "0"),
        ("--peak-rate", "-3"),
        ("--concurrency", "many"),
        ("--settle-seconds", "1e999"),
    ],
)
def test_a_number_it_cannot_run_with_is_a_usage_error_naming_it(
    argument: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse([argument, value])
    assert stopped.value.code == 2
    assert argument in capsys.readouterr().err


def test_the_defaults_and_the_quick_day_are_accepted() -> None:
    assert parse([]).organisations == 200
    quick = parse(["--quick"])
    assert (quick.organisations, quick.day_seconds, quick.verify) == (20, 48.0, 5)
