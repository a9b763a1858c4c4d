"""One delivery of an event to one target, and how each kind of target is delivered.

Lambda, Step Functions, SNS and SQS targets are delivered here, each kind by one small
function (where IAM checks belong: the function's resource policy for events.amazonaws.com,
the target's RoleArn, the topic or queue policy); log groups and buses stay with moto
(`target_kind` "moto"); any other kind is "unsupported", a recorded delivery failure.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Delivery:
    """One event sent to one target of one rule."""

    rule: str
    rule_arn: str
    target_id: str
    target: str
    kind: str
    payload: str
    event_id: str
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)
    rule_object: Any = field(default=None, repr=False)
    target_object: dict[str, Any] = field(default_factory=dict, repr=False)

    def record(self) -> dict[str, Any]:
        try:
            parsed: Any = json.loads(self.payload)
        except ValueError:
            parsed = self.payload
        return {
            "rule": self.rule,
            "rule_arn": self.rule_arn,
            "target_id": self.target_id,
            "target": self.target,
            "kind": self.kind,
            "input": parsed,
            "event_id": self.event_id,
            "error": self.error,
        }


def target_kind(arn: str) -> str:
    """lambda | states | sns | sqs (delivered here), moto (moto's own code) or unsupported."""
    parts = arn.split(":")
    service = parts[2] if len(parts) > 2 else ""
    resource = ":".join(parts[5:])
    if service == "lambda" and resource.startswith("function:"):
        return "lambda"
    if service == "states" and resource.startswith("stateMachine:"):
        return "states"
    if service in ("sns", "sqs"):
        return service
    if service == "logs" or service == "events":
        return "moto"
    return "unsupported"


def region_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[3], parts[4]


def _deliver_lambda(rule: Any, target: dict[str, Any], payload: str) -> None:
    """Asynchronous Invoke of the target function (InvocationType Event).

    Lambda accepts the event, so a function error is not a failed delivery: Lambda retries
    it and then sends it to the function's dead-letter queue or drops it (`lambda_async`).
    An unknown function is a failed delivery. On AWS this needs the function's resource-based
    policy to allow events.amazonaws.com (AWS::Lambda::Permission) for the rule: the IAM
    check belongs here.
    """
    from sagebuild.local.moto_ext import lambda_async

    try:
        json.loads(payload)
        body = payload
    except ValueError:
        body = json.dumps(payload)  # a text template: the function gets a JSON string
    lambda_async.invoke_async(target["Arn"], body)


def _deliver_state_machine(rule: Any, target: dict[str, Any], payload: str) -> None:
    """StartExecution of the target state machine with the payload as input.

    EventBridge starts it as the target's RoleArn, which must trust events.amazonaws.com and
    allow states:StartExecution on the machine (EventBridge User Guide, "Using resource-based
    policies": Step Functions targets need an IAM role); with the local stack's IAM on, both
    are checked and a refusal is a failed delivery.
    """
    from moto.stepfunctions.responses import get_backend

    from sagebuild.local.iam import principals
    from sagebuild.local.iam.enforcer import ENFORCER

    if ENFORCER.enabled:
        role_arn = str(target.get("RoleArn") or "")
        if not role_arn:
            raise PermissionError(f"target {target['Arn']} has no RoleArn to start it with")
        principals.assume(role_arn, "events.amazonaws.com", "EventBridge")
        ENFORCER.authorize_as_role(role_arn, "EventBridge", "states:StartExecution", target["Arn"])
    region, account = region_account(target["Arn"])
    backend: Any = get_backend(account, region)
    backend.start_execution(target["Arn"], None, payload)  # nameless: a UUID (stepfunctions)


def _deliver_sns(rule: Any, target: dict[str, Any], payload: str) -> None:
    """Publish the payload on the target topic.

    On AWS the topic policy must allow events.amazonaws.com sns:Publish: the check belongs here.
    """
    from moto.sns.models import sns_backends

    region, account = region_account(target["Arn"])
    sns_backends[account][region].publish(payload, arn=target["Arn"])


def _deliver_sqs(rule: Any, target: dict[str, Any], payload: str) -> None:
    """SendMessage of the payload to the target queue (MessageGroupId from SqsParameters).

    On AWS the queue policy must allow events.amazonaws.com sqs:SendMessage: the check belongs
    here. A FIFO queue without content-based deduplication refuses EventBridge's messages.
    """
    from moto.sqs.models import sqs_backends

    region, account = region_account(target["Arn"])
    name = target["Arn"].split(":")[5]
    backend = sqs_backends[account][region]
    group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
    if name.endswith(".fifo"):
        queue_ = backend.get_queue(name)
        if str(getattr(queue_, "content_based_deduplication", "false")).lower() != "true":
            raise RuntimeError(
                f"queue {name} is FIFO without content-based deduplication: EventBridge "
                "cannot send to it"
            )
        if not group_id:
            raise RuntimeError(f"FIFO queue {name} needs SqsParameters.MessageGroupId")
    backend.send_message(name, payload, group_id=group_id)


DELIVER: dict[str, Callable[[Any, dict[str, Any], str], None]] = {
    "lambda": _deliver_lambda,
    "states": _deliver_state_machine,
    "sns": _deliver_sns,
    "sqs": _deliver_sqs,
}
