"""Find Model Artifact: what a run without training deploys."""

from domain.training import find_model_artifact

from handlers.common import aws, get_settings, logger, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return find_model_artifact(state_of(event), get_settings(), aws).to_dict()
