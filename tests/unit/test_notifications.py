import json
from datetime import UTC, datetime

from asl_steps import run_document
from domain.notifications import MAX_BODY, build_notification
from domain.state import LaunchInput, RunState

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CHANGES = {
    "run": {
        "run_number": 9,
        "execution": "sns-1",
        "started_at": "2026-11-26T11:50:00+00:00",
        "trigger": {"source": "s3", "detail": "new data"},
    },
    "flags": {"deploy": True},
    "training": {
        "name": "demo-v4-abc",
        "status": "Completed",
        "metrics": [{"MetricName": "accuracy", "Value": 0.97}],
    },
    "model": {"name": "demo-v4-abc"},
    "deployment": {"endpoint_config": "demo-v4-abc", "status": "Completed", "version": 4},
}
STATE = RunState.from_dict(run_document(**CHANGES))


def state_with(**replaced: object) -> RunState:
    """STATE with whole records replaced, as the step that wrote them would leave them."""
    document = run_document(**CHANGES)
    for key, value in replaced.items():
        document[key] = {**document[key], **value} if key == "flags" else value
    return RunState.from_dict(document)


def test_success_subject_names_stack_run_number_version_and_outcome():
    note = build_notification("succeeded", STATE, "demo", "us-east-1", NOW)
    assert note.subject == "sagebuild demo run 9 v4: succeeded"
    assert "Version 4 is live." in note.body and "accuracy: 0.97" in note.body
    assert "Run: 9" in note.body and "Duration: 10 min 0 s" in note.body
    assert note.attributes == {
        "stack": "demo",
        "outcome": "succeeded",
        "run": "9",
        "version": "4",
        "execution": "sns-1",
    }


def test_failure_names_the_step_and_the_reason_from_the_lambda_error():
    state = state_with(
        deployment={"status": "NotStarted"},
        training={"name": "t", "status": "Failed", "metrics": []},
        error={
            "Error": "TrainingFailed",
            "Cause": json.dumps(
                {"errorMessage": "AlgorithmError: bad column", "errorType": "TrainingFailed"}
            ),
        },
    )
    note = build_notification("failed", state, "demo", "us-east-1", NOW)
    assert note.subject == "sagebuild demo run 9: FAILED"  # it never deployed: no version
    assert "Version: none" in note.body
    assert note.body.startswith("The run failed at training: AlgorithmError: bad column")
    assert note.attributes["error"] == "TrainingFailed"


def test_failure_before_initialize_still_notifies_without_a_version():
    state = LaunchInput.from_dict(
        {
            "trigger": {"source": "sns", "detail": "x"},
            "error": {"Error": "InvalidParameters", "Cause": "traininstancecount: bad"},
        }
    )
    note = build_notification("failed", state, "demo", "us-east-1", NOW)
    assert note.subject == "sagebuild demo run: FAILED"
    assert "at initialize: traininstancecount: bad" in note.body


def test_body_is_bounded():
    state = state_with(error={"Error": "X", "Cause": "y" * 100_000})
    note = build_notification("failed", state, "demo", "us-east-1", NOW)
    assert len(note.body.encode()) <= MAX_BODY


def test_approval_request_says_how_to_answer_and_when_it_times_out():
    state = state_with(approval={"timeout_seconds": 7200}, deployment={"status": "NotStarted"})
    note = build_notification("approval", state, "demo", "us-east-1", NOW)
    assert note.subject == "sagebuild demo run 9: waiting for approval"
    assert "The model of run 9 is trained and waits for your approval" in note.body
    assert "times out in 2 h" in note.body
    assert "sagebuild approve --stack demo" in note.body
    assert "sagebuild reject --stack demo" in note.body


def test_success_names_the_approver():
    state = state_with(approval={"approved": True, "by": "ana"})
    assert "Approved by: ana" in build_notification("succeeded", state, "demo", "", NOW).body


def test_approval_timeout_is_named_as_such():
    state = state_with(
        flags={"deploy": True, "approval": True},
        deployment={"status": "NotStarted"},
        error={"Error": "States.Timeout", "Cause": ""},
    )
    body = build_notification("failed", state, "demo", "", NOW).body
    assert body.startswith("The run failed at approval (nobody answered in time)")
