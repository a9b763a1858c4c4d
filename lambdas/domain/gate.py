"""The deploy gate: a trained model goes live only if its metric is good enough.

`deploygate` in the parameter document names a metric the training job reports, its goal
(Maximize or Minimize), an absolute `Threshold` and/or a `MinImprovement` over the version that
is live now (0 = not worse). The original deployed whatever trained; this is the peers' metric
gate, checked before any model or endpoint is created.
"""

from __future__ import annotations

from domain.errors import QualityGateFailed


def _value(metrics: list[dict], name: str) -> float | None:
    for metric in metrics:
        if metric.get("MetricName") == name:
            return float(metric["Value"])
    return None


def check_gate(gate: dict, metrics: list[dict], live_metrics: list[dict]) -> dict:
    """Pass (returns what was compared) or raise QualityGateFailed saying why."""
    name, goal = gate["MetricName"], gate.get("Goal") or "Maximize"
    value = _value(metrics, name)
    if value is None:
        reported = ", ".join(m["MetricName"] for m in metrics) or "none"
        raise QualityGateFailed(
            f"the training job reported no metric {name} (reported: {reported}); "
            "add it to `metrics` or fix `deploygate.MetricName`"
        )
    better = (lambda a, b: a >= b) if goal == "Maximize" else (lambda a, b: a <= b)
    result = {"metric": name, "value": value, "goal": goal}
    threshold = gate.get("Threshold")
    if threshold is not None:
        result["threshold"] = threshold
        if not better(value, float(threshold)):
            word = "below" if goal == "Maximize" else "above"
            raise QualityGateFailed(
                f"{name} = {value:g} is {word} the deploy gate's threshold {threshold:g}; "
                "the live version keeps serving"
            )
    improvement = gate.get("MinImprovement")
    live = _value(live_metrics, name)
    if improvement is not None and live is not None:
        needed = live + improvement if goal == "Maximize" else live - improvement
        result["live_value"], result["needed"] = live, needed
        if not better(value, needed):
            raise QualityGateFailed(
                f"{name} = {value:g} does not improve on the live version's {live:g} "
                f"by {improvement:g} (needed {needed:g}); the live version keeps serving"
            )
    return result
