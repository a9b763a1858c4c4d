"""The local model server: `python -m sagebuild.local.serving --model-dir D --code-dir C --port P`.

It answers `GET /ping` and `POST /invocations` like a SageMaker framework inference container.
Requests go through the inference toolkits' handler convention: the user's module
(`SAGEMAKER_PROGRAM`, found in the code directory) may define `model_fn(model_dir)`,
`input_fn(body, content_type)`, `predict_fn(data, model)`, `output_fn(prediction, accept)` or
`transform_fn(model, body, content_type, accept)`; what it does not define falls back to:

- `model_fn`: `xgboost-model` (or `*.json`/`*.ubj`/`*.bst`) → an XGBoost Booster, `*.joblib` /
  `*.pkl` / `*.pickle` → joblib;
- `input_fn`: `text/csv` → 2-D float array, `application/json` → the decoded list (or its
  `instances`), `application/x-npy` → array;
- `predict_fn`: `model.predict(data)` (a Booster predicts on a DMatrix);
- `output_fn`: `application/json` (default) or `text/csv` by `Accept`.

Test hook: the model environment variable `SAGEBUILD_LOCAL_FAIL=1` makes the server exit at
start, like a model that cannot load.

The model is loaded before the port opens: a model that cannot load makes the process exit
with the error on stderr, so `/ping` never answers and the endpoint fails with that reason.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any


class HandlerError(Exception):
    """A request the handlers refuse; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _is_booster(model: Any) -> bool:
    return type(model).__name__ == "Booster" and type(model).__module__.startswith("xgboost")


def default_model_fn(model_dir: str) -> Any:
    root = Path(model_dir)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        if (
            path.name == "xgboost-model"
            or path.suffix in (".ubj", ".bst")
            or (path.suffix == ".json" and "xgboost" in path.name)
        ):
            import xgboost as xgb

            booster = xgb.Booster()
            booster.load_model(str(path))
            return booster
    for path in files:
        if path.suffix in (".joblib", ".pkl", ".pickle"):
            import joblib

            return joblib.load(path)
    names = [str(p.relative_to(root)) for p in files] or "nothing"
    raise FileNotFoundError(f"no model file (xgboost-model, *.joblib, *.pkl) in {names}")


def default_input_fn(body: bytes, content_type: str) -> Any:
    kind = (content_type or "text/csv").split(";")[0].strip().lower()
    if kind in ("text/csv", "csv"):
        import numpy as np

        return np.loadtxt(io.StringIO(body.decode("utf-8")), delimiter=",", ndmin=2)
    if kind == "application/json":
        data = json.loads(body.decode("utf-8"))
        if isinstance(data, dict) and "instances" in data:
            data = data["instances"]
        return data
    if kind == "application/x-npy":
        import numpy as np

        return np.load(io.BytesIO(body), allow_pickle=False)
    raise HandlerError(415, f"unsupported content type {content_type}")


def default_predict_fn(data: Any, model: Any) -> Any:
    if _is_booster(model):
        import numpy as np
        import xgboost as xgb

        return model.predict(xgb.DMatrix(np.asarray(data, dtype=float)))
    return model.predict(data)


def _as_list(prediction: Any) -> Any:
    return prediction.tolist() if hasattr(prediction, "tolist") else prediction


def default_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    kind = (accept or "application/json").split(";")[0].strip().lower()
    values = _as_list(prediction)
    if kind in ("application/json", "*/*"):
        return json.dumps(values).encode(), "application/json"
    if kind in ("text/csv", "csv"):
        rows = values if isinstance(values, list) else [values]
        lines = [
            ",".join(str(v) for v in row) if isinstance(row, list) else str(row) for row in rows
        ]
        return ("\n".join(lines) + "\n").encode(), "text/csv"
    raise HandlerError(406, f"unsupported accept type {accept}")


def load_user_module(code_dir: str | None, program: str | None) -> ModuleType | None:
    """Import `program` from `code_dir` (without running its `__main__` block)."""
    if not code_dir or not program:
        return None
    path = Path(code_dir) / program
    if not path.suffix:
        path = path.with_suffix(".py")
    if not path.is_file():
        raise FileNotFoundError(f"SAGEMAKER_PROGRAM {program} not found in {code_dir}")
    sys.path.insert(0, code_dir)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Predictor:
    """The loaded model plus the handler functions (the user's or the defaults)."""

    def __init__(
        self,
        model_dir: str,
        module: ModuleType | None = None,
        default_accept: str = "application/json",
    ) -> None:
        self.module = module
        self.default_accept = default_accept
        self.model = self._fn("model_fn", default_model_fn)(model_dir)

    def _fn(self, name: str, default: Any) -> Any:
        return getattr(self.module, name, None) or default

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        accept = accept if accept and accept != "*/*" else self.default_accept
        transform = getattr(self.module, "transform_fn", None)
        if transform is not None:
            result = transform(self.model, body, content_type, accept)
        else:
            data = self._fn("input_fn", default_input_fn)(body, content_type)
            prediction = self._fn("predict_fn", default_predict_fn)(data, self.model)
            result = self._fn("output_fn", default_output_fn)(prediction, accept)
        if isinstance(result, tuple):
            payload, kind = result
        else:
            payload, kind = result, accept
        if isinstance(payload, str):
            payload = payload.encode()
        return bytes(payload), kind


def make_handler(predictor: Predictor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.split("?")[0] == "/ping":
                self._send(200, b"")
            elif self.path.split("?")[0] == "/execution-parameters":
                params = {"MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD"}
                self._send(200, json.dumps(params).encode(), "application/json")
            else:
                self._send(404, b"not found")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path.split("?")[0] != "/invocations":
                self._send(404, b"not found")
                return
            try:
                payload, kind = predictor.invoke(
                    body,
                    self.headers.get("Content-Type", "text/csv"),
                    self.headers.get("Accept", ""),
                )
            except HandlerError as error:
                self._send(error.status, str(error).encode())
            except Exception as error:  # noqa: BLE001 - a bad request must not kill the server
                traceback.print_exc()
                self._send(500, f"{type(error).__name__}: {error}".encode())
            else:
                self._send(200, payload, kind)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            print(f"{self.address_string()} - {format % args}", flush=True)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sagebuild.local.serving")
    parser.add_argument("--model-dir", default="/opt/ml/model")
    parser.add_argument("--code-dir", default=os.environ.get("SAGEMAKER_SUBMIT_DIRECTORY_LOCAL"))
    parser.add_argument("--program", default=os.environ.get("SAGEMAKER_PROGRAM"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--default-accept", default="application/json")
    args = parser.parse_args(argv)
    if os.environ.get("SAGEBUILD_LOCAL_FAIL") == "1":
        print("model server cannot start: SAGEBUILD_LOCAL_FAIL=1 (test hook)", flush=True)
        return 1
    try:
        module = load_user_module(args.code_dir, args.program)
        predictor = Predictor(args.model_dir, module, args.default_accept)
    except Exception as error:  # noqa: BLE001 - report why the model cannot be served
        traceback.print_exc()
        print(f"model server cannot start: {type(error).__name__}: {error}", flush=True)
        return 1
    server = ThreadingHTTPServer((args.host, args.port), make_handler(predictor))
    print(f"model server listening on {args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
