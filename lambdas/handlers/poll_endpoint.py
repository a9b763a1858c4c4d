"""Poll Endpoint."""

from domain.deployment import poll_endpoint

from handlers.common import aws, get_settings, job_at, logger, now, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    job = job_at(state_of(event), "deployment")
    return poll_endpoint(job, get_settings(), aws, now()).to_dict()
