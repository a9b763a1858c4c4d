"""Inference code with a bug: model_fn fails, so the model server never passes /ping.

Used to show (and test) that a failed endpoint update leaves the previous version serving.
"""


def model_fn(model_dir):
    raise RuntimeError("this model cannot be loaded (example of broken inference code)")
