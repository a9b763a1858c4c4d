"""Iris classifier: a SageMaker script-mode entry point for the scikit-learn framework image.

Training (`python train.py --max_depth 3`): reads every CSV file of the `train` channel
(`SM_CHANNEL_TRAIN`; header-less, label first: 0 setosa, 1 versicolor, 2 virginica, then
sepal length, sepal width, petal length, petal width in cm), holds out a fixed 20 % (or uses
the `validation` channel when given), fits a decision tree (or `--model logistic`), prints
`accuracy=0.9667` and saves `model.joblib` to `SM_MODEL_DIR`.

Serving: the inference toolkits import this module and call `model_fn`; input and output use
the defaults (CSV or JSON rows of four features in, class numbers out).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import joblib
import numpy as np


def load_rows(directory: str) -> np.ndarray:
    files = sorted(p for p in Path(directory).rglob("*.csv") if p.is_file())
    if not files:
        raise FileNotFoundError(f"no data files in {directory}")
    return np.vstack([np.loadtxt(f, delimiter=",", ndmin=2) for f in files])


def split(rows: np.ndarray, holdout: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(0).permutation(len(rows))
    cut = int(len(rows) * (1 - holdout))
    return rows[order[:cut]], rows[order[cut:]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max_depth", type=int, default=3)
    parser.add_argument("--model", choices=["tree", "logistic"], default="tree")
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument("--train", default=os.environ.get("SM_CHANNEL_TRAIN"))
    parser.add_argument("--validation", default=os.environ.get("SM_CHANNEL_VALIDATION"))
    args, _ = parser.parse_known_args()

    rows = load_rows(args.train)
    if args.validation:
        train, test = rows, load_rows(args.validation)
    else:
        train, test = split(rows)
    if args.model == "logistic":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(max_iter=500)
    else:
        from sklearn.tree import DecisionTreeClassifier

        model = DecisionTreeClassifier(max_depth=args.max_depth, random_state=0)
    model.fit(train[:, 1:], train[:, 0].astype(int))
    accuracy = float((model.predict(test[:, 1:]) == test[:, 0].astype(int)).mean())
    print(f"train_rows={len(train)} test_rows={len(test)}")
    print(f"accuracy={accuracy:.4f}")
    Path(args.model_dir).mkdir(parents=True, exist_ok=True)
    joblib.dump(model, Path(args.model_dir) / "model.joblib")


def model_fn(model_dir: str):  # noqa: ANN201 - the inference toolkit's signature
    """Load the fitted model for serving."""
    return joblib.load(Path(model_dir) / "model.joblib")


if __name__ == "__main__":
    main()
