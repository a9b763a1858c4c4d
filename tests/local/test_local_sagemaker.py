"""Local SageMaker (sagebuild.local.sagemaker) against moto: real jobs, real model servers."""

from __future__ import annotations

import io
import socket
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import joblib
import pytest
from botocore.exceptions import ClientError
from local_support import Aws, local_sagemaker_on_moto
from moto.server import ThreadedMotoServer

from sagebuild.local import images
from sagebuild.local import sagemaker as local_sagemaker

ROOT = Path(__file__).resolve().parents[2]
IRIS = ROOT / "examples" / "iris"
BYOD = ROOT / "examples" / "byod"
BUCKET = "sagebuild-local-test"
ROLE = "arn:aws:iam::123456789012:role/training"
SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ACCURACY = [{"Name": "validation:accuracy", "Regex": r"accuracy=([0-9.]+)"}]
SETOSA_AND_VIRGINICA = b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n"


@pytest.fixture(autouse=True)
def _dummy_credentials(dummy_credentials: None) -> None:
    """Every test here runs with the local tier's dummy credentials (tests/local/conftest.py)."""


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[Aws]:
    with local_sagemaker_on_moto(tmp_path / "local", BUCKET) as clients:
        yield clients


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _put(aws: Aws, key: str, data: bytes) -> str:
    aws.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
    return f"s3://{BUCKET}/{key}"


def _upload_iris(aws: Aws, script: bytes | None = None) -> str:
    _put(aws, "data/train/iris.csv", (IRIS / "iris.csv").read_bytes())
    code = script if script is not None else (IRIS / "train.py").read_bytes()
    return _put(aws, "code/sourcedir.tar.gz", _tar({"train.py": code}))


def _channel(name: str, uri: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
        "ContentType": "text/csv",
    }


def _start_training(
    aws: Aws,
    name: str,
    hyperparameters: dict[str, str],
    image: str = SKLEARN,
    max_runtime: int = 60,
    channels: list[dict[str, Any]] | None = None,
) -> None:
    aws.sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={
            "TrainingImage": image,
            "TrainingInputMode": "File",
            "MetricDefinitions": ACCURACY,
        },
        RoleArn=ROLE,
        HyperParameters=hyperparameters,
        InputDataConfig=channels or [_channel("train", f"s3://{BUCKET}/data/train")],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": max_runtime},
    )


def _script_mode(code_uri: str, **hyperparameters: str) -> dict[str, str]:
    return {
        "sagemaker_program": '"train.py"',
        "sagemaker_submit_directory": f'"{code_uri}"',
        **hyperparameters,
    }


def _wait(
    describe: Callable[[], dict[str, Any]], key: str, busy: tuple[str, ...]
) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        result = describe()
        if result[key] not in busy or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def _wait_training(aws: Aws, name: str) -> dict[str, Any]:
    return _wait(
        lambda: aws.sm.describe_training_job(TrainingJobName=name),
        "TrainingJobStatus",
        ("InProgress", "Stopping"),
    )


def _wait_endpoint(aws: Aws, name: str) -> dict[str, Any]:
    return _wait(
        lambda: aws.sm.describe_endpoint(EndpointName=name),
        "EndpointStatus",
        ("Creating", "Updating"),
    )


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- training ------------------------------------------------------------------------------


