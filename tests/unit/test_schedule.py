"""The poll schedule meets the orchestration-cost target (DESIGN.md, Targets)."""

import pytest
from domain import schedule


def test_first_polls_wait_the_floor():
    assert schedule.next_wait(0) == 30
    assert schedule.next_wait(299) == 30


def test_wait_grows_with_ten_percent_of_elapsed_time():
    assert schedule.next_wait(3600) == 360


def test_wait_is_capped():
    assert schedule.next_wait(30 * 24 * 3600) == schedule.CEILING_SECONDS


def test_local_floor_is_honoured_and_never_zero():
    assert schedule.next_wait(0, floor_seconds=1) == 1
    assert schedule.next_wait(0, floor_seconds=0) == 1


@pytest.mark.parametrize("duration", [10, 45, 300, 3600, 5 * 3600, 28 * 24 * 3600])
def test_a_finished_job_is_noticed_within_max_30s_or_10_percent(duration):
    assert schedule.detection_delay(duration) <= max(30, 0.1 * duration)


def test_reference_run_polls_far_less_than_the_original():
    # Original: 1 h training at 30 s, two 5-min builds at 5 s, 8-min endpoint at 10 s.
    original = 3600 / 30 + 2 * 300 / 5 + 480 / 10
    ours = schedule.polls_until(3600) + 2 * schedule.polls_until(300) + schedule.polls_until(480)
    assert ours <= 0.25 * original


def test_a_28_day_job_stays_far_below_the_history_limit():
    polls = schedule.polls_until(28 * 24 * 3600)
    events_per_poll = 3 * 2 + 3  # Wait, Task, Choice: entered/exited + Lambda scheduled/started/ok
    assert polls * events_per_poll < 25_000 / 10
