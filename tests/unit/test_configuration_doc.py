"""docs/configuration.md against the schema: every top-level `Config` key is documented in the
key tables, every key the tables name exists, and the defaults example is `defaults_for`."""

from __future__ import annotations

import json
import re
from pathlib import Path

from domain.config import Config, defaults_for

DOC = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()


def _documented_keys() -> list[str]:
    """The first cell of every row of the tables whose header starts with `| key |`."""
    keys: list[str] = []
    in_key_table = False
    for line in DOC.splitlines():
        if not line.startswith("|"):
            in_key_table = False
            continue
        if line.startswith("| key |"):
            in_key_table = True
            continue
        if in_key_table and not line.startswith("|---"):
            cell = line.split("|")[1].strip()
            keys.extend(re.findall(r"`([^`]+)`", cell))
    return keys


def test_the_doc_has_key_tables():
    assert len(_documented_keys()) > 30


def test_every_top_level_key_of_the_schema_is_documented():
    missing = set(Config.model_fields) - set(_documented_keys())

    assert not missing, f"docs/configuration.md has no row for {sorted(missing)}"


def test_every_documented_key_exists_in_the_schema():
    unknown = set(_documented_keys()) - set(Config.model_fields)

    assert not unknown, f"docs/configuration.md names keys the schema lacks: {sorted(unknown)}"


def test_each_key_is_documented_once():
    keys = _documented_keys()

    assert len(keys) == len(set(keys))


def test_the_defaults_example_is_what_defaults_for_gives():
    section = DOC.split("## Defaults per framework", 1)[1]
    example = re.search(r"```json\n(.*?)```", section, re.DOTALL)

    assert example is not None
    document = json.loads(example.group(1))
    assert document == defaults_for(document["framework"])
