"""Poll ETL / Poll PostProcess."""

from domain.hooks import poll_hook

from handlers.common import aws, get_settings, job_at, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    job = job_at(event["state"], event["hook"])
    return poll_hook(job, get_settings(), aws, now()).to_dict()