def test_training_job_runs_script_mode_and_uploads_model(aws: Aws) -> None:
    code = _upload_iris(aws)
    _start_training(aws, "iris-1", _script_mode(code, max_depth="3"))

    first = aws.sm.describe_training_job(TrainingJobName="iris-1")
    final = _wait_training(aws, "iris-1")

    assert first["TrainingJobStatus"] == "InProgress"
    assert final["TrainingJobStatus"] == "Completed", final.get("FailureReason")
    assert final["SecondaryStatus"] == "Completed"
    statuses = [t["Status"] for t in final["SecondaryStatusTransitions"]]
    assert statuses == ["Starting", "Downloading", "Training", "Uploading", "Completed"]
    metrics = {m["MetricName"]: m["Value"] for m in final["FinalMetricDataList"]}
    assert metrics["validation:accuracy"] > 0.9
    artifact = final["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == f"s3://{BUCKET}/output/iris-1/output/model.tar.gz"
    body = aws.s3.get_object(Bucket=BUCKET, Key="output/iris-1/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        assert "model.joblib" in archive.getnames()
    log = local_sagemaker.training_log("iris-1")
    assert "--max_depth 3" in log
    assert "accuracy=" in log


def test_training_job_passes_the_sagemaker_contract_to_the_script(aws: Aws) -> None:
    script = b"""
import json, os, sys
from pathlib import Path
hps = json.loads(Path(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json").read_text())
print("ARGS", sys.argv[1:])
print("CHANNELS", os.environ["SM_CHANNELS"], os.listdir(os.environ["SM_CHANNEL_TRAIN"]))
print("HPS", os.environ["SM_HPS"])
print("RAW", hps["sagemaker_program"])
print("HOSTS", os.environ["SM_HOSTS"], os.environ["SM_CURRENT_HOST"])
Path(os.environ["SM_MODEL_DIR"], "model.txt").write_text("ok")
"""
    code = _upload_iris(aws, script)
    _start_training(aws, "contract", _script_mode(code, criterion='"gini"', depth="2"))

    final = _wait_training(aws, "contract")

    assert final["TrainingJobStatus"] == "Completed", final.get("FailureReason")
    log = local_sagemaker.training_log("contract")
    assert "ARGS ['--criterion', 'gini', '--depth', '2']" in log
    assert """CHANNELS ["train"] ['iris.csv']""" in log
    assert 'HPS {"criterion": "gini", "depth": 2}' in log
    assert 'RAW "train.py"' in log
    assert 'HOSTS ["algo-1"] algo-1' in log


def test_training_job_failure_reason_is_the_last_log_lines(aws: Aws) -> None:
    code = _upload_iris(aws, b"raise ValueError('the data is bad')\n")
    _start_training(aws, "broken", _script_mode(code))

    final = _wait_training(aws, "broken")

    assert final["TrainingJobStatus"] == "Failed"
    assert final["FailureReason"].startswith("AlgorithmError: ExitCode 1")
    assert "ValueError: the data is bad" in final["FailureReason"]
    assert "ModelArtifacts" not in final or not final["ModelArtifacts"].get("S3ModelArtifacts")


def test_training_job_failure_reason_is_output_failure(aws: Aws) -> None:
    script = b"""
import os, sys
from pathlib import Path
Path(os.environ["SM_OUTPUT_DIR"], "failure").write_text("ClientError: channel train is empty")
sys.exit(2)
"""
    code = _upload_iris(aws, script)
    _start_training(aws, "failure-file", _script_mode(code))

    final = _wait_training(aws, "failure-file")

    assert final["TrainingJobStatus"] == "Failed"
    assert final["FailureReason"] == "ClientError: channel train is empty"


def test_training_job_over_max_runtime_is_stopped(aws: Aws) -> None:
    code = _upload_iris(aws, b"import time\ntime.sleep(60)\n")
    _start_training(aws, "too-long", _script_mode(code), max_runtime=1)

    final = _wait_training(aws, "too-long")

    assert final["TrainingJobStatus"] == "Stopped"
    assert final["SecondaryStatus"] == "MaxRuntimeExceeded"
    assert "MaxRuntimeExceeded" in final["FailureReason"]


def test_stop_training_job_stops_a_running_job(aws: Aws) -> None:
    code = _upload_iris(aws, b"import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    _start_training(aws, "to-stop", _script_mode(code))
    _wait(
        lambda: aws.sm.describe_training_job(TrainingJobName="to-stop"),
        "SecondaryStatus",
        ("Starting", "Downloading"),
    )

    aws.sm.stop_training_job(TrainingJobName="to-stop")
    stopping = aws.sm.describe_training_job(TrainingJobName="to-stop")
    final = _wait_training(aws, "to-stop")

    assert stopping["TrainingJobStatus"] in ("Stopping", "Stopped")
    assert final["TrainingJobStatus"] == "Stopped"
    assert final["SecondaryStatus"] == "Stopped"
    with pytest.raises(ClientError, match="status Stopped"):
        aws.sm.stop_training_job(TrainingJobName="to-stop")


def test_training_job_with_unknown_image_fails_with_clear_reason(aws: Aws) -> None:
    _start_training(aws, "unknown", {}, image="123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1")

    final = _wait_training(aws, "unknown")

    assert final["TrainingJobStatus"] == "Failed"
    assert "is not available in the local stack" in final["FailureReason"]


def test_training_job_with_tensorflow_image_is_not_runnable_locally(aws: Aws) -> None:
    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/tensorflow-training:2.13-cpu-py310"
    _start_training(aws, "tf", {"sagemaker_program": '"train.py"'}, image=image)

    final = _wait_training(aws, "tf")

    assert final["TrainingJobStatus"] == "Failed"
    assert "not runnable locally" in final["FailureReason"]


def test_duplicate_training_job_name_is_rejected(aws: Aws) -> None:
    _start_training(aws, "twice", {}, image="unknown:1")

    with pytest.raises(ClientError, match="already exists"):
        _start_training(aws, "twice", {}, image="unknown:1")


def test_builtin_xgboost_trains_and_serves_predictions(aws: Aws) -> None:
    _put(aws, "data/train/iris.csv", (IRIS / "iris.csv").read_bytes())
    _put(aws, "data/validation/iris.csv", (IRIS / "iris.csv").read_bytes())
    channels = [
        _channel("train", f"s3://{BUCKET}/data/train/"),
        _channel("validation", f"s3://{BUCKET}/data/validation/"),
    ]
    hps = {"num_round": "5", "objective": "multi:softmax", "num_class": "3", "max_depth": "3"}
    _start_training(aws, "xgb", hps, image=XGBOOST, channels=channels)

    final = _wait_training(aws, "xgb")

    assert final["TrainingJobStatus"] == "Completed", final.get("FailureReason")
    assert "[4]#011train-mlogloss:" in local_sagemaker.training_log("xgb")
    metrics = {m["MetricName"] for m in final["FinalMetricDataList"]}
    assert {"train:mlogloss", "validation:mlogloss"} <= metrics
    model_data = final["ModelArtifacts"]["S3ModelArtifacts"]
    aws.sm.create_model(
        ModelName="xgb",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": XGBOOST, "ModelDataUrl": model_data},
    )
    _create_endpoint(aws, "xgb-endpoint", "xgb-config", "xgb")
    assert _wait_endpoint(aws, "xgb-endpoint")["EndpointStatus"] == "InService"

    response = aws.runtime.invoke_endpoint(
        EndpointName="xgb-endpoint", Body=SETOSA_AND_VIRGINICA, ContentType="text/csv"
    )

    assert response["ContentType"] == "text/csv"
    assert response["Body"].read().decode().split() == ["0.0", "2.0"]


def test_training_job_without_builtin_num_round_fails_with_client_error(aws: Aws) -> None:
    _put(aws, "data/train/iris.csv", (IRIS / "iris.csv").read_bytes())
    _start_training(aws, "xgb-bad", {"objective": "multi:softmax"}, image=XGBOOST)

    final = _wait_training(aws, "xgb-bad")

    assert final["TrainingJobStatus"] == "Failed"
    assert final["FailureReason"] == "ClientError: Missing required hyperparameter: num_round"


# -- tuning --------------------------------------------------------------------------------


def test_tuning_job_runs_training_jobs_and_picks_the_best(aws: Aws) -> None:
    code = _upload_iris(aws)
    aws.sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="iris-tune",
        HyperParameterTuningJobConfig={
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {
                "Type": "Maximize",
                "MetricName": "validation:accuracy",
            },
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "4"}]
            },
        },
        TrainingJobDefinition={
            "StaticHyperParameters": _script_mode(code),
            "AlgorithmSpecification": {
                "TrainingImage": SKLEARN,
                "TrainingInputMode": "File",
                "MetricDefinitions": ACCURACY,
            },
            "RoleArn": ROLE,
            "InputDataConfig": [_channel("train", f"s3://{BUCKET}/data/train")],
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/output"},
            "ResourceConfig": {
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeSizeInGB": 5,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 60},
        },
    )

    first = aws.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="iris-tune")
    final = _wait(
        lambda: aws.sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="iris-tune"),
        "HyperParameterTuningJobStatus",
        ("InProgress", "Stopping"),
    )
    jobs = aws.sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="iris-tune", SortBy="FinalObjectiveMetricValue"
    )["TrainingJobSummaries"]

    assert first["HyperParameterTuningJobStatus"] == "InProgress"
    assert final["HyperParameterTuningJobStatus"] == "Completed"
    assert final["TrainingJobStatusCounters"]["Completed"] == 3
    assert len(jobs) == 3
    assert all(j["TrainingJobName"].startswith("iris-tune-00") for j in jobs)
    values = [j["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for j in jobs]
    best = final["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == max(values)
    assert best["TrainingJobName"] == jobs[0]["TrainingJobName"]
    assert "max_depth" in best["TunedHyperParameters"]


def test_sample_hyperparameters_stays_within_ranges() -> None:
    import random

    ranges = {
        "IntegerParameterRanges": [{"Name": "depth", "MinValue": "2", "MaxValue": "5"}],
        "ContinuousParameterRanges": [
            {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"}
        ],
        "CategoricalParameterRanges": [{"Name": "kind", "Values": ["a", "b"]}],
    }
    rng = random.Random(1)
    for _ in range(50):
        point = local_sagemaker.sample_hyperparameters(ranges, rng)
        assert 2 <= int(point["depth"]) <= 5
        assert 0.01 <= float(point["eta"]) <= 0.5
        assert point["kind"] in ("a", "b")


# -- endpoints -----------------------------------------------------------------------------


def _model_tar(depth: int = 3) -> bytes:
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier

    rows = np.loadtxt(IRIS / "iris.csv", delimiter=",")
    model = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(rows[:, 1:], rows[:, 0])
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return _tar({"model.joblib": buffer.getvalue()})


def _create_model(aws: Aws, name: str, model_tar: bytes) -> None:
    code = _put(aws, "code/sourcedir.tar.gz", _tar({"train.py": (IRIS / "train.py").read_bytes()}))
    data = _put(aws, f"models/{name}/model.tar.gz", model_tar)
    aws.sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": SKLEARN,
            "ModelDataUrl": data,
            "Environment": {"SAGEMAKER_PROGRAM": "train.py", "SAGEMAKER_SUBMIT_DIRECTORY": code},
        },
    )


def _create_config(aws: Aws, config: str, model: str) -> None:
    aws.sm.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )


def _create_endpoint(aws: Aws, endpoint: str, config: str, model: str) -> None:
    _create_config(aws, config, model)
    aws.sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config)


