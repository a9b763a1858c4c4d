"""Run Ended: on a run's status event, stop what a failed run left running, start what waits."""

from typing import Any

from domain.launch import advance
from domain.notifications import publish, stopped_notification
from domain.run_table import RunTable
from domain.stopping import ENDED_BADLY, EndedRun, last_state, stop_run_work

from handlers.common import aws, get_settings, logger, now


def _ended_run(event: object) -> EndedRun | None:
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict) or not isinstance(detail.get("executionArn"), str):
        return None
    return EndedRun(detail["executionArn"], str(detail.get("status", "")))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    settings = get_settings()
    run = _ended_run(event)
    stopped: list[str] = []
    if run is None:
        logger.warning("not a Step Functions status event; only the queue is advanced")
    elif run.status in ENDED_BADLY:
        state = last_state(aws, run.execution_arn)
        machines = {
            "etl": settings.etl_state_machine,
            "postprocess": settings.postprocess_state_machine,
        }
        stopped = stop_run_work(run, state, aws, machines)
        if stopped or run.status != "FAILED":  # a failed run already sent its notification
            notification = stopped_notification(
                run.name, run.status, state, stopped, settings.stack_name
            )
            publish(settings.status_topic_arn, notification, aws)
        logger.info("run ended", extra={"execution": run.name, "stopped": stopped})
    outcome = advance(RunTable(aws, settings.run_table), aws, settings.state_machine_arn, now())
    logger.info("launch", extra={"outcome": outcome.line()})
    return {"stopped": stopped, "next": outcome.line()}
