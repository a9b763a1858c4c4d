"""Rollback: move the endpoint back one version, or to the version named in the message.

Never raises on what a message says: a request it cannot do is refused with a notification
and, when the message itself is wrong, kept in the run table (`history --failed-triggers`).
The answer is one notification whose `outcome` attribute is `rolled_back` (the body is the
result as JSON) or `rollback_refused` (the body is the reason); `sagebuild rollback` waits for it.
"""

from __future__ import annotations

from typing import Any

from domain.naming import endpoint_name
from domain.notifications import publish, rollback_notification
from domain.rollback import Refused, RolledBack, answer
from domain.run_table import RunTable
from domain.settings import Settings

from handlers.common import aws, get_settings, logger, now
from handlers.envelopes import rollback_request


def _report(outcome: RolledBack | Refused, settings: Settings) -> None:
    if isinstance(outcome, Refused):
        if outcome.body:  # the message itself was wrong: keep it
            table = RunTable(aws, settings.run_table)
            table.add_failed("rollback", outcome.body, outcome.reason, now())
        logger.warning("rollback refused", extra={"reason": outcome.reason})
    publish(settings.status_topic_arn, rollback_notification(outcome, settings.stack_name), aws)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    settings = get_settings()
    endpoint = endpoint_name(settings.stack_name, settings.endpoint_name)
    outcome = answer(rollback_request(event), aws, settings.stack_name, endpoint)
    _report(outcome, settings)
    return outcome.as_dict()
