"""Check Quality Gate: the trained model must reach `deploygate` before it is deployed."""

from domain.training import check_quality_gate

from handlers.common import aws, get_settings, logger, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return check_quality_gate(state_of(event), get_settings(), aws)
