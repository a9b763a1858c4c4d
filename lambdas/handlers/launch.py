"""Launch: record each trigger once (LaunchTopic message, S3 upload, push, schedule), start runs."""

from typing import Any

from domain.aws import read_json_parameter
from domain.errors import InvalidParameters
from domain.launch import Kind, Outcome, OverrideCheck, launch
from domain.notifications import publish, queued_notification, rejected_notification
from domain.run_table import RunTable
from domain.settings import Settings

from handlers.common import aws, get_settings, logger, now
from handlers.envelopes import launch_items


def _override_check(settings: Settings) -> OverrideCheck:
    """Overrides against the schema, over the stored document (read once, when needed)."""
    stored: list[dict[str, Any] | None] = []

    def check(overrides: dict[str, Any]) -> list[str]:
        from domain.config import override_problems

        if not overrides:
            return []
        if not stored:
            try:
                stored.append(read_json_parameter(aws, settings.parameter_name))
            except (ValueError, InvalidParameters):  # Initialize names a broken document
                stored.append(None)
        document = stored[0]
        if document is None:
            return []
        return override_problems(document, overrides, settings.config_framework)

    return check


def _report(outcomes: list[Outcome], settings: Settings) -> None:
    """Queued and rejected triggers are told on the status topic; duplicates only logged."""
    queued = [o.detail for o in outcomes if o.kind is Kind.QUEUED]
    rejected = [o.detail for o in outcomes if o.kind is Kind.REJECTED]
    for outcome in outcomes:
        if outcome.kind is Kind.DUPLICATE:
            logger.info("duplicate delivery ignored", extra={"trigger_id": outcome.trigger_id})
    if queued:
        publish(settings.status_topic_arn, queued_notification(queued, settings.stack_name), aws)
    if rejected:
        notification = rejected_notification(rejected, settings.stack_name)
        publish(settings.status_topic_arn, notification, aws)
        logger.warning("trigger rejected", extra={"reasons": rejected})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    settings = get_settings()
    outcomes = launch(
        launch_items(event),
        RunTable(aws, settings.run_table),
        aws,
        settings.state_machine_arn,
        now(),
        check=_override_check(settings),
    )
    _report(outcomes, settings)
    lines = [outcome.line() for outcome in outcomes]
    logger.info("launch", extra={"outcomes": lines})
    return {"outcomes": lines}
