"""Everything the skill says: fixed phrases and the builders that turn pipeline facts into speech.

Plain text only (no SSML); `skill.intents` escapes it before it reaches the response.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from skill.pipeline import Deployed, Metric, Outcome, Progress

SKILL_NAME = "Sage build"

WELCOME = (
    "Welcome to sage build. You can start a build, ask for its status, hear how the last build "
    "did, stop a running build, or roll back. What would you like to do?"
)
REPROMPT = "What would you like to do? You can say start a build, or what is the status."
HELP = (
    "Sage build trains and deploys your SageMaker model. Say start a build to train a new "
    "version, is my build done to hear where it is, give me details on the current job for "
    "when it started and how long it has run, how did the last build do for its result, "
    "stop the build to stop a running one, or roll back to version 3 to serve an earlier model. "
    "What would you like to do?"
)
GOODBYE = "Goodbye."
FALLBACK = (
    "Sorry, sage build can't help with that. You can start a build, ask for its status, hear "
    "how the last build did, stop a build, or roll back. What would you like to do?"
)
ERROR = "Sorry, something went wrong while talking to your pipeline. Please try again later."

NO_RUNS = "You haven't run any builds yet. Say start a build to train your first model."
LAUNCHED = (
    "OK, I've asked sage build to start a new build. It will train your model and deploy it. "
    "Ask me is my build done to follow it."
)
NOTHING_TO_STOP = "No build is running, so there is nothing to stop."
ROLLBACK_ONE_BACK = (
    "OK, I've asked sage build to roll the endpoint back to the previous version. "
    "You'll get a notification when it's done."
)
ROLLBACK_NO_ENDPOINT = (
    "There is no endpoint yet, so there is nothing to roll back. Say start a build to train "
    "and deploy your first version."
)
ROLLBACK_BAD_VERSION = (
    "I didn't catch a version number I can roll back to. Say roll back to version, then a "
    "number, like roll back to version 3."
)

_STATUS_WORDS = {
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "timed out",
    "ABORTED": "was stopped",
    "PENDING_REDRIVE": "failed",
}

# What a build is doing, for every state of statemachine/pipeline.asl.json, said as
# "Your build is <activity>." The skill ships as its own zip without the ASL, so it keeps this
# table; tests/unit/test_alexa_speech.py walks the ASL and fails when a state is missing here,
# or when a name here is no longer a state. A loop (Start → Wait → Poll → Done?) says one thing.
_PREPARING = "preparing the data"
_TRAINING_IMAGE = "building the training image"
_TUNING = "tuning the model"
_TRAINING = "training"
_INFERENCE_IMAGE = "building the inference image"
_DEPLOYING = "deploying to the endpoint"
_POSTPROCESSING = "post-processing"
_STARTING = "starting up"
_FINISHING = "finishing up"
_REPORTING_FAILURE = "reporting a failure"
_CLEANING_UP = "cleaning up after a failed deployment"

ACTIVITIES: dict[str, str] = {
    "Initialize": _STARTING,
    "Notify Started": _STARTING,
    "Run ETL?": "deciding whether to prepare the data",
    "Start ETL": _PREPARING,
    "Wait For ETL": _PREPARING,
    "Poll ETL": _PREPARING,
    "ETL Done?": _PREPARING,
    "ETL Failed": "reporting that preparing the data failed",
    "Train?": "deciding whether to train a new model",
    "Find Model Artifact": "finding the model artifact",
    "Build Training Image?": "deciding whether to build the training image",
    "Start Training Image Build": _TRAINING_IMAGE,
    "Wait For Training Image Build": _TRAINING_IMAGE,
    "Poll Training Image Build": _TRAINING_IMAGE,
    "Training Image Build Done?": _TRAINING_IMAGE,
    "Training Image Build Failed": "reporting that building the training image failed",
    "Tune?": "deciding whether to tune the model",
    "Start Tuning Job": _TUNING,
    "Wait For Tuning": _TUNING,
    "Poll Tuning Job": _TUNING,
    "Tuning Done?": _TUNING,
    "Tuning Failed": "reporting that tuning the model failed",
    "Start Training Job": _TRAINING,
    "Wait For Training": _TRAINING,
    "Poll Training Job": _TRAINING,
    "Training Done?": _TRAINING,
    "Training Failed": "reporting that training failed",
    "Quality Gate?": "deciding whether to check the model against the quality gate",
    "Check Quality Gate": "checking the model against the quality gate",
    "Build Inference Image?": "deciding whether to build the inference image",
    "Start Inference Image Build": _INFERENCE_IMAGE,
    "Wait For Inference Image Build": _INFERENCE_IMAGE,
    "Poll Inference Image Build": _INFERENCE_IMAGE,
    "Inference Image Build Done?": _INFERENCE_IMAGE,
    "Inference Image Build Failed": "reporting that building the inference image failed",
    "Create Model": "creating the model",
    "Deploy?": "deciding whether to deploy the model",
    "Approval?": "deciding whether the deployment needs approval",
    "Request Approval": "waiting for someone to approve the new version",
    "Create Endpoint Config": _DEPLOYING,
    "Deploy Endpoint": _DEPLOYING,
    "Wait For Endpoint": _DEPLOYING,
    "Poll Endpoint": _DEPLOYING,
    "Endpoint Done?": _DEPLOYING,
    "Endpoint Failed": _CLEANING_UP,
    "Verify Endpoint": "checking the endpoint",
    "Configure Autoscaling": "configuring autoscaling on the endpoint",
    "Clean Up Deploy": _CLEANING_UP,
    "Record Version": _FINISHING,
    "Run PostProcess?": "deciding whether to post-process",
    "Start PostProcess": _POSTPROCESSING,
    "Wait For PostProcess": _POSTPROCESSING,
    "Poll PostProcess": _POSTPROCESSING,
    "PostProcess Done?": _POSTPROCESSING,
    "PostProcess Failed": "reporting that post-processing failed",
    "Notify Succeeded": _FINISHING,
    "Run Succeeded": _FINISHING,
    "Notify Failed": _REPORTING_FAILURE,
    "Run Failed": _REPORTING_FAILURE,
}


def info(stack_name: str) -> str:
    return (
        f"Sage build runs continuous training and deployment for the stack {stack_name}. "
        "A build trains your model on SageMaker, deploys it to an endpoint, checks that the "
        "endpoint serves it, and notifies you. You can start a build, stop it, ask for its "
        "status, hear how the last build did, or roll back to an earlier version."
    )


def activity(state: str | None) -> str:
    """What a build is doing, from the name of the state it is in ("Wait For Training")."""
    if not state:
        return "running"
    known = ACTIVITIES.get(state)
    if known is not None:
        return known
    # A state this skill does not know yet (a newer state machine): its name, as a step.
    return f"at the step {state.rstrip('?').strip()}"


def ago(then: datetime, now: datetime) -> str:
    """How long ago, in words: "12 minutes ago", "2 hours and 5 minutes ago", "3 days ago"."""
    return f"{duration(then, now)} ago"


def duration(start: datetime, end: datetime) -> str:
    """How long from start to end: "12 minutes", "2 hours and 5 minutes", "3 days"."""
    seconds = max(0, int((end - _utc(start)).total_seconds()))
    if seconds < 60:
        return "less than a minute"
    minutes = seconds // 60
    if minutes < 60:
        return _count(minutes, "minute")
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        rest = f" and {_count(minutes, 'minute')}" if minutes else ""
        return f"{_count(hours, 'hour')}{rest}"
    return _count(hours // 24, "day")


def clock(then: datetime, now: datetime) -> str:
    """A start time for the ear, in UTC: "10:00 UTC", or "10:00 UTC on November 24"."""
    then = _utc(then).astimezone(UTC)
    day = "" if then.date() == now.astimezone(UTC).date() else f" on {then:%B} {then.day}"
    return f"{then:%H:%M} UTC{day}"


def _utc(moment: datetime) -> datetime:
    """An aware datetime (a naive one is UTC, as boto3 and moto give them)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _and(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _your_build(version: int | None, which: str = "", run_number: int | None = None) -> str:
    parts = [f"Your {which}build"]
    if run_number is not None:
        parts.append(f"run {run_number}")
    if version is not None:
        parts.append(f"version {version}")
    return ", ".join(parts) + ("," if len(parts) > 1 else "")


def running(progress: Progress, now: datetime) -> str:
    """ "Your build, version 4, is training. It started 12 minutes ago." """
    started = ago(progress.execution.started_at, now)
    build = _your_build(progress.version, run_number=progress.run_number)
    return f"{build} is {activity(progress.state)}. It started {started}."


def already_running(progress: Progress, now: datetime) -> str:
    return (
        f"A build is already running. {running(progress, now)} "
        "Say stop the build if you want to stop it first."
    )


def stopped(progress: Progress) -> str:
    build = _your_build(progress.version, run_number=progress.run_number)
    if not progress.work:
        return f"OK. {build} has been stopped."
    return f"OK. {build} has been stopped, and so has its {_and(list(progress.work))}."


def finished(outcome: Outcome, now: datetime) -> str:
    """ "Your last build, version 4, succeeded 2 hours ago." """
    execution = outcome.execution
    word = _STATUS_WORDS.get(execution.status, execution.status.lower().replace("_", " "))
    when = ago(execution.stopped_at or execution.started_at, now)
    return f"{_your_build(outcome.version, 'last ', outcome.run_number)} {word} {when}."


def status_finished(outcome: Outcome, now: datetime) -> str:
    return f"No build is running. {finished(outcome, now)}"


def last_build(outcome: Outcome, now: datetime, *, another_running: bool = False) -> str:
    """The last finished build: how it ended, its main metric, or why it failed."""
    parts = ["A build is running right now."] if another_running else []
    parts.append(finished(outcome, now))
    if outcome.execution.status == "SUCCEEDED":
        if outcome.metric is not None:
            parts.append(metric(outcome.metric))
        if outcome.endpoint_config:
            parts.append("It is deployed to your endpoint.")
    elif outcome.error or outcome.cause:
        parts.append(failure(outcome.error, outcome.cause))
    return " ".join(parts)


def metric(value: Metric) -> str:
    """ "Its validation rmse was 0.213." """
    return f"Its {spoken_name(value.name)} was {number(value.value)}."


def spoken_name(name: str) -> str:
    """A metric or error name as words: "validation:rmse" → "validation rmse"."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return " ".join(re.split(r"[:_\-./\s]+", words)).strip().lower()


def number(value: float) -> str:
    """A metric value rounded for the ear: three significant digits, no trailing zeros."""
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def failure(error: str, cause: str, limit: int = 160) -> str:
    """Why a build failed, short: the error name in words, then the cause's message."""
    reason = spoken_name(error) if error else "an error"
    message = _cause_message(cause)
    if not message:
        return f"The reason was {reason}."
    message = message.rstrip(".")
    if len(message) > limit:
        return f"The reason was {reason}: {message[:limit].rsplit(' ', 1)[0]}..."
    return f"The reason was {reason}: {message}."


def _cause_message(cause: str) -> str:
    try:
        parsed = json.loads(cause)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        for key in ("errorMessage", "Cause", "message"):
            message = parsed.get(key)
            if isinstance(message, str):
                return message.strip()
    return cause.strip()


def rollback_to(version: int) -> str:
    return (
        f"OK, I've asked sage build to roll the endpoint back to version {version}. "
        "You'll get a notification when it's done."
    )


def rollback_busy(progress: Progress, now: datetime) -> str:
    return (
        f"{running(progress, now)} Wait for it to finish, or say stop the build, "
        "before rolling back."
    )


def running_details(progress: Progress, now: datetime) -> str:
    """The running build's state, start time and elapsed time, then each job it runs.

    "Your build, run 4, is training. It started at 10:00 UTC and has been running for 12
    minutes. Its training job demo-r4-abc started at 10:01 UTC and has run for 11 minutes."
    """
    started = progress.execution.started_at
    build = _your_build(progress.version, run_number=progress.run_number)
    parts = [
        f"{build} is {activity(progress.state)}. It started at {clock(started, now)} and has "
        f"been running for {duration(started, now)}."
    ]
    for job in progress.jobs:
        named = f"Its {job.words} {job.name}" if job.name else f"Its {job.words}"
        if job.started_at is None:
            parts.append(f"{named} is in progress.")
        else:
            parts.append(
                f"{named} started at {clock(job.started_at, now)} and has run for "
                f"{duration(job.started_at, now)}."
            )
    return " ".join(parts)


def finished_details(outcome: Outcome, now: datetime) -> str:
    """The last build's outcome, start time and how long it ran (no build is running).

    "No build is running. Your last build, run 5, failed 2 minutes ago. It started at 10:00
    UTC and ran for 10 minutes."
    """
    started = outcome.execution.started_at
    ended = _utc(outcome.execution.stopped_at or now)
    return (
        f"No build is running. {finished(outcome, now)} It started at {clock(started, now)} "
        f"and ran for {duration(started, ended)}."
    )


def nothing_to_roll_back(deployed: Deployed, version: int | None) -> str | None:
    """Why a rollback has nothing to do, said at once (None: there is something to roll back to)."""
    if not deployed.endpoint_exists:
        return ROLLBACK_NO_ENDPOINT
    others = [v for v in deployed.versions if v != deployed.current]
    if version is not None:
        if version == deployed.current:
            return (
                f"The endpoint already serves version {version}, so there is nothing to roll back."
            )
        if version not in deployed.versions:
            return f"There is no version {version} to roll back to. {_can_roll_back_to(others)}"
        return None
    if deployed.rollback_target(None) is not None:
        return None
    if not others:
        only = f"Version {deployed.current}" if deployed.current is not None else "One version"
        return f"{only} is the only version deployed, so there is nothing to roll back to yet."
    return (
        f"The endpoint serves version {deployed.current}, the earliest there is, so there is "
        f"nothing to roll back to. {_can_roll_back_to(others)}"
    )


def _can_roll_back_to(versions: list[int]) -> str:
    if not versions:
        return "The endpoint has no other version to roll back to."
    words = [str(v) for v in sorted(versions)]
    if len(words) == 1:
        return f"You can roll back to version {words[0]}."
    return f"You can roll back to version {', '.join(words[:-1])} or {words[-1]}."
