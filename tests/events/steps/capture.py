"""Capture the payload of every Task a real run sends: `python tests/events/steps/capture.py`.

Runs the iris example (SCIKIT: train, deploy) on the local stack (the real template and ASL,
the real handlers), then writes the input of each LambdaFunctionScheduled event of the run's
execution history as `<state_name>.json` beside this file (the last one of a state that ran
more than once): what Step Functions sent each
Task's function. tests/unit/test_step_events.py feeds them back through the handlers' parsers
and checks them against the ASL. Rerun it after changing the ASL or the state document.
Nothing reaches AWS (the local stack uses dummy credentials on 127.0.0.1).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sagebuild.examples import IRIS, iris_parameters
from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack

HERE = Path(__file__).resolve().parent
# Values that change from run to run, replaced so that a rerun diffs only on real changes.
_VOLATILE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


def _stable(text: str) -> str:
    return _VOLATILE.sub("2026-12-06T12:00:00+00:00", text)


def capture() -> list[str]:
    with LocalStack(stack_name="demo", parameters={"ConfigFramework": "SCIKIT"}) as local:
        stack = Stack(local.outputs, local.client)
        stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
        stack.update_parameters(**iris_parameters(stack.upload_source(IRIS)))
        known = {e["executionArn"] for e in stack.executions()}
        stack.publish_launch({"reason": "capture step events"})
        arn = stack.wait_for_execution(known)
        for _ in stack.follow(arn):
            pass
        sfn = local.client("stepfunctions")
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    written, state = [], ""
    for event in events:
        if event["type"].endswith("StateEntered"):
            state = event["stateEnteredEventDetails"]["name"]
        if event["type"] == "LambdaFunctionScheduled":
            payload = json.loads(event["lambdaFunctionScheduledEventDetails"]["input"])
            path = HERE / f"{state.lower().replace(' ', '_')}.json"
            path.write_text(_stable(json.dumps(payload, indent=2)) + "\n")
            written.append(path.name)
    return sorted(set(written))


if __name__ == "__main__":
    for name in capture():
        print(name)
