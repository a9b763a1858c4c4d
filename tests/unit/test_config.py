"""The parameter document schema: defaults per framework, coercion, and every-problem errors."""

import pytest
from domain.config import (
    FRAMEWORKS,
    defaults_for,
    merge_overrides,
    parse_config,
)
from domain.errors import InvalidParameters, UnsupportedConfiguration


def problems_of(document: dict, framework: str = "PYTORCH") -> list[str]:
    with pytest.raises(InvalidParameters) as raised:
        parse_config(document, framework)
    return raised.value.problems


@pytest.mark.parametrize(
    ("framework", "version", "py"),
    [
        ("SCIKIT", "1.2-1", "py3"),
        ("XGBOOST", "1.7-1", "py3"),
        ("PYTORCH", "2.1", "py310"),
        ("TENSORFLOW", "2.13", "py310"),
        ("MXNET", "1.9", "py38"),
    ],
)
def test_script_mode_defaults_use_current_framework_versions(framework, version, py):
    config = parse_config({}, framework)

    assert (config.framework, config.frameworkversion, config.pyversion) == (framework, version, py)
    assert config.trainentrypoint == "train.py"
    assert config.hostentrypoint == "train.py"


def test_amazon_defaults_to_xgboost_1_7_1():
    config = parse_config({}, "AMAZON")

    assert (config.algorithm, config.frameworkversion) == ("xgboost", "1.7-1")


def test_byod_defaults_to_the_original_dockerfile_paths():
    config = parse_config({}, "BYOD")

    assert config.dockerfile_path_Training == "training/docker"
    assert config.dockerfile_path_Inference == "inference/docker"
    assert config.frameworkversion is None
    assert config.build_training_image and config.build_inference_image


def test_defaults_differ_per_framework():
    seeds = {framework: defaults_for(framework) for framework in FRAMEWORKS}

    assert seeds["SCIKIT"]["frameworkversion"] == "1.2-1"
    assert seeds["PYTORCH"]["frameworkversion"] == "2.1"
    assert "frameworkversion" not in seeds["BYOD"]
    assert "dockerfile_path_Training" not in seeds["PYTORCH"]
    assert seeds["AMAZON"]["algorithm"] == "xgboost"


def test_defaults_leave_out_derived_keys_so_they_follow_their_source():
    seed = defaults_for("PYTORCH")

    assert "pyversion" not in seed
    config = parse_config({**seed, "frameworkversion": "2.3"}, "PYTORCH")
    assert config.pyversion == "py311"


def test_amazon_version_follows_the_algorithm():
    config = parse_config({**defaults_for("AMAZON"), "algorithm": "kmeans"}, "AMAZON")

    assert config.frameworkversion == "1"


def test_original_string_numbers_are_coerced():
    config = parse_config(
        {
            "traininstancecount": "2",
            "trainvolumesize": "30",
            "trainmaxrun": "4",
            "hostinstancecount": "1",
            "maxtrainingjobs": "4",
            "containerloglevel": "10",
            "enablecloudwatchmetrics": "false",
        },
        "SCIKIT",
    )

    assert config.traininstancecount == 2
    assert config.trainvolumesize == 30
    assert config.trainmaxrun == 4
    assert config.maxtrainingjobs == 4
    assert config.containerloglevel == 10
    assert config.enablecloudwatchmetrics is False


def test_original_none_strings_mean_unset():
    config = parse_config({"trainsourcefile": "none", "hostentrypoint": "none"}, "SCIKIT")

    assert config.trainsourcefile is None
    assert config.hostentrypoint == "train.py"


def test_every_bad_key_is_reported_in_plain_sentences():
    problems = problems_of(
        {
            "traininstancecount": "two",
            "traininstancetyp": "ml.m5.large",
            "inputmode": "Stream",
            "trainmaxrun": 0,
            "hostinstancetype": "m5.large",
            "deployEndpoint": "maybe",
            "ModelArtifacts": "bucket/model.tar.gz",
        }
    )

    assert sorted(problems) == sorted(
        [
            "unknown key 'traininstancetyp' (did you mean 'traininstancetype'?)",
            "traininstancecount: expected a whole number from 1 to 100, got 'two'",
            "inputmode: expected one of 'File', 'Pipe', 'FastFile', got 'Stream'",
            "trainmaxrun: expected a number of hours from 1 second (1/3600) to 672 (28 days), "
            "got 0",
            "hostinstancetype: expected a SageMaker instance type like 'ml.m5.large', "
            "got 'm5.large'",
            "deployEndpoint: expected true or false, got 'maybe'",
            "ModelArtifacts: expected an S3 URI like 's3://bucket/key', got 'bucket/model.tar.gz'",
        ]
    )


