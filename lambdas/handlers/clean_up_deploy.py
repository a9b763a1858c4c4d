"""Clean Up Deploy: delete the new model and config; the endpoint only if it ended Failed."""

from domain.deployment import clean_up_deploy

from handlers.common import aws, logger, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return clean_up_deploy(state_of(event), aws)
