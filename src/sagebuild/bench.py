"""Benchmarks (`make bench`): orchestration cost, cold import, package size, local demo, burst.

Figures are measured here and written to docs/benchmarks.md; tests never assert timings.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sagebuild import assets

ROOT = assets.root()
sys.path.insert(0, str(assets.lambdas()))

from domain import schedule  # noqa: E402
from domain.state import Flags  # noqa: E402

#: The figures go to the checkout's docs (a wheel install: ./docs/benchmarks.md).
WORK = assets.project_dir() or Path.cwd()
OUT = WORK / "docs" / "benchmarks.md"
HISTORY_LIMIT = 25_000
# Per poll iteration: Wait + Task + Choice states entered (3 transitions); history events:
# Wait entered/exited, Task entered/scheduled/started/succeeded/exited, Choice entered/exited.
TRANSITIONS_PER_POLL = 3
EVENTS_PER_POLL = 9


# The reference run's flags: BYOD with both image builds, train and deploy (domain.state.Flags).
REFERENCE_FLAGS = Flags(build_training_image=True, build_inference_image=True).to_dict()


def reference_path() -> list[str]:
    """The states the reference run enters (BYOD: both builds, train, deploy), each loop once.

    Walks statemachine/pipeline.asl.json with the reference flags and every job Completed at
    its first poll, so the figure follows the ASL as it is.
    """
    asl = json.loads((ROOT / "statemachine" / "pipeline.asl.json").read_text())
    values = {f"$.flags.{name}": value for name, value in REFERENCE_FLAGS.items()}
    path, name = [], asl["StartAt"]
    while True:
        state = asl["States"][name]
        path.append(name)
        if state["Type"] in ("Succeed", "Fail") or state.get("End"):
            return path
        if state["Type"] == "Choice":
            name = state["Default"]
            for rule in state["Choices"]:
                value = values.get(rule["Variable"], "Completed")
                expected = rule.get("BooleanEquals", rule.get("StringEquals"))
                if value == expected:
                    name = rule["Next"]
                    break
        else:
            name = state["Next"]


def orchestration_cost() -> dict:
    """State transitions of the reference run: 1 h training, two 5-min builds, 8-min update."""
    jobs = {
        "training (1 h)": 3600,
        "training image build (5 min)": 300,
        "inference image build (5 min)": 300,
        "endpoint update (8 min)": 480,
    }
    original_waits = {
        "training (1 h)": 30,
        "training image build (5 min)": 5,
        "inference image build (5 min)": 5,
        "endpoint update (8 min)": 10,
    }
    ours = {name: schedule.polls_until(seconds) for name, seconds in jobs.items()}
    original = {name: -(-seconds // original_waits[name]) for name, seconds in jobs.items()}
    once = len(reference_path())  # every loop polled once
    ours_total = once + TRANSITIONS_PER_POLL * sum(polls - 1 for polls in ours.values())
    # The original (reference/original.md §3.2): 27 states outside its loops; its training loop
    # enters 4 states per poll (waitForTraining, IfHPOStatus, getTrainingStatus, check...).
    original_total = 27 + sum(
        polls * (4 if name.startswith("training (") else 3) for name, polls in original.items()
    )
    delays = {name: schedule.detection_delay(seconds) for name, seconds in jobs.items()}
    long_polls = schedule.polls_until(28 * 24 * 3600)
    return {
        "polls": ours,
        "original_polls": original,
        "transitions": ours_total,
        "original_transitions": original_total,
        "ratio": ours_total / original_total,
        "worst_detection_delay_s": delays,
        "28_day_job_polls": long_polls,
        "28_day_job_history_events": long_polls * EVENTS_PER_POLL + 60,
    }


def cold_imports(repeats: int = 5) -> dict:
    """Median wall time of importing each handler module in a fresh interpreter."""
    handlers = sorted(  # the function modules: those that define `handler`
        p.stem
        for p in (ROOT / "lambdas" / "handlers").glob("*.py")
        if "\ndef handler(" in p.read_text()
    )
    results = {}
    code = (
        "import sys,time; sys.path.insert(0, {path!r}); t=time.perf_counter(); "
        "import handlers.{name}; print(time.perf_counter()-t)"
    )
    for name in handlers:
        runs = []
        for _ in range(repeats):
            out = subprocess.run(
                [sys.executable, "-c", code.format(path=str(ROOT / "lambdas"), name=name)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(float(out.stdout.strip()) * 1000)
        results[name] = round(statistics.median(runs), 1)
    return results


def first_call(repeats: int = 5) -> float:
    """Median ms to import the Initialize handler and create its first boto3 client."""
    code = (
        "import sys,time; sys.path.insert(0, {path!r}); t=time.perf_counter(); "
        "import handlers.initialize; from domain.clients import client; client('ssm'); "
        "print(time.perf_counter()-t)"
    )
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", code.format(path=str(ROOT / "lambdas"))],
            capture_output=True,
            text=True,
            check=True,
            env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        )
        runs.append(float(out.stdout.strip()) * 1000)
    return round(statistics.median(runs), 1)


def package_size() -> dict:
    """Code-only zips, and (when PyPI is reachable) the deployment zip with dependencies."""
    from sagebuild.deployer import build_function_zip, install_dependencies
    from sagebuild.packaging import build_code_zip

    sizes: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        sizes["lambdas_code_zip_bytes"] = (
            build_code_zip(ROOT / "lambdas", Path(tmp) / "lambdas.zip").stat().st_size
        )
        sizes["alexa_code_zip_bytes"] = (
            build_code_zip(ROOT / "alexa", Path(tmp) / "alexa.zip").stat().st_size
        )
        try:
            deps = install_dependencies(
                ROOT / "lambdas" / "requirements.txt", WORK / ".sagebuild" / "build" / "deps"
            )
            sizes["lambdas_deployment_zip_bytes"] = (
                build_function_zip(ROOT / "lambdas", deps, Path(tmp) / "full.zip").stat().st_size
            )
        except Exception as error:  # noqa: BLE001 - no PyPI: report what was measured
            sizes["lambdas_deployment_zip_error"] = str(error)[:200]
    return sizes


def local_demo() -> dict | None:
    """Run the demo once and read the timings it writes."""
    with tempfile.TemporaryDirectory() as tmp:
        timings = Path(tmp) / "timings.json"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "sagebuild.demo", "--timings", str(timings)],
            cwd=WORK,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not timings.exists():
            print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
            return None
        data = json.loads(timings.read_text())
        data["demo_wall_s"] = round(time.perf_counter() - started, 1)
        return data


def launch_burst(messages: int = 50, duplicates: int = 5) -> dict | None:
    """A burst of launch messages on a local stack (`sagebuild.local.burst`)."""
    from sagebuild.examples import IRIS, iris_parameters
    from sagebuild.local.burst import run_burst
    from sagebuild.local.stack import LocalStack
    from sagebuild.session import Stack

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    try:
        with LocalStack(stack_name="burst", parameters={"ConfigFramework": "SCIKIT"}) as local:
            stack = Stack(local.outputs, local.client)
            stack.upload_data(IRIS / "iris.csv", "train/iris/iris.csv")
            stack.update_parameters(**iris_parameters(stack.upload_source(IRIS)))
            report = run_burst(stack, messages=messages, duplicates=duplicates)
    except Exception as error:  # noqa: BLE001 - report what was measured
        print(f"burst: {type(error).__name__}: {error}", file=sys.stderr)
        return None
    return {
        "messages": report.messages,
        "duplicates": report.duplicates,
        "publish_s": report.publish_seconds,
        "runs": len(report.runs),
        "failed_runs": sum(r["status"] != "SUCCEEDED" for r in report.runs),
        "max_concurrent": report.max_concurrent,
        "drain_s": report.drain_seconds,
        "placed": len(report.placed),
        "duplicates_ignored": sum(o.startswith("duplicate") for o in report.duplicate_outcomes),
        "versions": report.versions,
    }


def main() -> None:
    burst = launch_burst()
    cost = orchestration_cost()
    imports = cold_imports()
    first = first_call()
    size = package_size()
    demo = local_demo()
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on this machine ({os.cpu_count()} cores).",
        "",
        "## Orchestration cost (reference run)",
        "",
        "1 h training, two 5-min image builds, an 8-min endpoint update.",
        "",
        "| loop | sagebuild polls | original polls | worst detection delay (s) |",
        "|---|---|---|---|",
    ]
    for name, polls in cost["polls"].items():
        lines.append(
            f"| {name} | {polls} | {cost['original_polls'][name]} | "
            f"{cost['worst_detection_delay_s'][name]:.0f} |"
        )
    lines += [
        "",
        f"State transitions: **{cost['transitions']}** vs the original's "
        f"{cost['original_transitions']} (**{cost['ratio']:.0%}**; target ≤ 25%).",
        f"A 28-day training job: {cost['28_day_job_polls']} polls, about "
        f"{cost['28_day_job_history_events']} history events (limit {HISTORY_LIMIT}).",
        "",
        "## Handler cold import (median of 5, ms; target ≤ 300 ms)",
        "",
        "| handler | ms |",
        "|---|---|",
    ]
    lines += [f"| {name} | {ms} |" for name, ms in imports.items()]
    lines += [
        "",
        "boto3 is imported on first use, not at import: import of `handlers.initialize` plus "
        f"its first boto3 client takes {first} ms (median of 5).",
    ]
    full = size.get("lambdas_deployment_zip_bytes")
    lines += [
        "",
        "## Deployment package",
        "",
        f"Code zip of `lambdas/`: {size['lambdas_code_zip_bytes'] / 1024:.0f} KiB; of `alexa/`: "
        f"{size['alexa_code_zip_bytes'] / 1024:.0f} KiB. With the dependencies `sagebuild up` "
        "bundles (crhelper, Powertools, pydantic; boto3 comes from the runtime): "
        + (
            f"{full / 1024 / 1024:.1f} MiB."
            if full
            else f"not measured ({size.get('lambdas_deployment_zip_error', '')})."
        ),
        "",
        "## Local demo (`make demo`; target trigger → first prediction ≤ 20 s)",
        "",
    ]
    if demo:
        lines += ["| step | seconds |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in demo.items()]
    else:
        lines.append("The demo did not complete in this benchmark run (see stderr).")
    lines += [
        "",
        "## Launch burst (one run at a time; `sagebuild.local.burst`)",
        "",
        "LaunchTopic messages published from 8 threads at once on a local stack (each Publish",
        "runs the launch function), then SNS redeliveries of some of them (same MessageId).",
        "",
    ]
    if burst:
        lines += [
            "| figure | value |",
            "|---|---|",
            f"| messages published | {burst['messages']} in {burst['publish_s']} s |",
            f"| redeliveries | {burst['duplicates']} ({burst['duplicates_ignored']} ignored) |",
            f"| runs | {burst['runs']} ({burst['failed_runs']} failed) |",
            f"| max runs at the same time | {burst['max_concurrent']} |",
            f"| messages run (own or coalesced run) | {burst['placed']} of {burst['messages']} |",
            f"| versions deployed | {', '.join(map(str, burst['versions']))} |",
            f"| time to drain (first Publish → nothing running or waiting) | "
            f"{burst['drain_s']} s |",
        ]
    else:
        lines.append("The burst did not complete in this benchmark run (see stderr).")
    OUT.write_text("\n".join(lines) + "\n")
    print(OUT.read_text())


if __name__ == "__main__":
    main()
