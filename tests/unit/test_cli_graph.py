"""The pipeline graph: Mermaid text, the standalone HTML/SVG page, a run's path from history."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sagebuild.cli_support import graph, runs

SMALL = {
    "StartAt": "Initialize",
    "States": {
        "Initialize": {
            "Type": "Task",
            "Resource": "arn:fn",
            "Next": "Train?",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Notify Failed"}],
        },
        "Train?": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.flags.train", "BooleanEquals": True, "Next": "Wait For Training"}
            ],
            "Default": "Notify Failed",
        },
        "Wait For Training": {
            "Type": "Wait",
            "SecondsPath": "$.training.wait_seconds",
            "Next": "Training Done?",
        },
        "Training Done?": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.training.status",
                    "StringEquals": "InProgress",
                    "Next": "Wait For Training",
                }
            ],
            "Default": "end",
        },
        "end": {"Type": "Succeed"},
        "Notify Failed": {"Type": "Task", "Resource": "arn:fn", "Next": "Run Failed"},
        "Run Failed": {"Type": "Fail"},
    },
}


def _event(kind: str, **details: object) -> dict:
    key = {
        "TaskStateEntered": "stateEnteredEventDetails",
        "ChoiceStateEntered": "stateEnteredEventDetails",
        "FailStateEntered": "stateEnteredEventDetails",
        "TaskStateExited": "stateExitedEventDetails",
        "ChoiceStateExited": "stateExitedEventDetails",
        "TaskFailed": "taskFailedEventDetails",
        "ExecutionFailed": "executionFailedEventDetails",
    }[kind]
    return {"type": kind, key: details}


FAILED_RUN = [
    _event("TaskStateEntered", name="Initialize", input="{}"),
    _event("TaskStateExited", name="Initialize", output=json.dumps({"run": {"version": 2}})),
    _event("ChoiceStateEntered", name="Train?"),
    _event("ChoiceStateExited", name="Train?"),
    _event("TaskStateEntered", name="Notify Failed"),
    _event("TaskFailed", error="Boom", cause="it broke"),
    _event("FailStateEntered", name="Run Failed"),
    _event("ExecutionFailed", error="Boom"),
]


def test_mermaid_is_a_top_down_flowchart_with_choice_diamonds_and_safe_ids():
    text = graph.to_mermaid(SMALL)
    assert text.startswith("flowchart TD\n")
    assert '    Train{"Train?"}' in text
    assert '    Initialize["Initialize"]' in text
    assert '    s_end(["end"])' in text  # a Mermaid keyword never becomes an id
    assert '    Wait_For_Training[/"Wait For Training"/]' in text
    assert '    Train -->|"flags.train = true"| Wait_For_Training' in text
    assert '    Train -->|"otherwise"| Notify_Failed' in text
    assert '    Initialize -.->|"error"| Notify_Failed' in text
    for line in text.splitlines()[1:]:
        ids = re.findall(r"^\s+(\S+?)[\[\{\(]", line)
        assert all(re.fullmatch(r"\w+", i) for i in ids)


def test_mermaid_colours_a_run_path_with_classes():
    path = runs.path_of(FAILED_RUN, "FAILED")
    text = graph.to_mermaid(SMALL, path)
    assert "classDef visited fill:#c8e6c9" in text
    assert "class Initialize,Train visited" in text
    assert "class Notify_Failed,Run_Failed failed" in text
    assert "current" not in text


def test_node_ids_are_unique_when_names_sanitise_alike():
    ids = graph.node_ids(["Run ETL?", "Run ETL!", "1st"])
    assert ids == {"Run ETL?": "Run_ETL", "Run ETL!": "Run_ETL_2", "1st": "s_1st"}


def test_html_is_standalone_with_an_svg_naming_every_state():
    page = graph.to_html(SMALL)
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "</svg>" in page
    for name in SMALL["States"]:
        assert f">{name}</text>" in page
    assert "<script" not in page
    assert not re.search(r"(src|href)=\"https?://", page)


def test_html_colours_visited_failed_and_current_states():
    path = runs.path_of(FAILED_RUN[:5], "RUNNING")  # still in Notify Failed
    page = graph.to_html(SMALL, path)
    visited_fill, _ = graph.COLOURS["visited"]
    current_fill, _ = graph.COLOURS["current"]
    assert re.search(r'data-state="Initialize">.*?fill="' + visited_fill, page)
    assert re.search(r'data-state="Notify Failed">.*?fill="' + current_fill, page)
    assert 'class="state idle" data-state="Run Failed"' in page
    failed = graph.to_html(SMALL, runs.path_of(FAILED_RUN, "FAILED"))
    assert 'class="state failed" data-state="Run Failed"' in failed
    assert 'class="edge edge-default taken"' in failed


def test_layout_puts_the_start_on_top_and_sets_loops_aside():
    laid = graph.layout(SMALL)
    assert laid.boxes["Initialize"].layer == 0
    assert laid.boxes["Run Failed"].layer > laid.boxes["Notify Failed"].layer
    assert ("Training Done?", "Wait For Training") in laid.back_edges
    assert all(box.x > 0 and box.y > 0 for box in laid.boxes.values())


def test_the_pipeline_asl_renders_both_ways():
    asl = json.loads(
        (Path(__file__).resolve().parents[2] / "statemachine/pipeline.asl.json").read_text()
    )
    assert graph.to_mermaid(asl).count('{"') == sum(
        1 for s in asl["States"].values() if s["Type"] == "Choice"
    )
    assert graph.to_html(asl).count('class="state ') == len(asl["States"])


def test_path_of_a_failed_run_marks_the_failing_task_and_the_fail_state():
    path = runs.path_of(FAILED_RUN, "FAILED")
    assert path.entered == ["Initialize", "Train?", "Notify Failed", "Run Failed"]
    assert path.failed == {"Notify Failed", "Run Failed"}
    assert path.current is None
    assert ("Train?", "Notify Failed") in path.edges


def test_state_document_is_the_latest_json_with_a_run_key():
    assert runs.state_document(FAILED_RUN) == {"run": {"version": 2}}
    assert runs.active_job({"training": {"status": "InProgress", "name": "j"}}) == (
        "training",
        {"status": "InProgress", "name": "j"},
    )
    assert runs.active_job({"training": {"status": "Completed"}}) is None
