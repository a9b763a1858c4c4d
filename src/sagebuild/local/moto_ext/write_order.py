"""Ordering guarantees AWS gives and moto does not: atomic DynamoDB writes, S3 event sequencers.

- DynamoDB (moto: `put_item`, `update_item`, `delete_item` and `transact_write_items` check a
  ConditionExpression and then write, with no lock, so two threads of the threaded server can
  both pass the same condition) → one lock around every item write, so a conditional write is
  atomic as on AWS ("DynamoDB ... conditional writes ... succeed only if the item attributes
  meet one or more expected conditions", DynamoDB Developer Guide, "Condition expressions";
  "Each write is atomic", "Working with items: Atomic counters").
- S3 event notifications (moto: `s3.object` has no `sequencer`) → a `sequencer` on every
  ObjectCreated / ObjectRemoved record: "a string representation of a hexadecimal value used
  to determine event sequence, only used with PUTs and DELETEs"; for one key a later event has
  the greater sequencer when compared as strings of equal length (Amazon S3 User Guide,
  "Event message structure",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
  Here: 16 hex digits from one process-wide counter, so it increases across keys too.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable
from typing import Any

from sagebuild.local import patching

_WRITE_LOCK = threading.RLock()
_SEQUENCE = itertools.count(0x0055AED6DCD90281)
_SEQUENCE_LOCK = threading.Lock()


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return method(self, *args, **kwargs)

    return write


def next_sequencer() -> str:
    with _SEQUENCE_LOCK:
        return f"{next(_SEQUENCE):016X}"


def _with_sequencer(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def event(*args: Any, **kwargs: Any) -> Any:
        body = original(*args, **kwargs)
        for record in body.get("Records", []):
            obj = record.get("s3", {}).get("object")
            if isinstance(obj, dict) and "sequencer" not in obj:
                obj["sequencer"] = next_sequencer()
        return body

    return event


def install() -> Callable[[], None]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.s3 import notifications

    patches: list[patching.Patch] = [
        (DynamoDBBackend, name, _locked(getattr(DynamoDBBackend, name)))
        for name in ("put_item", "update_item", "delete_item", "transact_write_items")
    ]
    patches.append((notifications, "_get_s3_event", _with_sequencer(notifications._get_s3_event)))
    return patching.install(patches)
