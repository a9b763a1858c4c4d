"""BYOD: the user's own training and inference images, built into the stack's repository.

Hyperparameters go to the container as given (strings); the model environment is
`modelhostingenvironment`. Image choice lives in `domain.requests.images`.
"""

from __future__ import annotations

from domain.requests.common import FrameworkBuilder


class ByodBuilder(FrameworkBuilder):
    family = "byod"