def _predict(aws: Aws, endpoint: str) -> Any:
    response = aws.runtime.invoke_endpoint(
        EndpointName=endpoint,
        Body=SETOSA_AND_VIRGINICA,
        ContentType="text/csv",
        Accept="application/json",
    )
    return response["Body"].read().decode()


def test_endpoint_goes_in_service_and_invoke_returns_real_predictions(aws: Aws) -> None:
    _create_model(aws, "iris-v1", _model_tar())
    _create_endpoint(aws, "iris", "iris-v1-config", "iris-v1")

    creating = aws.sm.describe_endpoint(EndpointName="iris")
    final = _wait_endpoint(aws, "iris")

    assert creating["EndpointStatus"] == "Creating"
    assert final["EndpointStatus"] == "InService", final.get("FailureReason")
    assert _predict(aws, "iris") == "[0.0, 2.0]"
    csv = aws.runtime.invoke_endpoint(
        EndpointName="iris", Body=SETOSA_AND_VIRGINICA, ContentType="text/csv", Accept="text/csv"
    )
    assert csv["Body"].read().decode().split() == ["0.0", "2.0"]


def test_invoke_with_bad_payload_is_a_model_error(aws: Aws) -> None:
    _create_model(aws, "iris-v1", _model_tar())
    _create_endpoint(aws, "iris", "iris-v1-config", "iris-v1")
    _wait_endpoint(aws, "iris")

    with pytest.raises(ClientError) as error:
        aws.runtime.invoke_endpoint(EndpointName="iris", Body=b"a,b", ContentType="text/csv")

    assert error.value.response["Error"]["Code"] == "ModelError"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424


