"""The example projects shipped in `examples/` and the run settings that go with them."""

from __future__ import annotations

from sagebuild import assets

EXAMPLES = assets.examples()
IRIS = EXAMPLES / "iris"
BYOD = EXAMPLES / "byod"
SPECIES = ["setosa", "versicolor", "virginica"]


def iris_parameters(source_uri: str) -> dict:
    """SCIKIT script mode on iris: the run settings the demo, CLI and notebooks use."""
    return {
        "trainsourcefile": source_uri,
        "trainentrypoint": "train.py",
        "channels": {"train": {"path": "train/iris"}},
        "hyperparameters": {"max_depth": 3},
        "metrics": [{"Name": "accuracy", "Regex": "accuracy=([0-9.]+)"}],
    }
