"""Iris with XGBoost in script mode (the XGBOOST framework: SageMaker's XGBoost image runs it).

Training (`python train.py --num_round 30 --max_depth 3`): reads the CSV files of the `train`
channel (header-less, label first), holds out 20 %, trains a multi-class Booster, prints
`validation-merror=0.0333` and saves it as `xgboost-model` in SM_MODEL_DIR.

Serving: the container's default `model_fn` loads `xgboost-model`; CSV rows of four features in,
class numbers out.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import xgboost as xgb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--num_round", type=int, default=30)
    parser.add_argument("--max_depth", type=int, default=3)
    parser.add_argument("--eta", type=float, default=0.3)
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    args, _ = parser.parse_known_args()

    files = sorted(Path(args.train).rglob("*.csv"))
    rows = np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in files])
    order = np.random.default_rng(0).permutation(len(rows))
    cut = int(len(rows) * 0.8)
    train, test = rows[order[:cut]], rows[order[cut:]]
    dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0])
    dtest = xgb.DMatrix(test[:, 1:], label=test[:, 0])
    params = {
        "objective": "multi:softmax",
        "num_class": 3,
        "max_depth": args.max_depth,
        "eta": args.eta,
        "eval_metric": "merror",
    }
    booster = xgb.train(params, dtrain, num_boost_round=args.num_round)
    error = float((booster.predict(dtest) != test[:, 0]).mean())
    print(f"validation-merror={error:.4f}")
    Path(args.model_dir).mkdir(parents=True, exist_ok=True)
    booster.save_model(str(Path(args.model_dir) / "xgboost-model"))


if __name__ == "__main__":
    main()
