"""The error contract between the step handlers and the state machine.

Step Functions matches `ErrorEquals` on the exception class name, so renaming a class here
is an interface change: `tests/unit/test_asl_contract.py` checks every name used in the ASL.
"""


class SageBuildError(Exception):
    """Base of every error the pipeline raises on purpose."""


class InvalidParameters(SageBuildError):
    """The parameter document (or a launch override) does not match the schema."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Invalid parameters: " + "; ".join(problems))


class UnsupportedConfiguration(SageBuildError):
    """The configuration cannot run (retired framework, unknown region or algorithm)."""


class MissingSetting(SageBuildError):
    """A function's environment lacks a variable it needs."""


class InvalidState(SageBuildError):
    """A step received a payload that is not the state document the ASL passes (a bug)."""


class BuildFailed(SageBuildError):
    """A CodeBuild image build ended FAILED, FAULT, TIMED_OUT or STOPPED."""


class TrainingFailed(SageBuildError):
    """A training job ended Failed or Stopped."""


class TuningFailed(SageBuildError):
    """A tuning job ended Failed or Stopped, or found no best training job."""


class HookFailed(SageBuildError):
    """The ETL or PostProcess state machine did not succeed."""


class QualityGateFailed(SageBuildError):
    """The trained model does not reach the deploy gate (threshold or the live version)."""


class ApprovalRejected(SageBuildError):
    """A person rejected the new version (sent with SendTaskFailure by `sagebuild reject`)."""


class ModelArtifactNotFound(SageBuildError):
    """A run without training found no artifact to deploy."""


class DeployFailed(SageBuildError):
    """The endpoint did not come up on the new endpoint config."""


class SilentRollback(DeployFailed):
    """The endpoint is InService but runs another config than the one this run deployed."""


class PollBudgetExceeded(SageBuildError):
    """A start/poll loop ran more polls than its budget allows."""


class RollbackFailed(SageBuildError):
    """There is no earlier version to roll the endpoint back to."""


class ParameterTooLarge(SageBuildError):
    """A JSON document is larger than an SSM parameter holds (8,192 characters, Advanced)."""


# Names the ASL may use in ErrorEquals besides the States.* ones.
ERROR_NAMES = frozenset(
    cls.__name__
    for cls in (
        SageBuildError,
        InvalidParameters,
        UnsupportedConfiguration,
        MissingSetting,
        BuildFailed,
        TrainingFailed,
        TuningFailed,
        HookFailed,
        QualityGateFailed,
        ApprovalRejected,
        ModelArtifactNotFound,
        DeployFailed,
        SilentRollback,
        PollBudgetExceeded,
        RollbackFailed,
        ParameterTooLarge,
    )
)