def test_unknown_key_suggestion_ignores_case():
    assert problems_of({"TrainInstanceType": "ml.m5.large"}) == [
        "unknown key 'TrainInstanceType' (did you mean 'traininstancetype'?)"
    ]


def test_unknown_nested_key_names_its_place():
    problems = problems_of({"channels": {"train": {"path": "train/", "distt": True}}})

    assert problems == ["unknown key 'distt' in channels.train (did you mean 'dist'?)"]


def test_wrong_container_types_are_reported():
    problems = problems_of({"channels": ["train"], "metrics": {"Name": "x"}})

    assert sorted(problems) == [
        "channels: expected an object, got ['train']",
        "metrics: expected a list, got {'Name': 'x'}",
    ]


def test_cross_key_problems_are_reported_alongside_type_errors():
    problems = problems_of(
        {"traininstancecount": "two", "hyperparameters": {"lr": {"MinValue": 0.1, "MaxValue": 1}}}
    )

    assert len(problems) == 2
    assert problems[1] == (
        "hyperparameters.lr: a range is only valid when configtrain is SAGEMAKERHPO "
        "(configtrain is SAGEMAKER), got {'MinValue': 0.1, 'MaxValue': 1}"
    )


def test_chainer_is_unsupported_and_says_what_to_use_instead():
    with pytest.raises(UnsupportedConfiguration, match="retired the Chainer containers.*PYTORCH"):
        parse_config({}, "CHAINER")


def test_unknown_framework_is_invalid():
    with pytest.raises(InvalidParameters, match="framework: expected one of BYOD"):
        parse_config({}, "CAFFE")


def test_document_framework_wins_over_the_stack_framework():
    config = parse_config({"framework": "scikit"}, "BYOD")

    assert config.framework == "SCIKIT"
    assert config.frameworkversion == "1.2-1"


def test_non_object_document_is_invalid():
    with pytest.raises(InvalidParameters, match="expected a JSON object, got \\['a'\\]"):
        parse_config(["a"], "BYOD")  # type: ignore[arg-type]


RICH_DOCUMENT = {
    "configtrain": "SAGEMAKERHPO",
    "traininstancetype": "ml.p3.2xlarge",
    "trainmaxrun": 1.5,
    "spot": True,
    "maxwait": "3",
    "volumekmskey": "alias/training",
    "channels": {
        "train": {"path": "train/", "dist": True, "contentType": "text/csv"},
        "validation": {"uri": "s3://other/validation/", "InputMode": "Pipe"},
    },
    "hyperparameters": {
        "epochs": 3,
        "lr": {"MinValue": 0.001, "MaxValue": 0.1, "ScalingType": "Logarithmic"},
        "layers": {"MinValue": 1, "MaxValue": 4, "integer": True},
        "optimizer": {"Values": ["sgd", "adam"]},
    },
    "metrics": [{"Name": "loss", "Regex": "loss=([0-9.]+)"}],
    "Tags": [{"Key": "team", "Value": "ml"}],
    "tuningobjective": {"Name": "accuracy", "Type": "Maximize", "Regex": "acc=([0-9.]+)"},
    "maxtrainingjobs": 8,
    "maxparalleltrainingjobs": 2,
    "parentJobs": ["earlier-tuning"],
    "WarmStartType": "TransferLearning",
    "build": {"Training": False},
    "pipeline": [{"tag": "preprocess-v1", "environment": {"MODE": 1}}],
    "modelhostingenvironment": {"WORKERS": 2},
}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_to_document_round_trips(framework):
    config = parse_config(RICH_DOCUMENT if framework == "PYTORCH" else {}, framework)

    document = config.to_document()

    assert parse_config(document, framework) == config


def test_rich_document_is_normalised():
    config = parse_config(RICH_DOCUMENT, "PYTORCH")

    assert config.channels["train"].dist == "ShardedByS3Key"
    assert config.channels["train"].ContentType == "text/csv"
    assert config.maxwait == 3
    assert config.modelhostingenvironment == {"WORKERS": "2"}
    assert config.pipeline[0].environment == {"MODE": "1"}
    assert [r.kind for r in config.parameter_ranges()] == ["Continuous", "Integer", "Categorical"]
    assert config.static_hyperparameters() == {"epochs": 3}
    assert config.build_training_image is False


def test_channels_are_optional():
    assert parse_config({}, "BYOD").channels is None


def test_channel_takes_path_or_uri_not_both():
    problems = problems_of({"channels": {"train": {"path": "a/", "uri": "s3://bkt/a/"}}})

    assert problems == [
        "channels.train: expected either 'path' or 'uri', not both, "
        "got {'path': 'a/', 'uri': 's3://bkt/a/'}"
    ]


