"""CreateHyperParameterTuningJob requests (each range type, warm start) and the best artifact."""

import pytest
from domain.config import parse_config
from domain.errors import TuningFailed
from domain.requests import tuning_best_artifact, tuning_job_request
from request_fixtures import CTX, TAGS, TRAINING_DEFAULTS


def test_script_mode_tuning_request_with_every_range_type_and_warm_start():
    config = parse_config(
        {
            "configtrain": "SAGEMAKERHPO",
            "hyperparameters": {
                "epochs": 10,
                "lr": {"MinValue": 0.001, "MaxValue": 0.1, "ScalingType": "Logarithmic"},
                "layers": {"MinValue": "1", "MaxValue": "4", "integer": True},
                "optimizer": {"Values": ["sgd", "adam"]},
                "dropout": '{"MinValue": 0, "MaxValue": 0.5}',
            },
            "metrics": [{"Name": "loss", "Regex": "loss=([0-9.]+)"}],
            "tuningobjective": {"Name": "accuracy", "Type": "Maximize", "Regex": "acc=([0-9.]+)"},
            "maxtrainingjobs": "8",
            "maxparalleltrainingjobs": "2",
            "parentJobs": ["demo-v1-tuning", "demo-v2-tuning"],
            "WarmStartType": "TransferLearning",
        },
        "PYTORCH",
    )

    assert tuning_job_request(CTX, config) == {
        "HyperParameterTuningJobName": "demo-v3-tuning",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "accuracy"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 8, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "layers", "MinValue": "1", "MaxValue": "4"}],
                "ContinuousParameterRanges": [
                    {
                        "Name": "lr",
                        "MinValue": "0.001",
                        "MaxValue": "0.1",
                        "ScalingType": "Logarithmic",
                    },
                    {"Name": "dropout", "MinValue": "0", "MaxValue": "0.5"},
                ],
                "CategoricalParameterRanges": [
                    {"Name": "optimizer", "Values": ['"sgd"', '"adam"']}
                ],
            },
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": (
                    "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1.0-cpu-py310"
                ),
                "TrainingInputMode": "File",
                "MetricDefinitions": [
                    {"Name": "loss", "Regex": "loss=([0-9.]+)"},
                    {"Name": "accuracy", "Regex": "acc=([0-9.]+)"},
                ],
            },
            **TRAINING_DEFAULTS,
            "StaticHyperParameters": {
                "epochs": "10",
                "sagemaker_program": '"train.py"',
                "sagemaker_submit_directory": '"s3://demo-code/versions/training/v3.tar.gz"',
                "sagemaker_region": '"us-east-1"',
                "sagemaker_container_log_level": "20",
                "sagemaker_job_name": '"demo-v3-tuning"',
            },
        },
        "Tags": TAGS,
        "WarmStartConfig": {
            "ParentHyperParameterTuningJobs": [
                {"HyperParameterTuningJobName": "demo-v1-tuning"},
                {"HyperParameterTuningJobName": "demo-v2-tuning"},
            ],
            "WarmStartType": "TransferLearning",
        },
    }


def test_amazon_tuning_request_passes_values_as_given():
    config = parse_config(
        {
            "configtrain": "SAGEMAKERHPO",
            "hyperparameters": {
                "num_round": 100,
                "eta": {"MinValue": 0.1, "MaxValue": 0.5},
                "max_depth": {"MinValue": 3, "MaxValue": 9, "integer": "true"},
                "booster": {"Values": ["gbtree", "dart"]},
            },
            "tuningobjective": {"Name": "validation:rmse", "Type": "Minimize"},
            "maxtrainingjobs": 4,
            "spot": True,
        },
        "AMAZON",
    )

    assert tuning_job_request(CTX, config) == {
        "HyperParameterTuningJobName": "demo-v3-tuning",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {
                "Type": "Minimize",
                "MetricName": "validation:rmse",
            },
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": {
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "3", "MaxValue": "9"}],
                "ContinuousParameterRanges": [
                    {"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5"}
                ],
                "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}],
            },
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": (
                    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
                ),
                "TrainingInputMode": "File",
            },
            **TRAINING_DEFAULTS,
            "StaticHyperParameters": {"num_round": "100"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 14400, "MaxWaitTimeInSeconds": 14400},
            "EnableManagedSpotTraining": True,
        },
        "Tags": TAGS,
    }


def test_objective_already_in_metrics_is_not_repeated():
    config = parse_config(
        {
            "configtrain": "SAGEMAKERHPO",
            "hyperparameters": {"c": {"Values": [1, 10]}},
            "metrics": [{"Name": "acc", "Regex": "acc=(.*)"}],
            "tuningobjective": {"Name": "acc", "Type": "Maximize", "Regex": "acc=(.*)"},
        },
        "SCIKIT",
    )

    request = tuning_job_request(CTX, config)

    definition = request["TrainingJobDefinition"]["AlgorithmSpecification"]
    assert definition["MetricDefinitions"] == [{"Name": "acc", "Regex": "acc=(.*)"}]
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    assert ranges == {"CategoricalParameterRanges": [{"Name": "c", "Values": ["1", "10"]}]}


def test_best_artifact_is_the_best_jobs_model():
    description = {
        "HyperParameterTuningJobName": "demo-v3-tuning",
        "BestTrainingJob": {"TrainingJobName": "demo-v3-tuning-003-abc"},
    }

    assert tuning_best_artifact(description, "s3://demo-artifacts/") == (
        "s3://demo-artifacts/demo-v3-tuning-003-abc/output/model.tar.gz"
    )
    assert tuning_best_artifact(description, "s3://demo-artifacts") == (
        "s3://demo-artifacts/demo-v3-tuning-003-abc/output/model.tar.gz"
    )


def test_no_best_job_is_a_tuning_failure():
    with pytest.raises(TuningFailed, match="demo-v3-tuning has no best training job"):
        tuning_best_artifact({"HyperParameterTuningJobName": "demo-v3-tuning"}, "s3://a/")


def test_ranges_are_parsed_once_for_validation_and_the_request(monkeypatch):
    from domain.config import ranges

    calls: list[str] = []
    parse_range = ranges.parse_range

    def counted(name, value):
        calls.append(name)
        return parse_range(name, value)

    monkeypatch.setattr(ranges, "parse_range", counted)
    config = parse_config(
        {
            "configtrain": "SAGEMAKERHPO",
            "hyperparameters": {"epochs": 10, "lr": {"MinValue": 0.01, "MaxValue": 0.1}},
            "tuningobjective": {"Name": "acc", "Type": "Maximize", "Regex": "acc=([0-9.]+)"},
        },
        "SCIKIT",
    )
    request = tuning_job_request(CTX, config)

    assert sorted(calls) == ["epochs", "lr"]
    assert request["HyperParameterTuningJobConfig"]["ParameterRanges"] == {
        "ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.01", "MaxValue": "0.1"}]
    }
