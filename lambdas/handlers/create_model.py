"""Create Model."""

from domain.deployment import create_model

from handlers.common import aws, get_settings, logger, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return create_model(state_of(event), get_settings(), aws)
