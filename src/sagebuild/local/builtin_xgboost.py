"""The built-in XGBoost algorithm, locally: `python -m sagebuild.local.builtin_xgboost <opt_ml>`.

A small trainer with the algorithm's contract (SageMaker Developer Guide, "XGBoost algorithm"):
label-first CSV or libsvm in the `train` channel, optional `validation`, `num_round` and the
booster's hyperparameters, `[i]#011train-rmse:...` log lines, `xgboost-model` in the model
directory, failures in `output/failure`. Only stdlib imports at module level (xgboost and numpy
are imported by the program): `training` imports this module for `builtin_xgboost_metrics`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from sagebuild.local.container import decode_hyperparameters

_NUMBER = r"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"


def builtin_xgboost_metrics(log: str) -> dict[str, float]:
    """The built-in algorithm's own metrics: `[i]#011validation-error:0.1` → validation:error."""
    metrics: dict[str, float] = {}
    for line in log.splitlines():
        if not re.match(r"^\[\d+\]", line):
            continue
        for part in line.split("#011")[1:]:
            match = re.match(rf"^(\w+)-([\w@.]+):({_NUMBER})", part.strip())
            if match:
                metrics[f"{match.group(1)}:{match.group(2)}"] = float(match.group(3))
    return metrics


def _number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def _load_channel(directory: Path, content_type: str) -> Any:
    import numpy as np
    import xgboost as xgb

    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ValueError(f"no data files in channel {directory.name}")
    first = files[0].read_text(errors="replace").split("\n", 1)[0]
    libsvm = "libsvm" in content_type or ("csv" not in content_type and ":" in first)
    if libsvm:
        return xgb.DMatrix(f"{files[0]}?format=libsvm")
    rows = np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in files])
    return xgb.DMatrix(rows[:, 1:], label=rows[:, 0])


def builtin_xgboost_main(opt_ml: Path) -> int:
    """Train like SageMaker's built-in XGBoost; failures go to `output/failure`."""
    failure = opt_ml / "output" / "failure"
    try:
        import xgboost as xgb

        hps = {
            k: _number(v)
            for k, v in decode_hyperparameters(
                json.loads((opt_ml / "input/config/hyperparameters.json").read_text())
            ).items()
            if not k.startswith("sagemaker_") and not k.startswith("_")
        }
        channels = json.loads((opt_ml / "input/config/inputdataconfig.json").read_text())
        if "num_round" not in hps:
            raise ValueError("Missing required hyperparameter: num_round")
        if "train" not in channels:
            raise ValueError("Missing required channel: train")
        num_round = int(hps.pop("num_round"))
        hps.setdefault("objective", "reg:squarederror")
        hps.pop("early_stopping_rounds", None)
        data = opt_ml / "input" / "data"
        dtrain = _load_channel(data / "train", channels["train"].get("ContentType", ""))
        evals = [(dtrain, "train")]
        if "validation" in channels:
            content = channels["validation"].get("ContentType", "")
            evals.append((_load_channel(data / "validation", content), "validation"))
    except Exception as error:  # noqa: BLE001 - the algorithm reports client errors this way
        failure.write_text(f"ClientError: {error}")
        print(f"ClientError: {error}", flush=True)
        return 1

    class _SageMakerLog(xgb.callback.TrainingCallback):
        def after_iteration(self, _model: Any, epoch: int, evals_log: Any) -> bool:
            parts = [
                f"#011{data_name}-{metric}:{values[-1]:.5f}"
                for data_name, metrics in evals_log.items()
                for metric, values in metrics.items()
            ]
            print(f"[{epoch}]" + "".join(parts), flush=True)
            return False

    try:
        booster = xgb.train(
            hps, dtrain, num_round, evals=evals, verbose_eval=False, callbacks=[_SageMakerLog()]
        )
        booster.save_model(str(opt_ml / "model" / "xgboost-model"))
    except Exception as error:  # noqa: BLE001
        failure.write_text(f"AlgorithmError: {error}")
        print(f"AlgorithmError: {error}", flush=True)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 1:
        return builtin_xgboost_main(Path(argv[0]))
    print("usage: python -m sagebuild.local.builtin_xgboost <opt_ml dir>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
