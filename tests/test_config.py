"""MatchConfig's JSON form: round trip, and no silent fallback on a mistyped key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xverify import MatchConfig
from xverify.errors import ConfigError


def test_round_trip_through_json(tmp_path: Path) -> None:
    cfg = MatchConfig(threshold=0.995, margin_bits=8.0, seed=7)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg.to_dict()))
    assert MatchConfig.from_file(path) == cfg


def test_an_unknown_key_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="unknown config key 'treshold'"):
        MatchConfig.from_dict({"treshold": 0.999})


def test_an_audits_certification_is_carried_not_read() -> None:
    cfg = MatchConfig.from_dict({"threshold": 0.999, "certification": {"n_verified": 10}})
    assert cfg == MatchConfig(threshold=0.999)


@pytest.mark.parametrize("data", [[0.99], {"threshold": "high"}, {"margin_bits": -1}])
def test_bad_values_are_config_errors(data: object) -> None:
    with pytest.raises(ConfigError):
        MatchConfig.from_dict(data)  # type: ignore[arg-type]
