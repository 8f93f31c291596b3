"""Calendar dates: a preset's month m is a calendar month (``about.first_month`` is month 1)."""

import pytest

import gpu_stress
from gpu_stress.config.load import ConfigError, firm_preset_names, load_config
from gpu_stress.results.dates import calendar_month, year_span


def test_month_m_is_the_calendar_month_m_minus_one_after_the_first():
    assert calendar_month("2025-07", 1) == "2025-07"
    assert calendar_month("2025-07", 6) == "2025-12" and calendar_month("2025-07", 7) == "2026-01"
    assert calendar_month("2025-07", 0) == "2025-06"  # month 0: the balance sheet's month
    assert calendar_month("2025-07", 68) == "2031-02"  # CoreWeave's 2031 notes, due 1 February 2031
    assert calendar_month(None, 5) is None
    assert year_span("2025-07", 1, 68) == ("2025-07", "2026-06")
    assert year_span("2025-07", 6, 68) == ("2030-07", "2031-02")  # the last year ends at the horizon


@pytest.mark.parametrize("name", firm_preset_names())
def test_every_preset_carries_its_as_of_date_and_first_month(name):
    about = load_config(preset=name).about
    assert (about.as_of, about.first_month) == ("2025-09-30", "2025-07")


def test_a_bad_date_is_one_line_naming_the_key():
    with pytest.raises(ConfigError, match=r"^about\.first_month: "):
        load_config(preset="lambda", overrides=['about.first_month="July 2025"'])


def test_the_bands_carry_each_months_date():
    results = gpu_stress.run(preset="lambda", paths=200, seed=1, backend="cpu", warn=False)
    bands = results.bands.to_pydict()
    for month, date in zip(bands["month"], bands["date"], strict=True):
        assert date == calendar_month("2025-07", month)
    undated = gpu_stress.run(preset="lambda", paths=200, seed=1, backend="cpu", warn=False, overrides=["about={}"])
    assert set(undated.bands["date"].to_pylist()) == {None}
