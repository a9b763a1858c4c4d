"""The AWS event envelope and what a target receives of it (Input, InputPath, InputTransformer).

`envelope` shapes an event as EventBridge delivers it (version, id, detail-type, source,
account, time, region, resources, detail); `target_input` is what one target gets: its
`Input`, its `InputPath`, its `InputTransformer` (`InputPathsMap` + `InputTemplate`, with the
predefined `aws.events.*` variables) or else the whole event.
"""

from __future__ import annotations

import datetime
import json
import re
import time
import uuid
from typing import Any

UTC = datetime.UTC


def iso_time(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(value: Any) -> int | None:
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)
    return None


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    """The event as AWS delivers it, from moto's internal form (float time, ingestion-time)."""
    moment = event.get("time")
    if isinstance(moment, (int, float)):
        moment = iso_time(datetime.datetime.fromtimestamp(float(moment), UTC))
    shaped = {
        "version": event.get("version", "0"),
        "id": event.get("id") or str(uuid.uuid4()),
        "detail-type": event.get("detail-type", ""),
        "source": event.get("source", ""),
        "account": event.get("account", ""),
        "time": moment or iso_time(datetime.datetime.now(UTC)),
        "region": event.get("region", ""),
        "resources": list(event.get("resources") or []),
        "detail": event.get("detail", {}),
    }
    if "replay-name" in event:
        shaped["replay-name"] = event["replay-name"]
    return shaped


def internal_event(shaped: dict[str, Any], moment: datetime.datetime) -> dict[str, Any]:
    """moto's internal form of an envelope (what moto's own target code expects)."""
    return {**shaped, "time": moment.timestamp(), "ingestion-time": time.time()}


# --------------------------------------------------------------------------- target input

_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")
_PLACEHOLDER = re.compile(r"<([^<>\s]+)>")
_MISSING = object()


def json_path(document: Any, path: str) -> Any:
    """The value at an EventBridge JSONPath (`$`, `.name`, `[n]`, `*`); _MISSING if none.

    EventBridge supports dot notation, dashes, underscores, array indices and wildcards
    (EventBridge User Guide, "Amazon EventBridge input transformation"); a wildcard gives the
    list of the values it matched.
    """
    if not path.startswith("$"):
        raise ValueError(f"JSONPath {path!r} must start with $")
    nodes, position, wildcard = [document], 1, False
    while position < len(path):
        match = _PATH_STEP.match(path, position)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r}")
        position = match.end()
        name, index = match.group(1), match.group(2)
        found: list[Any] = []
        for node in nodes:
            if name == "*" or index == "*":
                wildcard = True
                if isinstance(node, dict):
                    found.extend(node.values())
                elif isinstance(node, list):
                    found.extend(node)
            elif name is not None:
                if isinstance(node, dict) and name in node:
                    found.append(node[name])
            elif isinstance(node, list) and int(index) < len(node):
                found.append(node[int(index)])
        nodes = found
    if wildcard:
        return nodes
    return nodes[0] if nodes else _MISSING


def _inserted(value: Any, in_string: bool, json_template: bool) -> str:
    if not json_template:  # a text template: values as text
        if value is _MISSING:
            return ""
        return value if isinstance(value, str) else json.dumps(value)
    if in_string:
        if value is _MISSING:
            return ""
        text = value if isinstance(value, str) else json.dumps(value)
        return json.dumps(text)[1:-1]
    return "null" if value is _MISSING else json.dumps(value)


def render_template(template: str, values: dict[str, Any], raw: dict[str, str]) -> str:
    """An InputTemplate with its `<name>` placeholders filled (EventBridge's rules).

    In a JSON template a placeholder inside a string gets the value's text, escaped; outside a
    string it gets the value as JSON. In a text template it gets the value's text. `raw`
    values (`aws.events.event`, `aws.events.event.json`) are inserted as they are.
    """
    json_template = template.lstrip()[:1] in ("{", "[", '"')
    out: list[str] = []
    in_string = escaped = False
    position = 0
    while position < len(template):
        char = template[position]
        if char == "<":
            match = _PLACEHOLDER.match(template, position)
            if match and (match.group(1) in values or match.group(1) in raw):
                name = match.group(1)
                if name in raw:
                    out.append(raw[name])
                else:
                    out.append(_inserted(values[name], in_string, json_template))
                position = match.end()
                continue
        if json_template:
            if escaped:
                escaped = False
            elif char == "\\" and in_string:
                escaped = True
            elif char == '"':
                in_string = not in_string
        out.append(char)
        position += 1
    return "".join(out)


def target_input(target: dict[str, Any], event: dict[str, Any], rule: Any) -> str:
    """The text a target receives for an event: Input, InputPath, InputTransformer or the event.

    EventBridge API Reference, `Target` and `InputTransformer`; the predefined variables are
    those of the EventBridge User Guide, "Amazon EventBridge input transformation".
    """
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        value = json_path(event, str(target["InputPath"]))
        return "null" if value is _MISSING else json.dumps(value)
    transformer = target.get("InputTransformer")
    if transformer:
        values: dict[str, Any] = {
            name: json_path(event, path)
            for name, path in (transformer.get("InputPathsMap") or {}).items()
        }
        values["aws.events.rule-arn"] = rule.arn
        values["aws.events.rule-name"] = rule.name
        values["aws.events.event.ingestion-time"] = event.get("time")
        raw = {
            "aws.events.event": json.dumps({k: v for k, v in event.items() if k != "detail"}),
            "aws.events.event.json": json.dumps(event),
        }
        return render_template(str(transformer.get("InputTemplate", "")), values, raw)
    return json.dumps(event)


def jsonable(value: Any, drop_none: bool = True) -> Any:
    """A JSON copy of a service description: timestamps as epoch milliseconds (AWS's events)."""
    if isinstance(value, datetime.datetime):
        return epoch_ms(value)
    if isinstance(value, dict):
        return {
            str(k): jsonable(v, drop_none)
            for k, v in value.items()
            if v is not None or not drop_none
        }
    if isinstance(value, (list, tuple)):
        return [jsonable(v, drop_none) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(getattr(value, "value", value))