HPO = {
    "configtrain": "SAGEMAKERHPO",
    "tuningobjective": {"Name": "acc", "Type": "Maximize", "Regex": "acc=(.*)"},
}


def test_hpo_needs_an_objective_and_a_range():
    problems = problems_of({"configtrain": "SAGEMAKERHPO", "hyperparameters": {"lr": 0.1}})

    assert sorted(problems) == [
        "hyperparameters: configtrain SAGEMAKERHPO needs at least one range "
        '({"Values": [...]} or {"MinValue": .., "MaxValue": ..})',
        "tuningobjective: required when configtrain is SAGEMAKERHPO, expected "
        '{"Name": <metric>, "Type": "Maximize"|"Minimize", "Regex"?: <regex>}',
    ]


def test_hpo_objective_must_be_readable_from_the_logs():
    problems = problems_of(
        {
            **HPO,
            "tuningobjective": {"Name": "acc", "Type": "Maximize"},
            "hyperparameters": {"lr": {"MinValue": 0.1, "MaxValue": 1}},
        }
    )

    assert problems == [
        "tuningobjective: metric 'acc' has no Regex and is not in metrics; "
        "add a Regex so SageMaker can read it from the logs"
    ]


def test_amazon_objective_needs_no_regex():
    config = parse_config(
        {
            "configtrain": "SAGEMAKERHPO",
            "tuningobjective": {"Name": "validation:rmse", "Type": "Minimize"},
            "hyperparameters": {"eta": {"MinValue": 0.1, "MaxValue": 0.5}},
        },
        "AMAZON",
    )

    assert config.is_tuning


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Values": []}, 'expected a categorical range {"Values": [one or more values]}'),
        (
            {"MinValue": 5, "MaxValue": 1},
            "expected a range with finite numbers MinValue ≤ MaxValue",
        ),
        (
            {"MinValue": 0.5, "MaxValue": 2, "integer": True},
            "expected whole-number MinValue and MaxValue for an integer range",
        ),
        (
            {"MinValue": 1, "MaxValue": 2, "ScalingType": "Cubic"},
            "expected ScalingType one of 'Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic'",
        ),
    ],
)
def test_malformed_ranges_are_rejected(value, expected):
    problems = problems_of({**HPO, "hyperparameters": {"x": value, "ok": {"Values": [1]}}})

    assert problems == [f"hyperparameters.x: {expected}, got {value!r}"]


def test_range_encoded_as_json_string_is_accepted():
    config = parse_config(
        {**HPO, "hyperparameters": {"lr": '{"MinValue": 0.1, "MaxValue": 1}'}}, "SCIKIT"
    )

    assert config.parameter_ranges()[0].kind == "Continuous"


def test_parallel_jobs_cannot_exceed_total_jobs():
    problems = problems_of(
        {
            **HPO,
            "hyperparameters": {"x": {"Values": [1, 2]}},
            "maxtrainingjobs": 2,
            "maxparalleltrainingjobs": "3",
        }
    )

    assert problems == ["maxparalleltrainingjobs: expected at most maxtrainingjobs (2), got 3"]


def test_wrong_framework_and_python_versions_name_the_valid_ones():
    assert problems_of({"frameworkversion": "9.9"}) == [
        "frameworkversion: expected one of 1.13, 2.0, 2.1, 2.2, 2.3 for PYTORCH, got '9.9'"
    ]
    assert problems_of({"pyversion": "py27"}) == [
        "pyversion: expected one of py310 for PYTORCH 2.1, got 'py27'"
    ]


def test_unknown_algorithm_names_the_valid_ones():
    problems = problems_of({"algorithm": "deepfake"}, "AMAZON")

    assert problems[0].startswith("algorithm: expected one of xgboost, linear-learner, kmeans")
    assert problems[0].endswith("got 'deepfake'")


def test_reserved_tag_prefixes_are_rejected():
    assert problems_of({"Tags": [{"Key": "sagebuild:stack", "Value": "x"}]}) == [
        "Tags.0.Key: the prefixes 'aws:' and 'sagebuild:' are reserved, got 'sagebuild:stack'"
    ]


def test_spot_wait_defaults_to_max_run_and_cannot_be_shorter():
    assert parse_config({"spot": True, "trainmaxrun": 2}, "BYOD").maxwait == 2
    assert problems_of({"spot": "true", "trainmaxrun": 2, "maxwait": 1}, "BYOD") == [
        "maxwait: expected at least trainmaxrun (2 hours), got 1"
    ]


def test_pipeline_container_needs_tag_or_image():
    problems = problems_of({"pipeline": [{"environment": {}}]}, "BYOD")

    assert problems == [
        "pipeline.0: expected exactly one of 'tag' or 'image', got {'environment': {}}"
    ]


