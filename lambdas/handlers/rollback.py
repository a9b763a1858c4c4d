"""Rollback: move the endpoint back one version, or to the version named in the message.

Never raises on what a message says: a request it cannot do is refused with a notification
and, when the message itself is wrong, kept in the run table (`history --failed-triggers`).
The answer is one notification whose `outcome` attribute is `rolled_back` (the body is the
result as JSON) or `rollback_refused` (the body is the reason); `sagebuild rollback` waits for it.
"""

import json

from domain.naming import endpoint_name
from domain.notifications import Notification, publish
from domain.rollback import Refused, RolledBack, answer
from domain.run_table import RunTable
from domain.settings import Settings

from handlers.common import aws, get_settings, logger, now
from handlers.envelopes import rollback_request


def _notification(outcome: RolledBack | Refused, stack: str) -> Notification:
    if isinstance(outcome, Refused):
        return Notification(
            f"sagebuild {stack}: rollback refused"[:100],
            outcome.reason,
            {"stack": stack, "outcome": "rollback_refused"},
        )
    return Notification(
        f"sagebuild {stack}: rolled back to {outcome.to_config}"[:100],
        json.dumps(outcome.as_dict(), indent=1),
        {"stack": stack, "outcome": "rolled_back"},
    )


def _report(outcome: RolledBack | Refused, settings: Settings) -> None:
    if isinstance(outcome, Refused):
        if outcome.body:  # the message itself was wrong: keep it
            table = RunTable(aws, settings.run_table)
            table.add_failed("rollback", outcome.body, outcome.reason, now())
        logger.warning("rollback refused", extra={"reason": outcome.reason})
    publish(settings.status_topic_arn, _notification(outcome, settings.stack_name), aws)


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    endpoint = endpoint_name(settings.stack_name, settings.endpoint_name)
    outcome = answer(rollback_request(event), aws, settings.stack_name, endpoint)
    _report(outcome, settings)
    return outcome.as_dict()
