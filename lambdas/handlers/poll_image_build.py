"""Poll Training Image Build / Poll Inference Image Build."""

from domain.builds import poll_image_build

from handlers.common import aws, get_settings, job_at, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    job = job_at(event["state"], f"{event['image']}_image_build")
    return poll_image_build(job, get_settings(), aws, now()).to_dict()
