"""Lambda events → what they ask for: the Launch and Rollback functions' edge.

The Launch function is invoked with
- SNS records (the LaunchTopic, an external launch topic): the Message is a launch message
  (`domain.launch_message`), an S3 event notification or a CodeCommit repository trigger the
  topic relays, or an EventBridge event a rule sends to the topic;
- S3 event notification records and CodeCommit trigger records, when a bucket or a repository
  invokes it directly;
- SQS records (a queue subscribed to the topic, or one S3 or EventBridge sends to): the body is
  an SNS notification, a relayed event or a launch message;
- EventBridge events: the retraining schedule's "Scheduled Event", S3's "Object Created", and a
  Step Functions status change (a run ended: start what waits).

Powertools' parser models read what they fit (EventBridge events, SQS records, SNS
notifications delivered to SQS). SNS and S3 notification records are read with smaller models of
the same fields: the local stack's SNS envelope has "LOCAL" where Powertools wants URLs, and
moto's S3 records leave out the identity and request fields Powertools requires.

Never raises: what cannot be read becomes a `Rejected` (or `BadRollbackMessage`) that names what
is wrong and how to send it; nothing is dropped, except S3's test event.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from domain.launch_message import Drain, Rejected, Trigger, decode
from domain.rollback import (
    BadRollbackMessage,
    RollbackRequest,
    read_rollback_message,
    rollback_request_of,
)
from pydantic import BaseModel, Field, ValidationError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models import (
        EventBridgeModel,
        SnsNotificationModel,
        SqsRecordModel,
    )

LaunchItem = Trigger | Drain | Rejected


@cache
def _powertools() -> ModuleType:
    """Powertools' parser models (EventBridgeModel, SqsRecordModel, ...), imported on first
    use: importing them defines every model Powertools has (about 100 ms of a cold start),
    and the launch topic's SNS records, the usual event, need none of them."""
    from aws_lambda_powertools.utilities.parser import models

    return models


MAX_BODY = 100_000  # of an event kept with its rejection (a run-table item holds 400 KB)
_SCHEDULE_SOURCES = ("aws.events", "aws.scheduler")


# --- the parts of SNS, S3 and CodeCommit records the Launch function reads ------------------
class SnsMessage(BaseModel):
    """Powertools' SnsNotificationModel, the two fields read (every delivery has them)."""

    MessageId: str = Field(min_length=1)
    Message: str


class SnsRecord(BaseModel):
    Sns: SnsMessage


class S3Bucket(BaseModel):
    name: str = Field(min_length=1)


class S3Object(BaseModel):
    key: str = Field(min_length=1)
    sequencer: str | None = None
    versionId: str | None = None


class S3Entity(BaseModel):
    bucket: S3Bucket
    object: S3Object


class S3Record(BaseModel):
    """Powertools' S3RecordModel, the fields read (Amazon S3 event message structure)."""

    eventSource: Literal["aws:s3"]
    s3: S3Entity


class CodeCommitReference(BaseModel):
    commit: str = Field(min_length=1)
    ref: str = ""


class CodeCommitEntity(BaseModel):
    references: list[CodeCommitReference] = Field(min_length=1)


class CodeCommitRecord(BaseModel):
    """A CodeCommit repository trigger event record (Powertools has no model of it)."""

    eventSource: Literal["aws:codecommit"]
    eventSourceARN: str = ""
    codecommit: CodeCommitEntity


# --- helpers ---------------------------------------------------------------------------------
def _dump(value: Any) -> str:
    """The event as it arrived, as JSON text (repr when it is not JSON), for the run table."""
    try:
        return json.dumps(value)[:MAX_BODY]
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:MAX_BODY]


def _path(loc: tuple[int | str, ...]) -> str:
    """A field's place as the AWS docs write it: `codecommit.references[0].commit`."""
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.removeprefix(".") or "the record"


def problems(error: ValidationError, limit: int = 3) -> str:
    """The first fields a validation found wrong: `s3.object.key: Field required; ...`."""
    found = error.errors(include_url=False, include_context=False, include_input=False)
    shown = [f"{_path(item['loc'])}: {item['msg']}" for item in found[:limit]]
    more = f" (and {len(found) - limit} more)" if len(found) > limit else ""
    return "; ".join(shown) + more


def _s3_trigger(objects: list[tuple[str, str, str]]) -> Trigger:
    """New objects (bucket, key, what tells this version apart) → one trigger."""
    ids = [f"{bucket}/{key}/{version}" for bucket, key, version in objects]
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]
    keys = [key for _, key, _ in objects]
    shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    return Trigger("s3", f"new data in s3://{objects[-1][0]}: {shown}", digest)