def test_invoke_of_a_missing_endpoint_is_a_validation_error(aws: Aws) -> None:
    with pytest.raises(ClientError, match="Endpoint nowhere of account"):
        aws.runtime.invoke_endpoint(EndpointName="nowhere", Body=b"1", ContentType="text/csv")


def test_endpoint_with_a_broken_model_fails_with_reason(aws: Aws) -> None:
    _create_model(aws, "broken", _tar({"model.joblib": b"not a model"}))
    _create_endpoint(aws, "bad", "broken-config", "broken")

    final = _wait_endpoint(aws, "bad")

    assert final["EndpointStatus"] == "Failed"
    assert "did not pass the ping health check" in final["FailureReason"]
    assert "exited with code 1" in final["FailureReason"]


def test_update_endpoint_switches_config_after_ping_and_stops_old_server(aws: Aws) -> None:
    _create_model(aws, "iris-v1", _model_tar())
    _create_endpoint(aws, "iris", "iris-v1-config", "iris-v1")
    _wait_endpoint(aws, "iris")
    [old_port] = local_sagemaker.endpoint_ports("iris")
    _create_model(aws, "iris-v2", _model_tar(depth=1))
    _create_config(aws, "iris-v2-config", "iris-v2")

    aws.sm.update_endpoint(EndpointName="iris", EndpointConfigName="iris-v2-config")
    updating = aws.sm.describe_endpoint(EndpointName="iris")
    final = _wait_endpoint(aws, "iris")

    assert updating["EndpointStatus"] == "Updating"
    assert updating["EndpointConfigName"] == "iris-v1-config"
    assert final["EndpointStatus"] == "InService"
    assert final["EndpointConfigName"] == "iris-v2-config"
    assert "FailureReason" not in final
    assert _predict(aws, "iris") == "[0.0, 1.0]"  # a depth-1 tree cannot tell virginica
    assert not _port_open(old_port)


