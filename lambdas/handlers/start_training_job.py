"""Start Training Job."""

from domain.training import start_training_job

from handlers.common import aws, get_settings, logger, now, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return start_training_job(state_of(event), get_settings(), aws, now()).to_dict()
