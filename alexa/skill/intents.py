"""The skill's request and exception handlers: one class per intent, in dispatch order.

Each handler asks `skill.pipeline` for facts or actions and answers with `skill.speech`.

Stop and cancel: the original skill stopped the running *build* on AMAZON.StopIntent and
AMAZON.CancelIntent. Alexa sends those for any "stop" or "cancel", often only to leave a skill,
so here they end the session politely and touch nothing; stopping a build takes the explicit
StopBuildIntent ("stop the build").
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from ask_sdk_core.dispatch_components.exception_components import AbstractExceptionHandler
from ask_sdk_core.dispatch_components.request_components import (
    AbstractRequestHandler,
    AbstractRequestInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils.predicate import is_intent_name, is_request_type
from ask_sdk_core.utils.request_util import get_slot
from ask_sdk_model.intent_request import IntentRequest
from ask_sdk_model.response import Response
from ask_sdk_model.ui.simple_card import SimpleCard
from aws_lambda_powertools import Logger

from skill import speech
from skill.pipeline import Pipeline
from skill.settings import get_settings

logger = Logger(child=True)


def now() -> datetime:
    """The current time (tests replace it)."""
    return datetime.now(UTC)


def pipeline() -> Pipeline:
    """The stack's pipeline, from the settings (read on first use)."""
    settings = get_settings()
    return Pipeline(
        settings.state_machine_arn,
        settings.launch_topic_arn,
        settings.rollback_topic_arn,
        stack_name=settings.stack_name,
        endpoint_name=settings.endpoint_name,
    )


def intent_name(handler_input: HandlerInput) -> str | None:
    """The intent's name, or None for any other request."""
    request = handler_input.request_envelope.request
    if isinstance(request, IntentRequest) and request.intent is not None:
        return str(request.intent.name)
    return None


def request_type(handler_input: HandlerInput) -> str | None:
    request = handler_input.request_envelope.request
    return getattr(request, "object_type", None)


def answer(handler_input: HandlerInput, text: str, *, reprompt: str | None = None) -> Response:
    """Speak ``text`` and show it on a card; keep the session open only to ask something."""
    builder = handler_input.response_builder.speak(escape(text))
    builder.set_card(SimpleCard(speech.SKILL_NAME, text))
    if reprompt is not None:
        builder.ask(escape(reprompt))
    else:
        builder.set_should_end_session(True)
    return builder.response


class LaunchRequestHandler(AbstractRequestHandler):
    """ "Alexa, open sage build" and AMAZON.NavigateHomeIntent: the welcome."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("LaunchRequest")(handler_input) or is_intent_name(
            "AMAZON.NavigateHomeIntent"
        )(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return answer(handler_input, speech.WELCOME, reprompt=speech.REPROMPT)


class HelpIntentHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.HelpIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return answer(handler_input, speech.HELP, reprompt=speech.REPROMPT)


class StartBuildIntentHandler(AbstractRequestHandler):
    """Publish a launch message, unless a build is already running."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("StartBuildIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        stack = pipeline()
        latest = stack.latest_execution()
        if latest is not None and latest.running:
            return answer(handler_input, speech.already_running(stack.progress(latest), now()))
        message_id = stack.publish_launch(train=True)
        logger.info("launch requested", extra={"message_id": message_id})
        return answer(handler_input, speech.LAUNCHED)


class StopBuildIntentHandler(AbstractRequestHandler):
    """Stop the running execution, if any."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("StopBuildIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        stack = pipeline()
        latest = stack.latest_execution()
        if latest is None or not latest.running:
            return answer(handler_input, speech.NOTHING_TO_STOP)
        progress = stack.progress(latest)
        stack.stop(latest)
        logger.info("execution stopped", extra={"execution": latest.arn})
        return answer(handler_input, speech.stopped(progress))


class StatusIntentHandler(AbstractRequestHandler):
    """Where the latest build is, or how it ended."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("StatusIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        stack = pipeline()
        latest = stack.latest_execution()
        if latest is None:
            return answer(handler_input, speech.NO_RUNS)
        if latest.running:
            return answer(handler_input, speech.running(stack.progress(latest), now()))
        return answer(handler_input, speech.status_finished(stack.outcome(latest), now()))