def test_failed_update_keeps_the_old_config_serving(aws: Aws) -> None:
    _create_model(aws, "iris-v1", _model_tar())
    _create_endpoint(aws, "iris", "iris-v1-config", "iris-v1")
    _wait_endpoint(aws, "iris")
    _create_model(aws, "broken", _tar({"model.joblib": b"not a model"}))
    _create_config(aws, "broken-config", "broken")

    aws.sm.update_endpoint(EndpointName="iris", EndpointConfigName="broken-config")
    final = _wait_endpoint(aws, "iris")

    assert final["EndpointStatus"] == "InService"
    assert final["EndpointConfigName"] == "iris-v1-config"
    assert "did not pass the ping health check" in final["FailureReason"]
    assert _predict(aws, "iris") == "[0.0, 2.0]"


def test_update_of_an_endpoint_that_is_not_in_service_is_rejected(aws: Aws) -> None:
    _create_model(aws, "iris-v1", _model_tar())
    _create_endpoint(aws, "iris", "iris-v1-config", "iris-v1")

    with pytest.raises(ClientError, match='Cannot update in-progress endpoint "arn:aws:sagemaker:'):
        aws.sm.update_endpoint(EndpointName="iris", EndpointConfigName="iris-v1-config")
    _wait_endpoint(aws, "iris")


def test_delete_endpoint_stops_its_server(aws: Aws) -> None:
    _create_model(aws, "iris-v1", _model_tar())
    _create_endpoint(aws, "iris", "iris-v1-config", "iris-v1")
    _wait_endpoint(aws, "iris")
    [port] = local_sagemaker.endpoint_ports("iris")
    assert _port_open(port)

    aws.sm.delete_endpoint(EndpointName="iris")

    assert not _port_open(port)
    assert local_sagemaker.endpoint_ports("iris") == []
    with pytest.raises(ClientError):
        aws.sm.describe_endpoint(EndpointName="iris")


def test_model_env_fail_hook_fails_the_endpoint(aws: Aws) -> None:
    data = _put(aws, "models/m/model.tar.gz", _model_tar())
    aws.sm.create_model(
        ModelName="hooked",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={
            "Image": SKLEARN,
            "ModelDataUrl": data,
            "Environment": {"SAGEBUILD_LOCAL_FAIL": "1"},
        },
    )
    _create_endpoint(aws, "hooked", "hooked-config", "hooked")

    final = _wait_endpoint(aws, "hooked")

    assert final["EndpointStatus"] == "Failed"
    assert "SAGEBUILD_LOCAL_FAIL" in final["FailureReason"]


# -- BYOD (proot) --------------------------------------------------------------------------


