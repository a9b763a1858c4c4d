"""Record Version: the run's version becomes the last successful one."""

from domain.versions import record_version

from handlers.common import aws, get_settings, logger, now, state_of


@logger.inject_lambda_context
def handler(event: dict, context: object) -> dict:
    return record_version(state_of(event), get_settings().version_parameter_name, aws, now())
