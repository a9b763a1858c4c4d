"""Request builders: pure functions returning the exact boto3 request of each SageMaker call.

One module per framework family (`byod`, `amazon`, `framework`) behind one registry
(`builder_for`); `training`, `tuning` and `hosting` assemble the requests from them.
"""

from domain.requests.hosting import endpoint_config_request, model_request, variant_name
from domain.requests.registry import builder_for
from domain.requests.training import training_job_request
from domain.requests.tuning import tuning_best_artifact, tuning_job_request

__all__ = [
    "builder_for",
    "endpoint_config_request",
    "model_request",
    "training_job_request",
    "tuning_best_artifact",
    "tuning_job_request",
    "variant_name",
]
