"""Notify Started / Succeeded / Failed: publish on the TrainStatusTopic.

At the end of a run it also asks Launch to start what was queued meanwhile (drain).
"""

import json

from domain.notifications import build_notification, publish

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    settings = get_settings()
    kind, state = event["kind"], event.get("state") or {}
    message_id = publish(
        settings.status_topic_arn,
        build_notification(kind, state, settings.stack_name, settings.region, now()),
        aws,
    )
    if kind in ("succeeded", "failed") and settings.launch_topic_arn:
        finished = (state.get("run") or {}).get("execution_arn", "")
        aws("sns").publish(
            TopicArn=settings.launch_topic_arn,
            Message=json.dumps({"sagebuild": "drain", "finished_execution": finished}),
        )
    logger.info("notification sent", extra={"kind": kind, "message_id": message_id})
    return {"message_id": message_id}