class LastBuildIntentHandler(AbstractRequestHandler):
    """How the last finished build did: version, outcome, main metric or failure reason."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("LastBuildIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        stack = pipeline()
        latest = stack.latest_execution()
        if latest is None:
            return answer(handler_input, speech.NO_RUNS)
        finished = latest if not latest.running else stack.last_finished_execution()
        if finished is None:
            return answer(handler_input, speech.running(stack.progress(latest), now()))
        outcome = stack.outcome(finished)
        text = speech.last_build(outcome, now(), another_running=latest.running)
        return answer(handler_input, text)


class JobDetailsIntentHandler(AbstractRequestHandler):
    """The latest build's state, start time and elapsed time, and those of its running job."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("JobDetailsIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        stack = pipeline()
        latest = stack.latest_execution()
        if latest is None:
            return answer(handler_input, speech.NO_RUNS)
        if latest.running:
            return answer(handler_input, speech.running_details(stack.progress(latest), now()))
        return answer(handler_input, speech.finished_details(stack.outcome(latest), now()))


class InfoIntentHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("InfoIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return answer(handler_input, speech.info(get_settings().stack_name))


class RollbackIntentHandler(AbstractRequestHandler):
    """Publish a rollback message: to the spoken version, or one version back."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("RollbackIntent")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        slot = get_slot(handler_input, "Version")
        spoken = (slot.value or "").strip() if slot is not None else ""
        version: int | None = None
        if spoken:
            # "²" and other non-ASCII digits pass isdigit() but not int().
            if not (spoken.isascii() and spoken.isdigit()) or int(spoken) < 1:
                return answer(handler_input, speech.ROLLBACK_BAD_VERSION)
            version = int(spoken)
        stack = pipeline()
        latest = stack.latest_execution()
        if latest is not None and latest.running:
            return answer(handler_input, speech.rollback_busy(stack.progress(latest), now()))
        deployed = stack.deployed()
        refusal = speech.nothing_to_roll_back(deployed, version)
        if refusal is not None:
            logger.info("rollback not requested", extra={"version": version})
            return answer(handler_input, refusal)
        message_id = stack.publish_rollback(version)
        logger.info("rollback requested", extra={"message_id": message_id, "version": version})
        target = deployed.rollback_target(version)
        text = speech.ROLLBACK_ONE_BACK if target is None else speech.rollback_to(target)
        return answer(handler_input, text)


class StopOrCancelIntentHandler(AbstractRequestHandler):
    """AMAZON.StopIntent / AMAZON.CancelIntent: leave the skill; a running build goes on."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_intent_name("AMAZON.StopIntent")(handler_input) or is_intent_name(
            "AMAZON.CancelIntent"
        )(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        return answer(handler_input, speech.GOODBYE)


class FallbackIntentHandler(AbstractRequestHandler):
    """AMAZON.FallbackIntent and any intent this code does not know (an older model)."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("IntentRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        logger.info("unhandled intent", extra={"intent": intent_name(handler_input)})
        return answer(handler_input, speech.FALLBACK, reprompt=speech.REPROMPT)


class SessionEndedRequestHandler(AbstractRequestHandler):
    """The session closed (user left, timeout or error): log why, reply with nothing."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return is_request_type("SessionEndedRequest")(handler_input)

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        reason = getattr(request, "reason", None)
        error = getattr(request, "error", None)
        logger.info(
            "session ended",
            extra={
                "reason": getattr(reason, "value", reason),
                "error": getattr(error, "message", None),
            },
        )
        return handler_input.response_builder.response


class OtherRequestHandler(AbstractRequestHandler):
    """Any other request type (System.ExceptionEncountered, ...): log it, reply with nothing."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        logger.info("request ignored", extra={"request_type": request_type(handler_input)})
        return handler_input.response_builder.response


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """Any error in a handler (AWS, settings, ...): log it, say something went wrong."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        logger.exception(
            "alexa request failed",
            extra={"error_type": type(exception).__name__},
        )
        return answer(handler_input, speech.ERROR)


class LogRequestInterceptor(AbstractRequestInterceptor):
    """Log each request's type and intent as keys."""

    def process(self, handler_input: HandlerInput) -> None:
        keys = {"request_type": request_type(handler_input), "intent": intent_name(handler_input)}
        logger.info("alexa request", extra=keys)


# Dispatch order: the first handler whose can_handle is true answers.
REQUEST_HANDLERS: tuple[type[AbstractRequestHandler], ...] = (
    LaunchRequestHandler,
    HelpIntentHandler,
    StartBuildIntentHandler,
    StopBuildIntentHandler,
    StatusIntentHandler,
    LastBuildIntentHandler,
    JobDetailsIntentHandler,
    InfoIntentHandler,
    RollbackIntentHandler,
    StopOrCancelIntentHandler,
    SessionEndedRequestHandler,
    FallbackIntentHandler,
    OtherRequestHandler,
)