def _train_byod(aws: Aws, name: str, image: str) -> dict[str, Any]:
    """Training job `name` of the BYOD `image` on iris, once it has ended."""
    _put(aws, "data/train/iris.csv", (IRIS / "iris.csv").read_bytes())
    _start_training(aws, name, {"k": "1"}, image=image)
    return _wait_training(aws, name)


def _serve_byod(aws: Aws, name: str, image: str, job: dict[str, Any]) -> None:
    """Model, endpoint config and endpoint `name`: the BYOD `image` serving the job's model."""
    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    aws.sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": image, "ModelDataUrl": artifact},
    )
    _create_endpoint(aws, name, f"{name}-config", name)


def test_byod_image_trains_and_serves_through_proot(aws: Aws) -> None:
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/byod:Training_v1"
    images.register(uri, BYOD)

    final = _train_byod(aws, "byod", uri)

    assert final["TrainingJobStatus"] == "Completed", final.get("FailureReason")
    metrics = {m["MetricName"]: m["Value"] for m in final["FinalMetricDataList"]}
    assert metrics["validation:accuracy"] > 0.9
    _serve_byod(aws, "byod", uri, final)
    assert _wait_endpoint(aws, "byod")["EndpointStatus"] == "InService"

    response = aws.runtime.invoke_endpoint(
        EndpointName="byod", Body=SETOSA_AND_VIRGINICA, ContentType="text/csv"
    )

    assert response["Body"].read().decode().split() == ["0", "2"]


# -- server mode ---------------------------------------------------------------------------


def test_patches_work_in_threaded_server_mode(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    uninstall = local_sagemaker.install(tmp_path / "local")
    try:
        aws = Aws(endpoint_url=f"http://127.0.0.1:{port}")
        aws.s3.create_bucket(Bucket=BUCKET)
        code = _upload_iris(aws)
        _start_training(aws, "served", _script_mode(code, max_depth="2"))

        final = _wait_training(aws, "served")

        assert final["TrainingJobStatus"] == "Completed", final.get("FailureReason")
        assert aws.s3.head_object(Bucket=BUCKET, Key="output/served/output/model.tar.gz")
    finally:
        uninstall()
        server.stop()


def test_byod_serve_on_a_fixed_port_fails_with_a_message_naming_sagemaker_bind_to_port(
    aws: Aws, tmp_path: Path
) -> None:
    import shutil

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8080)) == 0:
            pytest.fail("port 8080 is taken on this machine; the test needs it free")
    image = tmp_path / "fixed-port"
    shutil.copytree(BYOD, image)
    serve = (image / "serve").read_text()
    (image / "serve").write_text(
        serve.replace('int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))', "8080")
    )
    uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/byod:fixed-port"
    images.register(uri, image)
    _serve_byod(aws, "fixed", uri, _train_byod(aws, "fixed", uri))

    described = _wait_endpoint(aws, "fixed")

    assert described["EndpointStatus"] == "Failed"
    assert "instead of SAGEMAKER_BIND_TO_PORT=" in described["FailureReason"]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", 8080)) != 0, "the server on 8080 was not stopped"


# -- install -------------------------------------------------------------------------------


def test_uninstall_puts_moto_back_and_a_second_install_replaces_the_first(tmp_path: Path) -> None:
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    patched = [
        (SageMakerModelBackend, "create_training_job"),
        (SageMakerModelBackend, "create_endpoint"),
        (SageMakerModelBackend, "update_endpoint"),  # moto 5.2.5 has none
        (SageMakerResponse, "update_endpoint"),  # moto 5.2.5 has none
        (SageMakerRuntimeResponse, "invoke_endpoint"),
    ]
    moto = [vars(owner).get(name) for owner, name in patched]
    first = local_sagemaker.install(tmp_path / "first")
    second = local_sagemaker.install(tmp_path / "second")

    first()  # replaced by the second installation: undoes nothing

    assert all(vars(owner).get(name) is not None for owner, name in patched)
    assert all(vars(o).get(n) is not m for (o, n), m in zip(patched, moto, strict=True))
    second()
    assert [vars(owner).get(name) for owner, name in patched] == moto
    with pytest.raises(RuntimeError, match="not installed"):
        local_sagemaker.training_log("any")
