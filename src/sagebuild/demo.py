"""`make demo`: the whole loop on the local stack, on one machine, with no AWS account.

Start the local stack, deploy template.yaml, upload the UCI iris data and a scikit-learn
script, publish to the LaunchTopic, show each state as it is entered, invoke the endpoint with
rows of the data, print predictions, accuracy and the notifications, stop everything.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from sagebuild.examples import IRIS, SPECIES, iris_parameters
from sagebuild.local.stack import LocalStack
from sagebuild.session import Stack


def say(text: str) -> None:
    print(text, flush=True)


def run_demo(timings_path: Path | None = None) -> int:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the handlers' JSON logs
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    say("sagebuild demo: starting the local stack (moto on this machine; nothing reaches AWS)")
    with LocalStack(stack_name="sagebuild-demo", parameters={"ConfigFramework": "SCIKIT"}) as local:
        timings["stack_deployed_s"] = round(time.perf_counter() - clock, 2)
        stack = Stack(local.outputs, local.client)
        say(
            f"  stack deployed in {timings['stack_deployed_s']:.1f} s; endpoint "
            f"{stack.outputs['SageMakerEndpoint']}"
        )
        stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
        source = stack.upload_source(IRIS)
        stack.update_parameters(**iris_parameters(source))
        inbox = stack.subscribe_inbox()
        say("  uploaded examples/iris (150 rows) and train.py; publishing to the LaunchTopic")

        triggered = time.perf_counter()
        known = {e["executionArn"] for e in stack.executions()}
        stack.publish_launch({"reason": "make demo"})
        arn = stack.wait_for_execution(known)
        for name, elapsed in stack.follow(arn):
            say(f"  {elapsed:6.1f} s  {name}")
        result = stack.run_result(arn)
        if result["status"] != "SUCCEEDED":
            say(f"the run ended {result['status']}")
            for note in stack.notifications(inbox):
                say(
                    f"  notification: {note['Subject']}\n    "
                    + note["Message"].replace("\n", "\n    ")
                )
            return 1
        rows = np.loadtxt(IRIS / "iris.csv", delimiter=",")
        sample = rows[5::10]
        predictions = stack.predict(sample[:, 1:].tolist())
        timings["trigger_to_first_prediction_s"] = round(time.perf_counter() - triggered, 2)
        predicted = np.asarray(predictions).astype(int).ravel()
        accuracy = float((predicted == sample[:, 0].astype(int)).mean())
        say(f"\nPredictions from the endpoint ({len(sample)} rows of the data):")
        for row, label in list(zip(sample, predicted, strict=True))[::3]:
            say(f"  {row[1:].tolist()} -> {SPECIES[label]} (true: {SPECIES[int(row[0])]})")
        say(f"  accuracy on these rows: {accuracy:.2f}")
        metrics = result["output"]["training"].get("metrics", [])
        say(
            "  training metrics: " + ", ".join(f"{m['MetricName']}={m['Value']:g}" for m in metrics)
        )
        say("\nNotifications on the TrainStatusTopic:")
        for note in stack.notifications(inbox):
            say(f"  {note['Subject']}")
        say(f"\ntrigger -> first prediction: {timings['trigger_to_first_prediction_s']:.1f} s")
        say("stopping the local stack (endpoint servers and jobs stop with it)")
    timings["total_s"] = round(time.perf_counter() - clock, 2)
    if timings_path:
        Path(timings_path).write_text(json.dumps(timings, indent=1))
    say(f"done in {timings['total_s']:.1f} s")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timings", type=Path, help="write the measured timings here (JSON)")
    args = parser.parse_args()
    sys.exit(run_demo(args.timings))


if __name__ == "__main__":
    main()
