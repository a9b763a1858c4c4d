from domain import naming


def test_run_names_carry_the_run_number_and_the_config_name_the_version():
    names = naming.run_names("My_Stack", "my-stack", 12, "exec-1")
    assert names.model.startswith("my-stack-r12-") and names.training_job.startswith(
        "my-stack-r12-"
    )
    assert names.training_image_tag == "training-r12" and names.endpoint_config == ""
    assert naming.version_of(names.model) is None
    config = naming.endpoint_config_name("My_Stack", 4, "exec-1")
    assert config.startswith("my-stack-v4-") and naming.version_of(config) == 4


def test_long_stack_names_are_cut_with_a_hash_and_stay_unique_per_run():
    stack = "a" * 80
    one = naming.run_names(stack, "e", 3, "exec-1")
    two = naming.run_names(stack, "e", 3, "exec-2")
    assert len(one.training_job) <= 63 and len(one.tuning_job) <= 32
    assert one.training_job != two.training_job
    long_config = naming.endpoint_config_name(stack, 3, "exec-1")
    assert len(long_config) <= 63 and naming.version_of(long_config) == 3


def test_endpoint_name_is_the_stack_name_lower_cased():
    assert naming.endpoint_name("SageBuild-Demo") == "sagebuild-demo"
    assert naming.endpoint_name("x", "Custom") == "custom"


def test_execution_names_are_valid_and_bounded():
    name = naming.execution_name("sns", "0f3e" * 30)
    assert len(name) <= 80 and name.startswith("sns-")
