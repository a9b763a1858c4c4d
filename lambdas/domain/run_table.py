"""The run table (DynamoDB `RunTable`): triggers, the launch lease, counters and failed triggers.

Every write that decides something is one conditional write, which DynamoDB applies
atomically (DynamoDB Developer Guide, "Condition expressions": "the write succeeds only if
the condition evaluates to true"), so concurrent launch invocations cannot both win:

- `pk=trigger, sk=<trigger id>`: a trigger, written once with `attribute_not_exists(sk)`.
  The write that succeeds is the one delivery that counts; every redelivery of the same SNS
  message, S3 object version, commit or schedule event finds the item and is a duplicate.
  `state` is `pending` until a run takes it, then `run` with the run's execution name.
- `pk=lease, sk=lease`: who may run now. `holder` is the execution name of the one run that
  may touch the endpoint, `plan` the trigger ids it runs. Every change is conditional on the
  `seq` the writer read (optimistic concurrency), and adds one to it.
- `pk=counter, sk=run|version`: run numbers (every run) and versions (every deploy), each
  allocated by one atomic `ADD` (UpdateItem) so two runs never share one.
- `pk=failed, sk=<arrived>#<id>`: a trigger that could not be read, with its original body.

Only GetItem, PutItem, UpdateItem and Query are used (the IAM actions the template grants).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from domain.aws import ClientFactory
from domain.errors import MissingSetting

TRIGGER_DAYS = 90  # how long a trigger id is remembered (DynamoDB TTL on `expires_at`)
PENDING = "pending"
TAKEN = "run"
REJECTED = "rejected"  # recorded (a redelivery is a duplicate) but never run


@dataclass(frozen=True)
class StoredTrigger:
    trigger_id: str
    source: str
    detail: str
    overrides: dict[str, Any]
    arrived_at: str
    state: str = PENDING
    execution: str = ""


@dataclass(frozen=True)
class Lease:
    holder: str = ""  # execution name of the run that holds it, "" = free
    plan: list[str] = field(default_factory=list)  # trigger ids of that run
    since: str = ""
    seq: int = 0  # 0 = the item does not exist yet


def _conditional_failed(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) == "ConditionalCheckFailedException"


def _s(value: str) -> dict[str, Any]:
    return {"S": value}


class RunTable:
    """Typed access to the run table."""

    def __init__(self, aws: ClientFactory, table: str):
        if not table:
            raise MissingSetting("environment variable RUN_TABLE is not set")
        self._db: Any = aws("dynamodb")
        self.table = table

    # --- triggers ---------------------------------------------------------------------
    def add_trigger(self, trigger: StoredTrigger, now: datetime, state: str = PENDING) -> bool:
        """Record a trigger once; False when its id is already known (a redelivery)."""
        expires = int((now + timedelta(days=TRIGGER_DAYS)).timestamp())
        try:
            self._db.put_item(
                TableName=self.table,
                Item={
                    "pk": _s("trigger"),
                    "sk": _s(trigger.trigger_id),
                    "source": _s(trigger.source),
                    "detail": _s(trigger.detail[:2000]),
                    "overrides": _s(json.dumps(trigger.overrides)),
                    "arrived_at": _s(trigger.arrived_at),
                    "state": _s(state),
                    "expires_at": {"N": str(expires)},
                },
                ConditionExpression="attribute_not_exists(sk)",
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def get_trigger(self, trigger_id: str) -> StoredTrigger | None:
        item = self._db.get_item(
            TableName=self.table,
            Key={"pk": _s("trigger"), "sk": _s(trigger_id)},
            ConsistentRead=True,
        ).get("Item")
        return _trigger(item) if item else None

    def pending_triggers(self) -> list[StoredTrigger]:
        """Every trigger no run has taken, oldest first."""
        found: list[StoredTrigger] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "#state = :pending",
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {":pk": _s("trigger"), ":pending": _s(PENDING)},
            "ConsistentRead": True,
        }
        while True:
            page = self._db.query(**kwargs)
            found.extend(_trigger(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(found, key=lambda t: (t.arrived_at, t.trigger_id))

    def take_trigger(self, trigger_id: str, execution: str) -> bool:
        """Mark a trigger as run by `execution`; False when another run took it."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key={"pk": _s("trigger"), "sk": _s(trigger_id)},
                UpdateExpression="SET #state = :taken, #execution = :execution",
                ConditionExpression="#state = :pending OR #execution = :execution",
                ExpressionAttributeNames={"#state": "state", "#execution": "execution"},
                ExpressionAttributeValues={
                    ":taken": _s(TAKEN),
                    ":pending": _s(PENDING),
                    ":execution": _s(execution),
                },
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    # --- the lease --------------------------------------------------------------------
    def lease(self) -> Lease:
        item = self._db.get_item(
            TableName=self.table, Key={"pk": _s("lease"), "sk": _s("lease")}, ConsistentRead=True
        ).get("Item")
        if not item:
            return Lease()
        return Lease(
            holder=item.get("holder", {}).get("S", ""),
            plan=[value["S"] for value in item.get("plan", {}).get("L", [])],
            since=item.get("since", {}).get("S", ""),
            seq=int(item["seq"]["N"]),
        )

    def replace_lease(self, read: Lease, holder: str, plan: list[str], now: datetime) -> bool:
        """Set the lease if nobody changed it since `read`; False when somebody did."""
        condition = "attribute_not_exists(pk)" if read.seq == 0 else "#seq = :seq"
        values: dict[str, Any] = {
            ":holder": _s(holder),
            ":plan": {"L": [_s(item) for item in plan]},
            ":since": _s(now.isoformat()),
            ":one": {"N": "1"},
        }
        if read.seq:
            values[":seq"] = {"N": str(read.seq)}
        try:
            self._db.update_item(
                TableName=self.table,
                Key={"pk": _s("lease"), "sk": _s("lease")},
                UpdateExpression=(
                    "SET #holder = :holder, #plan = :plan, #since = :since ADD #seq :one"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames={
                    "#holder": "holder",
                    "#plan": "plan",
                    "#since": "since",
                    "#seq": "seq",
                },
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    # --- counters ---------------------------------------------------------------------
    def next_number(self, counter: str, at_least: int = 0) -> int:
        """The next run number or version: one atomic ADD, never below `at_least` + 1.

        `at_least` seeds a counter created on a stack that recorded versions before the
        table existed; a seeded counter is only ever moved up by ADD.
        """
        key = {"pk": _s("counter"), "sk": _s(counter)}
        updated = self._db.update_item(
            TableName=self.table,
            Key=key,
            UpdateExpression="SET #n = if_not_exists(#n, :seed) + :one",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":seed": {"N": str(at_least)}, ":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(updated["Attributes"]["n"]["N"])

    # --- failed triggers --------------------------------------------------------------
    def add_failed(self, source: str, body: str, reason: str, now: datetime) -> None:
        self._db.put_item(
            TableName=self.table,
            Item={
                "pk": _s("failed"),
                "sk": _s(f"{now.isoformat()}#{hashlib.sha256(body.encode()).hexdigest()[:8]}"),
                "source": _s(source),
                "body": _s(body[:100_000] or "(empty)"),
                "reason": _s(reason[:2000]),
                "arrived_at": _s(now.isoformat()),
                "expires_at": {"N": str(int((now + timedelta(days=TRIGGER_DAYS)).timestamp()))},
            },
        )

    def failed_triggers(self, limit: int = 50) -> list[dict[str, Any]]:
        """The most recent failed triggers, newest first."""
        page = self._db.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s("failed")},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [
            {key: item[key]["S"] for key in ("arrived_at", "source", "reason", "body")}
            for item in page.get("Items", [])
        ]


def _trigger(item: dict[str, Any]) -> StoredTrigger:
    try:
        overrides = json.loads(item.get("overrides", {}).get("S", "{}"))
    except ValueError:
        overrides = {}
    return StoredTrigger(
        trigger_id=item["sk"]["S"],
        source=item.get("source", {}).get("S", ""),
        detail=item.get("detail", {}).get("S", ""),
        overrides=overrides if isinstance(overrides, dict) else {},
        arrived_at=item.get("arrived_at", {}).get("S", ""),
        state=item.get("state", {}).get("S", PENDING),
        execution=item.get("execution", {}).get("S", ""),
    )
