"""The deploy gate: a trained model goes live only if its metric is good enough.

`deploygate` in the parameter document names a metric the training job reports, its goal
(Maximize or Minimize), an absolute `Threshold` and/or a `MinImprovement` over the version that
is live now (0 = not worse). The original deployed whatever trained; this is the peers' metric
gate, checked before any model or endpoint is created.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.config import DeployGate
from domain.errors import QualityGateFailed
from domain.state import GateResult, Metric


def _value(metrics: list[Metric], name: str) -> float | None:
    for metric in metrics:
        if metric["MetricName"] == name:
            return float(metric["Value"])
    return None


def check_gate(gate: DeployGate, metrics: list[Metric], live_metrics: list[Metric]) -> GateResult:
    """Pass (returns what was compared) or raise QualityGateFailed saying why."""
    name, goal = gate.MetricName, gate.Goal or "Maximize"
    value = _value(metrics, name)
    if value is None:
        reported = ", ".join(m["MetricName"] for m in metrics) or "none"
        raise QualityGateFailed(
            f"the training job reported no metric {name} (reported: {reported}); "
            "add it to `metrics` or fix `deploygate.MetricName`"
        )
    better: Callable[[float, float], bool] = (
        (lambda a, b: a >= b) if goal == "Maximize" else (lambda a, b: a <= b)
    )
    threshold = gate.Threshold
    if threshold is not None and not better(value, float(threshold)):
        word = "below" if goal == "Maximize" else "above"
        raise QualityGateFailed(
            f"{name} = {value:g} is {word} the deploy gate's threshold {threshold:g}; "
            "the live version keeps serving"
        )
    improvement = gate.MinImprovement
    live = _value(live_metrics, name)
    if improvement is None or live is None:
        return GateResult(metric=name, value=value, goal=goal, threshold=threshold)
    needed = live + improvement if goal == "Maximize" else live - improvement
    if not better(value, needed):
        raise QualityGateFailed(
            f"{name} = {value:g} does not improve on the live version's {live:g} "
            f"by {improvement:g} (needed {needed:g}); the live version keeps serving"
        )
    return GateResult(
        metric=name, value=value, goal=goal, threshold=threshold, live_value=live, needed=needed
    )
