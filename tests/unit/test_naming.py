from domain import naming


def test_run_names_carry_the_version_and_fit_sagemaker_limits():
    names = naming.run_names("My_Stack", "my-stack", 12, "exec-1")
    assert names.model.startswith("my-stack-v12-")
    assert naming.version_of(names.endpoint_config) == 12
    assert names.training_image_tag == "training-v12"


def test_long_stack_names_are_cut_with_a_hash_and_stay_unique_per_run():
    stack = "a" * 80
    one = naming.run_names(stack, "e", 3, "exec-1")
    two = naming.run_names(stack, "e", 3, "exec-2")
    assert len(one.training_job) <= 63 and len(one.tuning_job) <= 32
    assert one.training_job != two.training_job
    assert naming.version_of(one.model) == 3


def test_endpoint_name_is_the_stack_name_lower_cased():
    assert naming.endpoint_name("SageBuild-Demo") == "sagebuild-demo"
    assert naming.endpoint_name("x", "Custom") == "custom"


def test_execution_names_are_valid_and_bounded():
    name = naming.execution_name("sns", "0f3e" * 30)
    assert len(name) <= 80 and name.startswith("sns-")
