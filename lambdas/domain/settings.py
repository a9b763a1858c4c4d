"""The step functions' settings: one typed object built from an environment mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from domain.errors import MissingSetting

# Variables that may be empty strings ("" = feature not used).
_OPTIONAL = {
    "TRAINING_CONFIG_LAMBDA",
    "MODEL_CONFIG_LAMBDA",
    "ENDPOINT_CONFIG_LAMBDA",
    "ETL_STATE_MACHINE",
    "POSTPROCESS_STATE_MACHINE",
    "STATE_MACHINE_ARN",
    "LAUNCH_TOPIC_ARN",
    "ENDPOINT_NAME",
    "POLL_FLOOR_SECONDS",
    "RUN_TABLE",
}
_EMPTY_MARKERS = {"", "EMPTY", "NONE"}


@dataclass(frozen=True)
class Settings:
    stack_name: str
    parameter_name: str
    version_parameter_name: str
    status_topic_arn: str
    data_bucket: str
    artifact_bucket: str
    checkpoint_bucket: str
    code_bucket: str
    image_repository_uri: str
    image_build_project: str
    training_role_arn: str
    model_role_arn: str
    config_framework: str
    endpoint_name: str = ""
    launch_topic_arn: str = ""
    state_machine_arn: str = ""
    training_config_lambda: str = ""
    model_config_lambda: str = ""
    endpoint_config_lambda: str = ""
    etl_state_machine: str = ""
    postprocess_state_machine: str = ""
    run_table: str = ""
    poll_floor_seconds: int = 30

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Build the settings; a missing required variable raises MissingSetting naming it."""
        values: dict[str, object] = {}
        for field in fields(cls):
            var = field.name.upper()
            raw = environ.get(var)
            if raw is None and var not in _OPTIONAL:
                raise MissingSetting(f"environment variable {var} is not set")
            if raw is None:
                continue
            value = "" if raw.strip() in _EMPTY_MARKERS else raw.strip()
            if field.name == "poll_floor_seconds":
                values[field.name] = int(value) if value else 30
            else:
                values[field.name] = value
        return cls(**values)  # type: ignore[arg-type]

    @property
    def region(self) -> str:
        return self.status_topic_arn.split(":")[3]

    @property
    def account(self) -> str:
        return self.status_topic_arn.split(":")[4]
