"""Poll Training Job."""

from domain.training import poll_training_job

from handlers.common import aws, get_settings, job_at, logger, now, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    job = job_at(state_of(event), "training")
    return poll_training_job(job, get_settings(), aws, now()).to_dict()
