"""Start Tuning Job."""

from domain.training import start_tuning_job

from handlers.common import aws, get_settings, logger, now, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return start_tuning_job(state_of(event), get_settings(), aws, now()).to_dict()
