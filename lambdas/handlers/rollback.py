"""Rollback: move the endpoint back one version, or to the version named in the message."""

import json

from domain.errors import RollbackFailed
from domain.naming import endpoint_name
from domain.notifications import Notification, publish
from domain.rollback import roll_back

from handlers.common import aws, get_settings, logger


def _version(event: dict) -> int | None:
    for record in event.get("Records", []):
        try:
            message = json.loads(record["Sns"]["Message"])
        except (KeyError, ValueError):
            continue
        if isinstance(message, dict) and message.get("version") is not None:
            return int(message["version"])
    return event.get("version")


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    endpoint = endpoint_name(settings.stack_name, settings.endpoint_name)
    try:
        result = roll_back(aws, settings.stack_name, endpoint, _version(event))
    except RollbackFailed as error:  # a user's request we cannot do: say why, do not retry
        publish(
            settings.status_topic_arn,
            Notification(
                f"sagebuild {settings.stack_name}: rollback refused"[:100],
                str(error),
                {"stack": settings.stack_name, "outcome": "rollback_refused"},
            ),
            aws,
        )
        logger.warning("rollback refused", extra={"reason": str(error)})
        return {"endpoint": endpoint, "changed": False, "error": str(error)}
    subject = f"sagebuild {settings.stack_name}: rolled back to {result['to']}"[:100]
    publish(
        settings.status_topic_arn,
        Notification(
            subject,
            json.dumps(result, indent=1),
            {"stack": settings.stack_name, "outcome": "rolled_back"},
        ),
        aws,
    )
    return result
