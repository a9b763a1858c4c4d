"""AMAZON: SageMaker's built-in algorithms (same image for training and hosting).

Built-in algorithms reject unknown hyperparameters and predefine their metrics, so nothing
is added to what the user gives.
"""

from __future__ import annotations

from domain.requests.common import FrameworkBuilder


class AmazonBuilder(FrameworkBuilder):
    family = "amazon"
