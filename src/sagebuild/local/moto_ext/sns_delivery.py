"""SNS → Lambda deliveries carry the real message (replaces moto's canned SNS event).

moto's `LambdaBackend.send_sns_message` builds the Lambda event with a hard-coded MessageId
("95df01b4-…"), TopicArn "arn:aws:sns:EXAMPLE", a 1970 timestamp and fake attributes. The
launch handler names executions after the MessageId (so a redelivered message cannot start a
second run), which then collide. Here a Lambda subscription gets the event AWS sends: the
message's own id, topic ARN, subject, time and message attributes.

SNS invokes Lambda asynchronously: the delivery goes through `lambda_async.invoke_async`
(a function error is retried up to MaximumRetryAttempts, then the event goes to the
function's DeadLetterConfig target or is dropped), still before Publish returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.sns import models as sns_models

from sagebuild.local import patching
from sagebuild.local.moto_ext import lambda_async


def lambda_event(
    subscription: Any,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
) -> dict[str, Any]:
    """The SNS notification event Lambda receives for one message."""
    attributes = {
        name: {
            "Type": value.get("DataType", value.get("Type", "String")),
            "Value": value.get("StringValue", value.get("Value")),
        }
        for name, value in (message_attributes or {}).items()
    }
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription.arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": subscription.topic.arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                    "SignatureVersion": "1",
                    "Signature": "LOCAL",
                    "SigningCertUrl": "LOCAL",
                    "UnsubscribeUrl": "LOCAL",
                    "MessageAttributes": attributes,
                },
            }
        ]
    }


def install() -> Callable[[], None]:
    original = sns_models.Subscription.publish

    def publish(
        self: Any,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if self.protocol != "lambda" or (
            self._filter_policy_matcher is not None
            and not self._filter_policy_matcher.matches(message_attributes, message)
        ):
            return original(self, message, message_id, subject, message_attributes, *args, **kwargs)
        if kwargs.get("message_structure") == "json":
            message = self._parse_message_structure(message, self.protocol)

        event = lambda_event(self, message, message_id, subject, message_attributes)
        lambda_async.invoke_async(self.endpoint, json.dumps(event))
        return None

    return patching.install([(sns_models.Subscription, "publish", publish)])