# --- S3, CodeCommit and EventBridge events ---------------------------------------------------
def _s3_records(records: list[Any], fallback_id: str, body: str) -> Trigger | Rejected:
    objects = []
    for index, record in enumerate(records):
        try:
            parsed = S3Record.model_validate(record)
        except ValidationError as error:
            return Rejected(
                "s3",
                f"S3 event record {index}: {problems(error)}; a record names s3.bucket.name "
                "and s3.object.key: send S3 event notifications unchanged (Amazon S3 event "
                "message structure)",
                body,
            )
        found = parsed.s3.object
        version = found.sequencer or found.versionId or fallback_id
        objects.append((parsed.s3.bucket.name, found.key, version))
    return _s3_trigger(objects)


def _codecommit_record(record: Any, body: str) -> Trigger | Rejected:
    try:
        parsed = CodeCommitRecord.model_validate(record)
    except ValidationError as error:
        return Rejected(
            "codecommit",
            f"CodeCommit event: {problems(error)}; a push names "
            "codecommit.references[0].commit: send repository trigger events unchanged",
            body,
        )
    ref = parsed.codecommit.references[0]
    repo = parsed.eventSourceARN.split(":")[-1]
    detail = f"push to {repo} {ref.ref} at {ref.commit[:12]}".strip()
    return Trigger("codecommit", detail, ref.commit)


def _relayed_records(records: Any, message_id: str, body: str, carrier: str) -> Trigger | Rejected:
    """The Records of an S3 notification or CodeCommit trigger a topic or queue relays."""
    if not isinstance(records, list):
        return Rejected(
            carrier, "Records must be a list of event records (S3 or CodeCommit events)", body
        )
    first = records[0] if records else None
    source = first.get("eventSource") if isinstance(first, dict) else None
    if source == "aws:s3":
        return _s3_records(records, message_id, body)
    if source == "aws:codecommit":
        return _codecommit_record(first, body)
    return Rejected(
        carrier,
        "Records must be a non-empty list of S3 or CodeCommit event records "
        "(eventSource aws:s3 or aws:codecommit); to start a run with overrides, "
        "send a JSON object without Records",
        body,
    )


def _eventbridge(event: dict[str, Any], body: str) -> LaunchItem:
    """A schedule tick, an S3 upload, or a run's end, as EventBridge delivers it."""
    source = "schedule" if event.get("detail-type") == "Scheduled Event" else "eventbridge"
    try:
        parsed: EventBridgeModel = _powertools().EventBridgeModel.model_validate(event)
    except ValidationError as error:
        return Rejected(
            source,
            f"EventBridge event: {problems(error)}; let the rule send the event unchanged "
            "(no input transformer)",
            body,
        )
    if parsed.detail_type == "Scheduled Event" or parsed.source in _SCHEDULE_SOURCES:
        if not parsed.id:
            return Rejected("schedule", "the scheduled event has an empty id", body)
        return Trigger("schedule", "retraining schedule", parsed.id)
    if parsed.source == "aws.states":
        arn = parsed.detail.get("executionArn") if isinstance(parsed.detail, dict) else None
        return Drain(arn if isinstance(arn, str) else "")
    if parsed.source == "aws.s3" and parsed.detail_type == "Object Created":
        try:
            upload = _powertools().S3EventNotificationEventBridgeModel.model_validate(event).detail
        except ValidationError as error:
            return Rejected(
                "s3",
                f"S3 Object Created event: {problems(error)}; let the rule send S3's event "
                "unchanged",
                body,
            )
        found = upload.object
        version = found.sequencer or found.version_id or parsed.id
        return _s3_trigger([(upload.bucket.name, found.key, version)])
    return Rejected(
        "eventbridge",
        f"an EventBridge event of source {parsed.source[:60]!r} and detail-type "
        f"{parsed.detail_type[:60]!r} starts no run; rules may send the schedule's Scheduled "
        "Event or S3's Object Created",
        body,
    )


# --- what SNS and SQS carry ------------------------------------------------------------------
def _carried(text: str, message_id: str, carrier: Literal["sns", "sqs"]) -> list[LaunchItem]:
    """An SNS Message or SQS body: a relayed event, an SNS notification (SQS), or a message."""
    try:
        document = json.loads(text)
    except (ValueError, TypeError, RecursionError):  # decode says what is wrong with it
        document = None
    if isinstance(document, dict):
        if document.get("Event") == "s3:TestEvent":  # S3 checking it may publish
            return []
        if "Records" in document:
            return [_relayed_records(document["Records"], message_id, text, carrier)]
        if "detail-type" in document:
            return [_eventbridge(document, text)]
        if carrier == "sqs" and document.get("Type") == "Notification":
            return _sns_notification(document, text)
    return [decode(text, message_id, carrier)]


