"""Create Endpoint Config."""

from domain.deployment import create_endpoint_config

from handlers.common import aws, get_settings, logger, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return create_endpoint_config(state_of(event), get_settings(), aws)
