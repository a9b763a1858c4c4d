"""Custom::BucketNotification: new objects in the data bucket publish to the LaunchTopic.

Create/Update put our topic configuration beside whatever else the bucket notifies (the
original replaced the whole configuration); Delete removes only ours.

Properties: `BucketName`, `TopicArn`, `Id` (optional, default "sagebuild-launch").
Physical id: `<bucket>/<id>`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from domain.clients import client

from resources._helper import error_code, new_helper

logger = Logger()
helper = new_helper()

DEFAULT_ID = "sagebuild-launch"
EVENTS = ["s3:ObjectCreated:*"]
_CONFIG_KEYS = (
    "TopicConfigurations",
    "QueueConfigurations",
    "LambdaFunctionConfigurations",
    "EventBridgeConfiguration",
)


def _current(bucket: str) -> dict[str, Any]:
    response = client("s3").get_bucket_notification_configuration(Bucket=bucket)
    return {key: response[key] for key in _CONFIG_KEYS if key in response}


def _without(config: dict[str, Any], config_id: str) -> dict[str, Any]:
    topics = [t for t in config.get("TopicConfigurations", []) if t.get("Id") != config_id]
    result = {**config, "TopicConfigurations": topics}
    return {
        key: value for key, value in result.items() if value or key == "EventBridgeConfiguration"
    }


def put_notification(bucket: str, topic_arn: str, config_id: str = DEFAULT_ID) -> dict[str, Any]:
    """Add (or replace) our ObjectCreated → topic configuration; returns the new configuration.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html
    """
    config = _without(_current(bucket), config_id)
    ours = {"Id": config_id, "TopicArn": topic_arn, "Events": EVENTS}
    config["TopicConfigurations"] = [*config.get("TopicConfigurations", []), ours]
    client("s3").put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=config
    )
    return config


def remove_notification(bucket: str, config_id: str = DEFAULT_ID) -> bool:
    """Remove our configuration; False when the bucket or the configuration is already gone."""
    try:
        current = _current(bucket)
    except ClientError as error:
        if error_code(error) == "NoSuchBucket":
            return False
        raise
    remaining = _without(current, config_id)
    if remaining == {k: v for k, v in current.items() if v or k == "EventBridgeConfiguration"}:
        return False
    client("s3").put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=remaining
    )
    return True


def _properties(event: dict[str, Any]) -> tuple[str, str, str]:
    properties = event["ResourceProperties"]
    return (
        str(properties["BucketName"]),
        str(properties.get("TopicArn", "")),
        str(properties.get("Id") or DEFAULT_ID),
    )


@helper.create
@helper.update
def create(event: dict[str, Any], context: Any) -> str:
    bucket, topic_arn, config_id = _properties(event)
    put_notification(bucket, topic_arn, config_id)
    logger.info("bucket notification set", extra={"bucket": bucket, "topic": topic_arn})
    return f"{bucket}/{config_id}"


@helper.delete
def delete(event: dict[str, Any], context: Any) -> None:
    bucket, _, config_id = _properties(event)
    removed = remove_notification(bucket, config_id)
    logger.info("bucket notification removed", extra={"bucket": bucket, "was_there": removed})


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