def _sns_notification(document: dict[str, Any], body: str) -> list[LaunchItem]:
    """An SNS notification a queue holds (a subscription without raw message delivery)."""
    try:
        parsed: SnsNotificationModel = _powertools().SnsNotificationModel.model_validate(document)
    except ValidationError as error:
        return [
            Rejected(
                "sqs",
                f"SNS notification in the SQS message: {problems(error)}; subscribe the queue "
                "to the topic as SNS does, or enable raw message delivery",
                body,
            )
        ]
    message = parsed.Message if isinstance(parsed.Message, str) else ""
    return _carried(message, parsed.MessageId, "sns")


# --- records and events ----------------------------------------------------------------------
def _sns_record(record: dict[str, Any]) -> list[LaunchItem]:
    try:
        sns = SnsRecord.model_validate(record).Sns
    except ValidationError as error:
        return [
            Rejected(
                "sns",
                f"SNS record: {problems(error)}; deliver SNS notifications to the function "
                "unchanged (a Lambda subscription of the topic)",
                _dump(record),
            )
        ]
    return _carried(sns.Message, sns.MessageId, "sns")


def _sqs_record(record: dict[str, Any]) -> list[LaunchItem]:
    try:
        parsed: SqsRecordModel = _powertools().SqsRecordModel.model_validate(record)
    except ValidationError as error:
        return [
            Rejected(
                "sqs",
                f"SQS record: {problems(error)}; let Lambda's SQS event source mapping deliver "
                "the queue's messages unchanged",
                _dump(record),
            )
        ]
    body = parsed.body if isinstance(parsed.body, str) else ""
    return _carried(body, parsed.messageId, "sqs")


def _record(record: Any) -> list[LaunchItem]:
    if not isinstance(record, dict):
        return [Rejected("lambda", "an event record is not a JSON object", _dump(record))]
    source = record.get("eventSource") or record.get("EventSource")
    if "Sns" in record:
        return _sns_record(record)
    if source == "aws:s3":
        return [_s3_records([record], "", _dump(record))]
    if source == "aws:codecommit":
        return [_codecommit_record(record, _dump(record))]
    if source == "aws:sqs":
        return _sqs_record(record)
    return [
        Rejected(
            "lambda",
            "event record is neither an SNS, SQS, S3 nor CodeCommit event record "
            "(eventSource aws:sns, aws:sqs, aws:s3 or aws:codecommit)",
            _dump(record),
        )
    ]


def _launch_items(event: Any) -> list[LaunchItem]:
    if not isinstance(event, dict):
        return [Rejected("lambda", "the event is not a JSON object", _dump(event))]
    if "detail-type" in event:
        return [_eventbridge(event, _dump(event))]
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        return [
            Rejected(
                "lambda",
                "the event has no Records list and is not an EventBridge event "
                "(SNS, SQS, S3 or CodeCommit records, or a scheduled event)",
                _dump(event),
            )
        ]
    return [item for record in records for item in _record(record)]


def launch_items(event: Any) -> list[LaunchItem]:
    """Every run request in a Launch event: triggers, drains, and rejections naming why.

    Never raises; S3's test event ("s3:TestEvent") is the one thing that yields nothing.
    """
    try:
        return _launch_items(event)
    except Exception as error:  # noqa: BLE001 - the launch function must never raise on input
        reason = f"the event could not be read ({type(error).__name__}: {str(error)[:200]})"
        return [Rejected("lambda", reason, _dump(event))]


# --- rollback --------------------------------------------------------------------------------
def rollback_request(event: Any) -> RollbackRequest | BadRollbackMessage:
    """The version a RollbackTopic message (or a direct invocation) asks for. Never raises."""
    try:
        records = event.get("Records") if isinstance(event, dict) else None
        if records is None:  # a direct invocation: the event is the message
            return rollback_request_of(event, _dump(event))
        first = records[0] if isinstance(records, list) and records else None
        try:
            sns = SnsRecord.model_validate(first).Sns
        except ValidationError as error:
            return BadRollbackMessage(
                f"the rollback event is not an SNS notification ({problems(error)}); publish "
                "the request to the RollbackTopic",
                _dump(event),
            )
        return read_rollback_message(sns.Message)
    except Exception as error:  # noqa: BLE001 - the rollback function must never raise on input
        return BadRollbackMessage(
            f"the rollback event could not be read ({type(error).__name__})", _dump(event)
        )
