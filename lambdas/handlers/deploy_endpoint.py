"""Deploy Endpoint: create it, or update it to the new config."""

from domain.deployment import deploy_endpoint

from handlers.common import aws, get_settings, job_at, logger, now, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    state = state_of(event)
    return deploy_endpoint(job_at(state, "deployment"), state, get_settings(), aws, now()).to_dict()
