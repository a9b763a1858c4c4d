"""The Alexa status answer names every state of the pipeline ASL in words of its own.

The skill ships without statemachine/, so alexa/skill/speech.py keeps a table of the states;
these tests walk statemachine/pipeline.asl.json (every state, nested ones included) so a state
added, renamed or removed in the ASL fails here until the table says it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from helpers import load_asl
from skill import speech
from skill.pipeline import Execution, Progress

ASL = load_asl()
NOW = datetime(2025, 11, 26, 10, 12, tzinfo=UTC)


def _walk(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state, with those inside Parallel branches and Map item processors."""
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _walk(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _walk(processor["States"])


ALL_STATES = dict(_walk(ASL["States"]))
# "Your build, run 4, is <activity>. It started 12 minutes ago." with plain lowercase words.
SENTENCE = re.compile(r"Your build, run 4, is ([a-z][a-z' -]*[a-z])\. It started 12 minutes ago\.")


def _status_answer(state: str) -> str:
    execution = Execution("arn", "run-4", "RUNNING", NOW - timedelta(minutes=12))
    return speech.running(Progress(execution, None, state, run_number=4), NOW)


def test_the_walk_covers_every_kind_of_state_the_asl_has() -> None:
    kinds = {state["Type"] for state in ALL_STATES.values()}
    assert {"Task", "Choice", "Wait", "Pass", "Fail", "Succeed"} <= kinds


@pytest.mark.parametrize("name", sorted(ALL_STATES))
def test_the_status_answer_names_the_state_in_a_well_formed_sentence(name: str) -> None:
    sentence = _status_answer(name)
    match = SENTENCE.fullmatch(sentence)
    assert match, sentence
    activity = match.group(1)
    assert name in speech.ACTIVITIES, f"{name!r} falls back to the generic step phrase"
    assert not activity.startswith("at the step"), sentence
    assert "  " not in activity, sentence


def test_every_name_in_the_table_is_a_state_of_the_asl() -> None:
    stale = set(speech.ACTIVITIES) - set(ALL_STATES)
    assert stale == set()


@pytest.mark.parametrize(
    "name", sorted(n for n, s in ALL_STATES.items() if s["Type"] == "Wait" and "Next" in s)
)
def test_a_polling_loop_says_one_activity_from_wait_to_poll_to_done(name: str) -> None:
    poll = ALL_STATES[name]["Next"]
    done = ALL_STATES[poll]["Next"]
    starts = [n for n, s in ALL_STATES.items() if s.get("Next") == name]
    assert ALL_STATES[done]["Type"] == "Choice"
    loop = [*starts, name, poll, done]
    assert {speech.activity(n) for n in loop} == {speech.activity(name)}, loop


@pytest.mark.parametrize(
    "name", sorted(n for n, s in ALL_STATES.items() if s["Type"] == "Choice" and "Done" not in n)
)
def test_a_choice_between_steps_says_what_it_decides(name: str) -> None:
    assert speech.activity(name).startswith("deciding whether"), name


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, s in ALL_STATES.items()
        if s["Type"] == "Fail" or (s["Type"] == "Pass" and n.endswith("Failed"))
    ),
)
def test_a_failure_state_says_so(name: str) -> None:
    activity = speech.activity(name)
    assert "fail" in activity, (name, activity)


def test_an_unknown_state_is_still_said_as_a_step() -> None:
    assert _status_answer("Something New?") == (
        "Your build, run 4, is at the step Something New. It started 12 minutes ago."
    )
