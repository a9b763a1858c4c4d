"""Initialize: read and validate the parameters, assign the run number and names."""

from domain.run import initialize_run

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    state = initialize_run(event.get("input") or {}, get_settings(), aws, event["execution"], now())
    state["run"]["execution_arn"] = event.get("execution_arn", "")
    logger.info(
        "run initialized", extra={"run_number": state["run"]["run_number"], "flags": state["flags"]}
    )
    return state
