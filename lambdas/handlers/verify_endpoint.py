"""Verify Endpoint: the endpoint must run this run's config (SageMaker's silent rollback)."""

from domain.deployment import verify_endpoint

from handlers.common import job_at, logger, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    verify_endpoint(job_at(state_of(event), "deployment"))
    return {"verified": True}
