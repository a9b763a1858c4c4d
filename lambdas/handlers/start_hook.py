"""Start ETL / Start PostProcess: start the user's state machine."""

from domain.hooks import start_hook

from handlers.common import aws, get_settings, logger, now


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return start_hook(event["hook"], event["state"], get_settings(), aws, now()).to_dict()
