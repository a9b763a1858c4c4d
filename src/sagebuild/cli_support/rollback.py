"""`sagebuild rollback`: publish the request, then wait for what the RollbackFunction did.

The function answers every request with one notification on the TrainStatusTopic whose
`outcome` attribute is `rolled_back` (the body is the result as JSON: `from`, `to`, `version`,
`changed`) or `rollback_refused` (the body is the reason). `Inbox` is a temporary SQS queue
subscribed to the topic before the request is published, so the answer cannot be missed; after
`rolled_back` the endpoint is watched until it serves the config rolled back to.

Where the caller may not create a queue (the notebook role may subscribe but not create
queues), `watch_endpoint` is the fallback: it sees a rollback done, never a refusal.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sagebuild.cli_support.aws import Target
from sagebuild.cli_support.errors import UserError
from sagebuild.session import topic_queue_policy

OUTCOMES = ("rolled_back", "rollback_refused")
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed")


@dataclass(frozen=True)
class Outcome:
    """What became of one rollback request."""

    done: bool
    config: str = ""  # the endpoint config served after it
    version: int | None = None
    changed: bool = True
    reason: str = ""  # why not
    failed: bool = False  # not done: SageMaker could not do the update (else: refused)

    def text(self) -> str:
        if not self.done:
            return f"rollback {'failed' if self.failed else 'refused'}: {self.reason}"
        shown = f"v{self.version}" if self.version is not None else "the previous version"
        if not self.changed:
            return f"the endpoint already serves {shown} (endpoint config {self.config})"
        return f"rolled back to {shown} (endpoint config {self.config})"


def version_of(config: str) -> int | None:
    from sagebuild.cli_support import domain

    found = domain.naming().version_of(config)
    return int(found) if found is not None else None


def outcome_of(notification: dict[str, Any]) -> Outcome | None:
    """The outcome an SNS envelope (as SQS got it) tells, or None for other notifications."""
    attribute = (notification.get("MessageAttributes") or {}).get("outcome") or {}
    kind = attribute.get("Value") or attribute.get("StringValue")
    if kind not in OUTCOMES:
        return None
    text = str(notification.get("Message") or "")
    if kind == "rollback_refused":
        return Outcome(done=False, reason=" ".join(text.split()))
    try:
        result = json.loads(text)
    except ValueError:
        result = {}
    result = result if isinstance(result, dict) else {}
    config = str(result.get("to") or "")
    version = result.get("version")
    return Outcome(
        done=True,
        config=config,
        version=version if isinstance(version, int) else version_of(config),
        changed=bool(result.get("changed", True)),
    )


class Inbox:
    """A temporary SQS queue subscribed to the TrainStatusTopic; `close` removes both."""

    def __init__(self, target: Target) -> None:
        self.sqs, self.sns = target.client("sqs"), target.client("sns")
        self.topic = target.output("TrainStatusTopic")
        name = f"sagebuild-rollback-{uuid.uuid4().hex[:12]}"
        self.url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.subscription = ""
        try:
            self.arn = self.sqs.get_queue_attributes(
                QueueUrl=self.url, AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
            policy = topic_queue_policy(self.arn, self.topic)
            self.sqs.set_queue_attributes(
                QueueUrl=self.url, Attributes={"Policy": json.dumps(policy)}
            )
            self.subscription = self.sns.subscribe(
                TopicArn=self.topic, Protocol="sqs", Endpoint=self.arn, ReturnSubscriptionArn=True
            )["SubscriptionArn"]
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        from botocore.exceptions import ClientError

        try:
            if self.subscription:
                self.sns.unsubscribe(SubscriptionArn=self.subscription)
        finally:
            with contextlib.suppress(ClientError):  # already gone
                self.sqs.delete_queue(QueueUrl=self.url)

    def notifications(self) -> list[dict[str, Any]]:
        found = []
        messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
        for message in messages.get("Messages", []):
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            try:
                found.append(json.loads(message["Body"]))
            except ValueError:
                continue
        return found

    def wait(self, deadline: float, poll: float = 0.5) -> Outcome:
        """The first rollback outcome to arrive before `deadline` (time.monotonic)."""
        while True:
            for notification in self.notifications():
                outcome = outcome_of(notification)
                if outcome is not None:
                    return outcome
            if time.monotonic() > deadline:
                raise UserError(
                    "no answer from the rollback function in time (see the TrainStatusTopic "
                    "notifications, or: sagebuild history --failed-triggers)"
                )
            time.sleep(poll)


def _endpoint(target: Target) -> dict[str, Any]:
    described: dict[str, Any] = target.client("sagemaker").describe_endpoint(
        EndpointName=target.output("SageMakerEndpoint")
    )
    return described


def serving(target: Target) -> str:
    """The endpoint config the endpoint serves now ('' when there is no endpoint)."""
    from botocore.exceptions import ClientError

    try:
        return str(_endpoint(target).get("EndpointConfigName") or "")
    except ClientError:
        return ""


def settle(target: Target, outcome: Outcome, deadline: float, poll: float = 1.0) -> Outcome:
    """After `rolled_back`: wait until the endpoint is InService on the config rolled back to
    (an update SageMaker could not do leaves it on the old one, or Failed)."""
    if not outcome.done or not outcome.changed:
        return outcome
    while True:
        described = _endpoint(target)
        status = described.get("EndpointStatus", "")
        config = described.get("EndpointConfigName", "")
        if status not in BUSY:
            if status == "InService" and config == outcome.config:
                return outcome
            reason = described.get("FailureReason") or f"it is {status} on {config}"
            return Outcome(
                done=False,
                config=config,
                reason=f"the endpoint update to {outcome.config} did not happen: {reason}",
                failed=True,
            )
        if time.monotonic() > deadline:
            raise UserError(
                f"the endpoint is still {status} after the rollback to {outcome.config} "
                "(check again with: sagebuild status)"
            )
        time.sleep(poll)


def watch_endpoint(target: Target, before: str, deadline: float, poll: float = 1.0) -> Outcome:
    """Without an inbox: wait until the endpoint serves another config than `before`."""
    while True:
        described = _endpoint(target)
        config = described.get("EndpointConfigName", "")
        if config != before and described.get("EndpointStatus") == "InService":
            return Outcome(done=True, config=config, version=version_of(config))
        if time.monotonic() > deadline:
            raise UserError(
                f"the endpoint still serves {before}: the rollback was refused or is not done "
                "yet (see the TrainStatusTopic notifications)"
            )
        time.sleep(poll)


def request_and_wait(
    target: Target,
    publish: Callable[[], str],
    timeout: float,
    say: Callable[[str], None],
) -> Outcome:
    """Publish the request (`publish` returns its message id) and wait for its outcome."""
    from botocore.exceptions import ClientError

    deadline = time.monotonic() + timeout
    try:
        inbox: Inbox | None = Inbox(target)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "?")
        say(
            f"cannot subscribe a queue to the TrainStatusTopic ({code}): watching the endpoint "
            "instead, which shows a rollback done but not a refusal"
        )
        inbox = None
    try:
        before = serving(target) if inbox is None else ""
        say(f"rollback requested: message {publish()}; waiting for the outcome")
        if inbox is None:
            return watch_endpoint(target, before, deadline)
        return settle(target, inbox.wait(deadline), deadline)
    finally:
        if inbox is not None:
            inbox.close()
