"""Configure Autoscaling: the deployed variant scales on invocations (if `autoscaling` is set)."""

from domain.autoscaling import configure_autoscaling

from handlers.common import aws, logger, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return configure_autoscaling(state_of(event), aws)
