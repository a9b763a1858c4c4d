"""Initialize: read and validate the parameters, assign the version and names."""

from domain.run import initialize_run

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    state = initialize_run(event.get("input") or {}, get_settings(), aws, event["execution"], now())
    state["run"]["execution_arn"] = event.get("execution_arn", "")
    logger.info(
        "run initialized", extra={"version": state["run"]["version"], "flags": state["flags"]}
    )
    return state
