"""The deploy gate: threshold and improvement over the live version, both goals."""

import pytest
from domain.config import DeployGate, parse_config
from domain.errors import InvalidParameters, QualityGateFailed
from domain.gate import check_gate

ACC = [{"MetricName": "accuracy", "Value": 0.93}]


def test_a_model_over_the_threshold_passes_and_says_what_was_compared():
    result = check_gate(DeployGate(**{"MetricName": "accuracy", "Threshold": 0.9}), ACC, [])
    assert result.to_dict() == {
        "metric": "accuracy",
        "value": 0.93,
        "goal": "Maximize",
        "threshold": 0.9,
    }


def test_a_model_under_the_threshold_fails_naming_metric_value_and_threshold():
    with pytest.raises(QualityGateFailed, match=r"accuracy = 0.93 is below .* threshold 0.95"):
        check_gate(DeployGate(**{"MetricName": "accuracy", "Threshold": 0.95}), ACC, [])


def test_minimize_goal_fails_above_the_threshold():
    loss = [{"MetricName": "rmse", "Value": 2.5}]
    with pytest.raises(QualityGateFailed, match="above"):
        check_gate(
            DeployGate(**{"MetricName": "rmse", "Goal": "Minimize", "Threshold": 2.0}), loss, []
        )


def test_a_model_worse_than_the_live_version_fails():
    live = [{"MetricName": "accuracy", "Value": 0.95}]
    with pytest.raises(QualityGateFailed, match="does not improve on the live version's 0.95"):
        check_gate(DeployGate(**{"MetricName": "accuracy", "MinImprovement": 0}), ACC, live)


def test_improvement_is_not_required_when_nothing_is_live():
    assert (
        check_gate(DeployGate(**{"MetricName": "accuracy", "MinImprovement": 0.01}), ACC, []).value
        == 0.93
    )


def test_a_metric_the_job_did_not_report_is_named_with_what_was_reported():
    with pytest.raises(QualityGateFailed, match=r"no metric f1 \(reported: accuracy\)"):
        check_gate(DeployGate(**{"MetricName": "f1", "Threshold": 0.5}), ACC, [])


def test_the_schema_rejects_a_bad_gate_naming_the_key():
    with pytest.raises(InvalidParameters) as raised:
        parse_config(
            {"deploygate": {"MetricName": "a", "Threshold": "high", "Goal": "Up"}}, "SCIKIT"
        )
    text = str(raised.value)
    assert "deploygate.Threshold" in text and "deploygate.Goal" in text
