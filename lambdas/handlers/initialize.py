"""Initialize: validate the parameters, assign the run number and names, decide the path."""

from __future__ import annotations

from typing import Any

from domain.run import initialize_run
from domain.state import LaunchInput

from handlers.common import argument, aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    inputs = LaunchInput.from_dict(event.get("state") or {})
    execution = argument(event, "execution")
    state = initialize_run(
        inputs, get_settings(), aws, execution, str(event.get("execution_arn", "")), now()
    )
    logger.info(
        "run initialized",
        extra={"run_number": state.run.run_number, "flags": state.flags.to_dict()},
    )
    return state.to_dict()
