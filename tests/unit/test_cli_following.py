"""Following a run (`sagebuild.cli_support.following`), as `sagebuild start --wait` and
`session.Stack` do it: finding the run a trigger started, following it until it ends, its
view and its timeline. Step Functions is a fake that plays a scripted run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sagebuild.cli_support import following
from sagebuild.cli_support.errors import UserError
from sagebuild.session import Stack

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
MACHINE = "arn:aws:states:us-east-1:1:stateMachine:m"
ARN = "arn:aws:states:us-east-1:1:execution:m:sns-1"


def _execution(name: str, started: datetime, status: str = "RUNNING") -> dict:
    return {
        "name": name,
        "executionArn": f"arn:aws:states:us-east-1:1:execution:m:{name}",
        "startDate": started,
        "status": status,
    }


def _entered(name: str, second: int) -> dict:
    return {
        "type": "TaskStateEntered",
        "timestamp": NOW + timedelta(seconds=second),
        "stateEnteredEventDetails": {"name": name},
    }


def _failed(second: int) -> dict:
    return {
        "type": "ExecutionFailed",
        "timestamp": NOW + timedelta(seconds=second),
        "executionFailedEventDetails": {"error": "TrainingFailed", "cause": "bad model"},
    }


class FakeSfn:
    """Step Functions playing a run: each DescribeExecution is the next (status, events) step
    (the last one repeats); ListExecutions plays `listings` the same way."""

    def __init__(self, steps: list[tuple[str, list[dict]]], listings: list[list[dict]] = ()):
        self.steps, self.listings, self.looks = steps, list(listings), 0
        self.events: list[dict] = []

    def describe_execution(self, executionArn: str) -> dict:  # noqa: N803 - boto3's spelling
        status, self.events = self.steps[min(self.looks, len(self.steps) - 1)]
        self.looks += 1
        described = {
            "name": executionArn.rsplit(":", 1)[-1],
            "executionArn": executionArn,
            "status": status,
            "startDate": NOW,
        }
        for event in self.events:  # an ended run's error and cause, as Step Functions says
            described.update(event.get("executionFailedEventDetails") or {})
        return described

    def get_execution_history(self, **kwargs) -> dict:
        return {"events": self.events}

    def list_executions(self, **kwargs) -> dict:
        page = self.listings.pop(0) if len(self.listings) > 1 else self.listings[0]
        return {"executions": page}


class FakeTarget:
    def __init__(self, sfn: FakeSfn) -> None:
        self.sfn = sfn

    def client(self, name: str) -> FakeSfn:
        return self.sfn

    def output(self, name: str) -> str:
        return MACHINE


A_RUN = [
    ("RUNNING", [_entered("Initialize Run", 0)]),
    ("RUNNING", [_entered("Initialize Run", 0), _entered("Start Training Job", 1)]),
    ("RUNNING", [_entered("Initialize Run", 0), _entered("Start Training Job", 1)]),
    (
        "FAILED",
        [
            _entered("Initialize Run", 0),
            _entered("Start Training Job", 1),
            _entered("Run Failed", 2),
            _failed(3),
        ],
    ),
]


# --- finding the run -----------------------------------------------------------------------


def test_find_run_finds_the_execution_named_after_the_message():
    message = "6D1F0C4A-1111-2222-3333-444455556666"
    sfn = FakeSfn(
        [],
        [
            [_execution("sns-other", NOW - timedelta(hours=1), "SUCCEEDED")],
            [_execution(f"sns-{message.lower()}", NOW + timedelta(seconds=1))],
        ],
    )
    found = following.find_run(sfn, MACHINE, message, NOW, timeout=5, poll=0)
    assert found.endswith(f":sns-{message.lower()}")


def test_find_run_accepts_a_coalesced_run_that_started_after_the_message():
    sfn = FakeSfn(
        [],
        [
            [
                _execution("sns-older", NOW - timedelta(minutes=5), "SUCCEEDED"),
                _execution("queued-someone-else", NOW + timedelta(seconds=3)),
            ]
        ],
    )
    found = following.find_run(sfn, MACHINE, "mine", NOW, timeout=5, poll=0)
    assert found.endswith(":queued-someone-else")


def test_find_run_says_once_that_the_message_waits_behind_an_older_run():
    older = _execution("sns-older", NOW - timedelta(minutes=5))
    mine = _execution("sns-mine", NOW + timedelta(minutes=6))
    sfn = FakeSfn([], [[older], [older], [older], [mine]])
    told: list[str] = []

    found = following.find_run(sfn, MACHINE, "mine", NOW, timeout=0, poll=0, on_queued=told.append)

    assert found.endswith(":sns-mine")
    assert told == ["sns-older"]


def test_find_run_gives_up_with_a_user_error_when_nothing_starts():
    sfn = FakeSfn([], [[_execution("sns-old", NOW - timedelta(hours=1), "SUCCEEDED")]])
    with pytest.raises(UserError, match="no run started for message m1"):
        following.find_run(sfn, MACHINE, "m1", NOW, timeout=0, poll=0)


def test_the_cli_finds_the_run_through_its_target():
    from sagebuild.cli import runs

    sfn = FakeSfn([], [[_execution("sns-m1", NOW)]])
    assert runs.find_run(FakeTarget(sfn), "m1", NOW, timeout=5, poll=0).endswith(":sns-m1")


def test_first_new_run_is_the_newest_execution_not_known():
    known = _execution("sns-known", NOW)
    sfn = FakeSfn([], [[known], [known, _execution("sns-new", NOW + timedelta(seconds=1))]])

    found = following.first_new_run(sfn, MACHINE, {known["executionArn"]}, timeout=5, poll=0)

    assert found.endswith(":sns-new")


def test_first_new_run_times_out_when_no_run_starts():
    sfn = FakeSfn([], [[]])
    with pytest.raises(TimeoutError, match="no run started"):
        following.first_new_run(sfn, MACHINE, set(), timeout=0, poll=0)


# --- following it --------------------------------------------------------------------------


def test_follow_looks_until_the_run_ends_and_the_last_look_has_ended():
    looks = list(following.follow(FakeSfn(A_RUN), ARN, interval=0))

    assert [look.status for look in looks] == ["RUNNING", "RUNNING", "RUNNING", "FAILED"]
    assert [look.ended for look in looks] == [False, False, False, True]
    assert looks[-1].path.entered == ["Initialize Run", "Start Training Job", "Run Failed"]


def test_follow_gives_up_with_a_timeout_error_on_a_run_that_keeps_running():
    sfn = FakeSfn([("RUNNING", [_entered("Wait For Training", 0)])])
    with pytest.raises(TimeoutError, match="run still RUNNING after 0 s"):
        list(following.follow(sfn, ARN, interval=0, timeout=0))


def test_states_entered_names_each_state_once_in_order():
    names = [name for name, _ in following.states_entered(following.follow(FakeSfn(A_RUN), ARN, 0))]
    assert names == ["Initialize Run", "Start Training Job", "Run Failed"]


def test_the_sessions_follow_yields_each_state_entered_with_its_time():
    stack = Stack({"StateMachine": MACHINE}, client=lambda name: sfn)
    sfn = FakeSfn(A_RUN)

    seen = list(stack.follow(ARN, timeout=60, poll=0))

    assert [name for name, _ in seen] == ["Initialize Run", "Start Training Job", "Run Failed"]
    assert all(seconds >= 0 for _, seconds in seen)


def test_the_sessions_wait_for_execution_is_the_first_new_run():
    sfn = FakeSfn([], [[_execution("sns-old", NOW)], [_execution("sns-new", NOW)]])
    stack = Stack({"StateMachine": MACHINE}, client=lambda name: sfn)

    found = stack.wait_for_execution({_execution("sns-old", NOW)["executionArn"]}, timeout=5)

    assert found.endswith(":sns-new")


# --- its view and timeline -----------------------------------------------------------------


def test_the_view_of_a_failed_run_names_its_path_failed_state_and_error():
    view = following.run_view(FakeTarget(FakeSfn(A_RUN[-1:])), ARN)

    assert view["run"] == "sns-1" and view["execution_arn"] == ARN
    assert view["status"] == "FAILED" and view["current_state"] is None
    assert view["path"] == ["Initialize Run", "Start Training Job", "Run Failed"]
    assert view["failed_states"] == ["Run Failed"]
    assert (view["error"], view["cause"]) == ("TrainingFailed", "bad model")


def test_the_view_of_a_running_run_names_its_current_state():
    view = following.run_view(FakeTarget(FakeSfn(A_RUN[1:2])), ARN)

    assert view["status"] == "RUNNING" and view["current_state"] == "Start Training Job"
    assert view["error"] == "" and view["failed_states"] == []


def test_the_timeline_shows_each_state_entered_and_the_failure():
    assert following.timeline(A_RUN[-1][1]).splitlines() == [
        "03:04:05 → Initialize Run",
        "03:04:06 → Start Training Job",
        "03:04:07 → Run Failed",
        "03:04:08 ✗ ExecutionFailed: TrainingFailed bad model",
    ]


# --- `sagebuild status --watch` ------------------------------------------------------------


@pytest.fixture
def watched(monkeypatch):
    """`sagebuild status` against a fake target playing the end of A_RUN (one look running,
    one second apart, then the failed one)."""
    from cli_patching import replace

    import sagebuild.cli as cli
    from sagebuild.cli import options

    target = FakeTarget(FakeSfn(A_RUN[2:]))
    replace(monkeypatch, options, "target_of", lambda ctx: target)
    return cli.app


def test_status_watch_in_a_log_prints_each_state_once_then_the_summary(watched):
    from typer.testing import CliRunner

    result = CliRunner().invoke(watched, ["status", "--run", ARN, "--watch"])

    assert result.exit_code == 1, result.output  # the run failed
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "following sns-1",
        "  → Initialize Run",
        "  → Start Training Job",
        "  → Run Failed",
    ]
    assert "TrainingFailed" in result.stdout


def test_status_watch_json_prints_only_the_final_view(watched):
    import json

    from typer.testing import CliRunner

    result = CliRunner().invoke(watched, ["status", "--run", ARN, "--watch", "--json"])

    assert result.exit_code == 1, result.output
    view = json.loads(result.stdout)
    assert view["status"] == "FAILED" and view["error"] == "TrainingFailed"
