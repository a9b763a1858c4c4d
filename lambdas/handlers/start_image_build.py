"""Start Training Image Build / Start Inference Image Build (CodeBuild)."""

from domain.builds import start_image_build

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return start_image_build(event["image"], event["state"], get_settings(), aws, now()).to_dict()
