"""Rollback: move the endpoint back one version, or to the version named in the message.

Never raises on what a message says: a request it cannot do is refused with a notification
and, when the message itself is wrong, kept in the run table (`history --failed-triggers`).
"""

import json

from domain.errors import RollbackFailed
from domain.naming import endpoint_name
from domain.notifications import Notification, publish
from domain.rollback import RollbackRequest, parse_rollback_event, roll_back
from domain.run_table import RunTable

from handlers.common import aws, get_settings, logger, now


def _refuse(reason: str, request: RollbackRequest | None) -> None:
    settings = get_settings()
    if request is not None and request.body:
        RunTable(aws, settings.run_table).add_failed("rollback", request.body, reason, now())
    publish(
        settings.status_topic_arn,
        Notification(
            f"sagebuild {settings.stack_name}: rollback refused"[:100],
            reason,
            {"stack": settings.stack_name, "outcome": "rollback_refused"},
        ),
        aws,
    )
    logger.warning("rollback refused", extra={"reason": reason})


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    endpoint = endpoint_name(settings.stack_name, settings.endpoint_name)
    request = parse_rollback_event(event)
    if request.problem:
        _refuse(request.problem, request)
        return {"endpoint": endpoint, "changed": False, "error": request.problem}
    try:
        result = roll_back(aws, settings.stack_name, endpoint, request.version)
    except RollbackFailed as error:  # a user's request we cannot do: say why, do not retry
        _refuse(str(error), None)
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
