from domain import status


def test_poll_training_maps_stopping_to_in_progress_and_stopped_to_stopped():
    assert status.normalise("sagemaker_job", "Stopping") == "InProgress"
    assert status.normalise("sagemaker_job", "Stopped") == "Stopped"


def test_codebuild_fault_and_timeout_are_failures():
    assert status.normalise("codebuild", "FAULT") == "Failed"
    assert status.normalise("codebuild", "TIMED_OUT") == "Failed"
    assert status.normalise("codebuild", "SUCCEEDED") == "Completed"


def test_endpoint_rolling_back_is_still_in_progress_and_out_of_service_fails():
    assert status.normalise("endpoint", "RollingBack") == "InProgress"
    assert status.normalise("endpoint", "OutOfService") == "Failed"


def test_unknown_status_counts_as_failed():
    assert status.normalise("execution", "SOMETHING_NEW") == "Failed"
