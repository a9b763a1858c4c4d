import pytest
from domain.errors import RollbackFailed
from domain.rollback import choose_target

CONFIGS = [(5, "s-v5-aaaaaa"), (4, "s-v4-bbbbbb"), (2, "s-v2-cccccc")]


def test_one_back_takes_the_newest_earlier_version():
    assert choose_target(CONFIGS, "s-v5-aaaaaa", None) == "s-v4-bbbbbb"
    assert choose_target(CONFIGS, "s-v4-bbbbbb", None) == "s-v2-cccccc"


def test_named_version_is_found():
    assert choose_target(CONFIGS, "s-v5-aaaaaa", 2) == "s-v2-cccccc"


def test_unknown_version_names_the_versions_available():
    with pytest.raises(RollbackFailed, match=r"version 3; versions available: \[2, 4, 5\]"):
        choose_target(CONFIGS, "s-v5-aaaaaa", 3)


def test_nothing_before_the_first_version():
    with pytest.raises(RollbackFailed, match="no version before"):
        choose_target(CONFIGS, "s-v2-cccccc", None)
