"""Runs of the pipeline: `start`, `status`, `approve`, `reject`, `stop`, `history`, `logs`.

Finding, looking at and following a run is `sagebuild.cli_support.following`; this module says
it on the terminal.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from sagebuild.cli.options import (
    JSON_OUTPUT,
    RUN,
    command_group,
    options_of,
    publish,
    state_machine,
    target_of,
)
from sagebuild.cli.params import stack_framework, stored
from sagebuild.cli.values import launch_message, parse_assignments
from sagebuild.cli_support import domain, following, logs, runs, service
from sagebuild.cli_support.aws import Target
from sagebuild.cli_support.errors import UserError
from sagebuild.cli_support.render import (
    console,
    err_console,
    failed_triggers_table,
    history_table,
    print_json,
    status_view,
)

app = command_group()


def _check_overrides(target: Target, overrides: dict[str, Any]) -> None:
    """Refuse (exit 2, nothing published) `--set` overrides that make the parameter document
    invalid: the run would merge them over the stored one (`domain.config.merge_overrides`)
    and Initialize Run would fail on the same problems."""
    document = {**stored(target), **overrides}
    problems = domain.validate(document, stack_framework(target))
    if problems:
        err_console.print("[red]error:[/red] invalid parameters with --set, nothing published:")
        for problem in problems:
            err_console.print(f"  - {problem}", markup=False)
        raise typer.Exit(2)


@app.command("start")
def start(
    ctx: typer.Context,
    train: Annotated[
        bool | None, typer.Option("--train/--no-train", help="Train, or deploy the last artifact")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override KEY=VALUE for this run (JSON values; repeatable)"),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (shown in notifications)")] = None,
    wait: Annotated[
        bool, typer.Option(help="Follow the run until it ends (exit 0 succeeded, 1 not)")
    ] = False,
    as_json: JSON_OUTPUT = False,
) -> None:
    """Start a run: publish to the LaunchTopic (sagebuild.toml's \\[parameters], then --set)."""
    project = options_of(ctx).project
    overrides = {**(project.parameters if project else {}), **parse_assignments(set_)}
    target = target_of(ctx)
    if overrides:
        _check_overrides(target, overrides)
    message = launch_message(train, overrides, reason)
    if wait:
        state_machine(target)  # no StateMachine output: say so before publishing
    started = datetime.now(UTC)
    message_id = publish(target, "LaunchTopic", message, "sagebuild start")
    if as_json and not wait:
        print_json({"message_id": message_id, "message": message})
        return
    if not as_json:
        console.print(f"published to the LaunchTopic: message {message_id}")
    if wait:
        execution = find_run(target, message_id, started, quiet=as_json)
        raise typer.Exit(_follow(target, execution, as_json))


def find_run(
    target: Target,
    message_id: str,
    since: datetime,
    timeout: float = 120.0,
    poll: float = 0.5,
    quiet: bool = False,
) -> str:
    """The execution the Launch function started for `message_id` (`following.find_run`);
    says on stderr when the message waits behind an older run, unless `quiet`."""

    def queued(name: str) -> None:
        err_console.print(f"queued behind {name}: it starts when that run ends", markup=False)

    sfn, machine = state_machine(target)
    return following.find_run(
        sfn, machine, message_id, since, timeout, poll, on_queued=None if quiet else queued
    )


def _follow(target: Target, execution: str, as_json: bool, interval: float = 1.0) -> int:
    """Follow a run until it ends; 0 if it succeeded, else 1."""
    looks = following.follow(target.client("stepfunctions"), execution, interval)
    if as_json:
        *_, last = looks
        view = following.view_of(target, last)
        print_json(view)
    elif console.is_terminal:
        from rich.live import Live

        view = following.view_of(target, next(looks))
        with Live(status_view(view), console=console, refresh_per_second=4) as live:
            for seen in looks:
                view = following.view_of(target, seen)
                live.update(status_view(view))
    else:  # a log, not a screen: one line per state entered, then the summary
        console.print(f"following {execution.rsplit(':', 1)[-1]}", markup=False)
        for name, _seen in following.states_entered(looks):
            console.print(f"  → {name}", markup=False)
        view = following.run_view(target, execution)
        console.print(status_view(view))
    return 0 if view["status"] == "SUCCEEDED" else 1


@app.command("status")
def status(
    ctx: typer.Context,
    run: RUN = None,
    watch: Annotated[bool, typer.Option(help="Refresh until the run ends (exit 0/1)")] = False,
    as_json: JSON_OUTPUT = False,
) -> None:
    """The current (or latest) run: state, path, elapsed time, the job's own status."""
    target = target_of(ctx)
    sfn, machine = state_machine(target)
    execution = runs.resolve_run(sfn, machine, run)
    if watch:
        raise typer.Exit(_follow(target, execution, as_json))
    view = following.run_view(target, execution)
    if as_json:
        print_json(view)
    else:
        console.print(status_view(view))


def _waiting_approval(target: Target) -> tuple[Any, str, str]:
    """(client, run name, task token) of the run that waits for approval."""
    sfn, machine = state_machine(target)
    for item in runs.list_runs(sfn, machine, limit=100):
        if item["status"] != "RUNNING":
            continue
        token = runs.approval_token(runs.history_events(sfn, item["executionArn"]))
        if token:
            return sfn, item["name"], token
    raise UserError("no run is waiting for approval (see: sagebuild status)")


def _approver() -> str:
    import getpass

    return os.environ.get("SAGEBUILD_APPROVER") or getpass.getuser()


@app.command("approve")
def approve(ctx: typer.Context) -> None:
    """Approve the version that waits in Request Approval: it is deployed."""
    sfn, name, token = _waiting_approval(target_of(ctx))
    answer = {"approved": True, "by": _approver(), "at": datetime.now(UTC).isoformat()}
    sfn.send_task_success(taskToken=token, output=json.dumps(answer))
    console.print(f"approved {name} as {answer['by']}: it deploys now")


@app.command("reject")
def reject(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option(help="Why (goes into the failure notification)")] = "",
) -> None:
    """Reject the version that waits in Request Approval: it is not deployed."""
    sfn, name, token = _waiting_approval(target_of(ctx))
    who = _approver()
    cause = f"rejected by {who}" + (f": {reason}" if reason else "")
    sfn.send_task_failure(taskToken=token, error="ApprovalRejected", cause=cause)
    console.print(f"rejected {name}: {cause}")


