"""Which date folders an ingest run loads: its conf window, its data interval, or, for a run
triggered with no logical date (no data interval in Airflow 3), the day a scheduled run at
that moment would load."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kizuna.tasks import INGEST_CRON, default_day, window

TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_scheduled_run_loads_the_business_day_of_its_interval():
    # the run firing 2026-01-06 06:00 JST covers [01-05 06:00, 01-06 06:00) JST
    start = datetime(2026, 1, 5, 6, tzinfo=TOKYO).astimezone(UTC)
    end = datetime(2026, 1, 6, 6, tzinfo=TOKYO).astimezone(UTC)
    assert window(start, end, {}) == (date(2026, 1, 5), date(2026, 1, 6))


def test_the_conf_window_wins_over_the_interval_and_over_no_interval():
    conf = {"window_start": "2025-01-01", "window_end": "2026-10-01"}
    start = datetime(2026, 1, 4, 21, tzinfo=UTC)
    assert window(start, start + timedelta(days=1), conf) == (date(2025, 1, 1),
                                                              date(2026, 10, 1))
    assert window(None, None, conf, run_after=start) == (date(2025, 1, 1), date(2026, 10, 1))


def test_a_run_without_a_logical_date_loads_the_day_before_the_latest_morning_cutoff():
    after_cutoff = datetime(2026, 12, 3, 10, tzinfo=TOKYO)
    before_cutoff = datetime(2026, 12, 3, 3, tzinfo=TOKYO)  # 2 December is not due yet
    assert window(None, None, {}, run_after=after_cutoff) == (date(2026, 12, 2),
                                                              date(2026, 12, 3))
    assert window(None, None, None, run_after=before_cutoff) == (date(2026, 12, 1),
                                                                 date(2026, 12, 2))
    # the same instant, seen from UTC (Airflow's run_after is UTC): 01:00 UTC is 10:00 JST
    assert default_day(after_cutoff.astimezone(UTC)) == date(2026, 12, 2)


def test_window_start_alone_loads_from_it_to_the_default_end():
    run_after = datetime(2026, 12, 3, 10, tzinfo=TOKYO)
    assert window(None, None, {"window_start": "2026-11-01"}, run_after=run_after) == (
        date(2026, 11, 1), date(2026, 12, 3))


def test_the_default_day_follows_the_business_time_zone(monkeypatch):
    # 2026-12-02 20:00 UTC is 05:00 JST on 3 December (before the cutoff: 1 December)
    # but 15:00 in New York on 2 December (after the cutoff: 1 December as well) ...
    instant = datetime(2026, 12, 2, 20, tzinfo=UTC)
    assert default_day(instant) == date(2026, 12, 1)
    monkeypatch.setenv("KIZUNA_TIMEZONE", "America/New_York")
    assert default_day(instant) == date(2026, 12, 1)
    # ... and 22:00 UTC is 07:00 JST on 3 December (2 December) but 17:00 on 2 December in
    # New York (still 1 December there)
    later = datetime(2026, 12, 2, 22, tzinfo=UTC)
    assert default_day(later) == date(2026, 12, 1)
    monkeypatch.setenv("KIZUNA_TIMEZONE", "Asia/Tokyo")
    assert default_day(later) == date(2026, 12, 2)


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Europe/Berlin", "America/New_York",
                                  "America/Sao_Paulo"])
def test_the_default_is_the_day_airflow_infers_for_a_manual_run_of_the_schedule(
        zone, monkeypatch):
    """Every hour over both daylight-saving changes of 2026 (Tokyo has none): the default
    equals the data interval Airflow's own timetable infers for a run at that moment."""
    import pendulum
    from airflow.timetables.interval import CronDataIntervalTimetable

    monkeypatch.setenv("KIZUNA_TIMEZONE", zone)
    timetable = CronDataIntervalTimetable(INGEST_CRON, timezone=zone)
    for first in (datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC)):
        for hour in range(24 * 14):
            run_after = first + timedelta(hours=hour, minutes=30)
            interval = timetable.infer_manual_data_interval(
                run_after=pendulum.instance(run_after))
            expected = window(interval.start, interval.end, {})
            assert window(None, None, {}, run_after=run_after) == expected, run_after


def test_a_conf_date_that_is_not_a_date_says_how_to_write_it():
    with pytest.raises(ValueError, match=r"window_start='2025/01/01' is not a date: write it "
                                         r"as YYYY-MM-DD"):
        window(None, None, {"window_start": "2025/01/01", "window_end": "2025-02-01"})


def test_a_run_with_nothing_to_go_by_is_refused():
    with pytest.raises(ValueError, match="needs a data interval, a run_after time"):
        window(None, None, {})