def test_merge_overrides_is_shallow_and_overrides_win():
    stored = {"train": True, "hyperparameters": {"a": 1, "b": 2}}

    merged = merge_overrides(stored, {"train": False, "hyperparameters": {"a": 5}})

    assert merged == {"train": False, "hyperparameters": {"a": 5}}
    assert stored["train"] is True


def test_merge_overrides_rejects_a_non_object():
    with pytest.raises(InvalidParameters, match="launch overrides: expected a JSON object"):
        merge_overrides({}, "train=false")  # type: ignore[arg-type]


def test_non_string_framework_is_invalid():
    with pytest.raises(InvalidParameters, match=r"framework: expected one of .*, got \[1\]"):
        parse_config({"framework": [1]}, "BYOD")


def test_numeric_tag_values_become_strings():
    config = parse_config({"Tags": [{"Key": "cost-center", "Value": 42}]}, "BYOD")

    assert config.Tags[0].Value == "42"


def test_defaults_are_the_schema_defaults_plus_the_framework_overlay():
    from domain.config import FRAMEWORK_DEFAULTS, Config

    for framework in FRAMEWORKS:
        seed = defaults_for(framework)
        overlay = FRAMEWORK_DEFAULTS[framework]
        for key, value in seed.items():
            if key == "framework":
                assert value == framework
            elif key in overlay:
                assert value == overlay[key]
            else:
                assert value == Config.model_fields[key].get_default(call_default_factory=True)


def test_a_fresh_document_spells_out_the_keys_a_user_edits():
    assert defaults_for("PYTORCH") == {
        "framework": "PYTORCH",
        "configtrain": "SAGEMAKER",
        "train": True,
        "deployEndpoint": True,
        "traininstancetype": "ml.m5.large",
        "traininstancecount": 1,
        "trainvolumesize": 10,
        "trainmaxrun": 4,
        "inputmode": "File",
        "spot": False,
        "hyperparameters": {},
        "metrics": [],
        "Tags": [],
        "maxtrainingjobs": 1,
        "maxparalleltrainingjobs": 1,
        "WarmStartType": "IdenticalDataAndAlgorithm",
        "hostinstancetype": "ml.m5.large",
        "hostinstancecount": 1,
        "modelhostingenvironment": {},
        "trainentrypoint": "train.py",
        "enablecloudwatchmetrics": False,
        "containerloglevel": 20,
        "frameworkversion": "2.1",
    }
    assert "containerloglevel" not in defaults_for("BYOD")
    assert defaults_for("BYOD")["hostinstancetype"] == "ml.t2.medium"


def test_defaults_are_a_new_copy_each_time():
    defaults_for("SCIKIT")["hyperparameters"]["a"] = 1

    assert defaults_for("SCIKIT")["hyperparameters"] == {}


@pytest.mark.parametrize(
    ("document", "framework"),
    [
        ({}, "BYOD"),
        ({"algorithm": "kmeans"}, "AMAZON"),
        (
            {
                "configtrain": "SAGEMAKERHPO",
                "spot": True,
                "hyperparameters": {"epochs": 3, "lr": '{"MinValue": 0.1, "MaxValue": 1}'},
                "tuningobjective": {"Name": "acc", "Type": "Maximize", "Regex": "a=(.*)"},
                "channels": {"train": {"path": "t/", "contentType": "text/csv"}},
                "autoscaling": {"MaxCapacity": 3},
                "trainsourcefile": "s3://demo-code/src.tar.gz",
            },
            "PYTORCH",
        ),
    ],
)
def test_load_config_round_trips_a_validated_document(document, framework):
    from domain.config import load_config

    config = parse_config(document, framework)

    loaded = load_config(config.to_document())

    assert loaded == config
    assert loaded.ranges == config.ranges
    assert loaded.to_document() == config.to_document()


def test_load_config_names_what_does_not_fit_the_schema():
    from domain.config import load_config

    with pytest.raises(InvalidParameters) as error:
        load_config({"framework": "SCIKIT", "traininstancecount": "many"})

    assert error.value.problems == [
        "traininstancecount: expected a whole number from 1 to 100, got 'many'"
    ]


def test_ranges_follow_the_hyperparameters_of_a_copy():
    config = parse_config(
        {
            "configtrain": "SAGEMAKERHPO",
            "hyperparameters": {"a": {"Values": [1, 2]}},
            "tuningobjective": {"Name": "acc", "Type": "Maximize", "Regex": "a=(.*)"},
        },
        "SCIKIT",
    )

    copy = config.model_copy(update={"hyperparameters": {"b": 1}})

    assert [r.name for r in config.ranges] == ["a"]
    assert copy.ranges == () and copy.static_hyperparameters() == {"b": 1}