@app.command("stop")
def stop(
    ctx: typer.Context,
    timeout: Annotated[
        int, typer.Option(help="Seconds to wait for its jobs to stop (0: do not wait)")
    ] = 600,
) -> None:
    """Stop the running run and wait until its training job, builds and hooks have stopped."""
    target = target_of(ctx)
    sfn, machine = state_machine(target)
    running = [r for r in runs.list_runs(sfn, machine, limit=100) if r["status"] == "RUNNING"]
    if not running:
        console.print("no run in progress: nothing to stop")
        return
    for item in running:
        document = runs.state_document(runs.history_events(sfn, item["executionArn"])) or {}
        sfn.stop_execution(
            executionArn=item["executionArn"],
            error="sagebuild.Stopped",
            cause="stopped with sagebuild stop",
        )
        console.print(f"stopped {item['name']}")
        if timeout <= 0:
            continue
        work = runs.run_work(document)
        left = runs.wait_stopped(target, work, timeout)
        for line in runs.describe_work(target, work):
            console.print(f"  {line}")
        if left:
            raise UserError(
                f"still running after {timeout} s: {', '.join(left)}; "
                "check again with: sagebuild status"
            )


@app.command("history")
def history(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many runs")] = 20,
    failed_triggers: Annotated[
        bool,
        typer.Option(
            "--failed-triggers",
            help="Triggers that started no run: rejected messages and dead-lettered events",
        ),
    ] = False,
    as_json: JSON_OUTPUT = False,
) -> None:
    """Past runs: run number, version, status, duration, trigger, metrics, endpoint config."""
    target = target_of(ctx)
    if failed_triggers:
        found = runs.failed_triggers(target, limit)
        empty = "no failed trigger: every trigger started a run or waits for one"
        _show_rows(found, as_json, empty, failed_triggers_table)
        return
    sfn, machine = state_machine(target)
    rows = [runs.run_row(sfn, item) for item in runs.list_runs(sfn, machine, limit=limit)]
    _show_rows(rows, as_json, "no run yet: start one with: sagebuild start", history_table)


def _show_rows(rows: list[dict[str, Any]], as_json: bool, empty: str, table: Any) -> None:
    if as_json:
        print_json(rows)
    elif not rows:
        console.print(empty)
    else:
        console.print(table(rows, console.width))


@app.command("logs")
def logs_command(
    ctx: typer.Context,
    run: RUN = None,
    kind: Annotated[str, typer.Option(help="training | build | steps")] = "training",
) -> None:
    """The logs of a run's training job, image builds or steps."""
    if kind not in logs.KINDS:
        raise UserError(f"--kind must be one of {', '.join(logs.KINDS)}, not {kind!r}")
    target = target_of(ctx)
    sfn, machine = state_machine(target)
    execution = runs.resolve_run(sfn, machine, run)
    events = runs.history_events(sfn, execution)
    document = runs.state_document(events) or {}
    if kind == "training":
        name = (document.get("training") or {}).get("name", "")
        if not name:
            raise UserError("this run has no training job")
        text = (
            logs.local_training_log(target.state_dir, name)
            if target.local
            else logs.cloudwatch_training_log(target.client("logs"), name)
        )
    elif kind == "build":
        names = [
            (document.get(k) or {}).get("name", "")
            for k in ("training_image_build", "inference_image_build")
        ]
        names = [n for n in names if n]
        if not names:
            raise UserError("this run built no image")
        project = "" if target.local else target.output("ImageBuildProject")
        text = "\n".join(
            f"== {n}\n"
            + (
                logs.local_build_log(target.state_dir, n)
                if target.local
                else logs.cloudwatch_build_log(target.client("logs"), project, n)
            )
            for n in names
        )
    else:
        text = following.timeline(events)
        if target.local:
            text += (
                f"\n(the step functions' own output is in the local server's log: "
                f"{target.state_dir / service.LOG_FILE})"
            )
        else:
            start_date = sfn.describe_execution(executionArn=execution).get("startDate")
            text += "\n" + logs.cloudwatch_step_logs(
                target.client("logs"), _stack_functions(target), start_date
            )
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _stack_functions(target: Target) -> list[str]:
    cfn = target.client("cloudformation")
    found = []
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=target.stack):
        found += [
            r["PhysicalResourceId"]
            for r in page["StackResourceSummaries"]
            if r["ResourceType"] == "AWS::Lambda::Function"
        ]
    return found
