"""Shared test helpers: load event fixtures, the ASL and the repository root."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "tests" / "events"
ASL_PATH = ROOT / "statemachine" / "pipeline.asl.json"


def load_event(name: str) -> dict:
    """A JSON event fixture under tests/events/."""
    return json.loads((EVENTS / name).read_text())


def load_asl() -> dict:
    return json.loads(ASL_PATH.read_text())
