"""A burst of launch messages against a deployed stack: what one-run-at-a-time must survive.

Publishes `messages` LaunchTopic messages from `threads` threads at once (each Publish runs
the launch function, as SNS does), then redelivers `duplicates` of them as SNS would (the
same MessageId, straight to the launch function), and waits until every run has ended and
nothing waits. The report says where each message went (the run that ran it, or kept as a
failed trigger), how many runs overlapped at most, and how long the queue took to drain.
Used by the slow end-to-end test and by `make bench`.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sagebuild.session import FINAL, Stack


@dataclass
class BurstReport:
    messages: int
    duplicates: int
    publish_seconds: float  # from the first Publish to the last of the `messages` Publishes
    drain_seconds: float  # from the first Publish until every run ended and nothing waits
    runs: list[dict[str, Any]] = field(default_factory=list)  # name, status, start, stop
    placed: dict[str, str] = field(default_factory=dict)  # message id -> execution name
    failed: list[dict[str, Any]] = field(default_factory=list)
    duplicate_outcomes: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)

    @property
    def max_concurrent(self) -> int:
        """The most runs RUNNING at one moment (from their start and stop times)."""
        edges = []
        for run in self.runs:
            edges.append((run["start"], 1))
            edges.append((run["stop"], -1))
        running = peak = 0
        for _, step in sorted(edges, key=lambda edge: (edge[0], edge[1])):
            running += step
            peak = max(peak, running)
        return peak


def launch_function(stack: Stack) -> str:
    """The launch function: the LaunchTopic's Lambda subscriber."""
    subscriptions = stack.client("sns").list_subscriptions_by_topic(
        TopicArn=stack.outputs["LaunchTopic"]
    )["Subscriptions"]
    return next(s["Endpoint"] for s in subscriptions if s["Protocol"] == "lambda")


def redeliver(stack: Stack, message_id: str, body: str, function: str = "") -> dict[str, Any]:
    """Deliver a message again as SNS does (the same MessageId); the function's answer."""
    event = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": stack.outputs["LaunchTopic"],
                    "Message": body,
                },
            }
        ]
    }
    response = stack.client("lambda").invoke(
        FunctionName=function or launch_function(stack), Payload=json.dumps(event)
    )
    answer: dict[str, Any] = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        answer["outcomes"] = [f"error {answer.get('errorType')}: {answer.get('errorMessage')}"]
    return answer


def _triggers(stack: Stack) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": stack.outputs["RunTable"],
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "trigger"}},
    }
    while True:
        page = stack.client("dynamodb").query(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run_burst(
    stack: Stack,
    messages: int = 50,
    duplicates: int = 5,
    threads: int = 8,
    timeout: float = 600,
) -> BurstReport:
    before = stack.executions()
    known = {e["executionArn"] for e in before}
    known_names = {e["name"] for e in before}
    bodies = [json.dumps({"reason": f"burst message {i}"}) for i in range(messages)]
    function = launch_function(stack)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        ids = list(pool.map(stack.publish_launch, bodies))
        published = time.monotonic() - started
        step = max(1, messages // max(1, duplicates))
        picks = [(ids[i], bodies[i]) for i in range(0, messages, step)][:duplicates]
        answers = pool.map(
            lambda pick: redeliver(stack, pick[0], pick[1], function=function), picks
        )
        outcomes = ["; ".join(answer.get("outcomes") or []) for answer in answers]
    deadline = started + timeout
    while True:
        runs = [e for e in stack.executions() if e["executionArn"] not in known]
        triggers = _triggers(stack)
        waiting = [t for t in triggers if t["state"]["S"] != "run"]
        # A taken trigger names its execution before StartExecution: drained means every
        # named execution exists and ended, not only the ones listed so far.
        planned = {t["execution"]["S"] for t in triggers if t.get("execution")} - known_names
        listed = {e["name"] for e in runs}
        ended = all(e["status"] in FINAL for e in runs)
        if runs and not waiting and planned <= listed and ended:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the burst did not drain in {timeout:.0f} s")
        time.sleep(0.2)
    drained = time.monotonic() - started
    report = BurstReport(messages, duplicates, round(published, 2), round(drained, 1))
    sfn = stack.client("stepfunctions")
    for execution in runs:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        stop: datetime = described["stopDate"]
        report.runs.append(
            {
                "name": described["name"],
                "status": described["status"],
                "start": described["startDate"],
                "stop": stop,
                "error": described.get("error", ""),
            }
        )
        output = json.loads(described.get("output") or "{}")
        version = (output.get("deployment") or {}).get("version")
        if described["status"] == "SUCCEEDED" and isinstance(version, int):
            report.versions.append(version)
    report.versions.sort()
    by_id = {t["sk"]["S"]: t for t in _triggers(stack)}
    for message_id in ids:
        item = by_id.get(message_id)
        if item and item.get("execution"):
            report.placed[message_id] = item["execution"]["S"]
    report.failed = [
        {key: value["S"] for key, value in item.items() if "S" in value}
        for item in stack.client("dynamodb").query(
            TableName=stack.outputs["RunTable"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "failed"}},
        )["Items"]
    ]
    report.duplicate_outcomes = outcomes
    return report
