"""The matcher's policy knobs, in one frozen object with documented defaults."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .disclosure import DEFAULT_FIELDS, IdentityField, parse_fields
from .errors import ConfigError


@dataclass(frozen=True)
class MatchConfig:
    """How sure the custodian must be before it discloses anything.

    * ``threshold`` — the chosen person's calibrated match probability (name and an address on
      file in the period) must be at least this (default 0.99).
    * ``margin_bits`` — and its match weight must beat every other candidate person's by this many
      bits (log2 likelihood ratio; 6 bits = 64 times more likely). This is what withholds Jr./Sr.
      at one address, twins and shared homes without distinguishing evidence.
    * ``name_min_bits`` — name evidence (log2 Bayes factor of the name comparisons) a person needs
      to count as a *name match* for NAME_ONLY.
    * ``disclose`` — identity fields returned for VERIFIED requests (allow-list only).
    * ``seed`` — seeds the random pairs that estimate u-probabilities; same seed, same output.
    * ``batch_rows`` — register rows per chunk streamed past the requests (memory, not results).
    """

    threshold: float = 0.99
    margin_bits: float = 6.0
    name_min_bits: float = 8.0
    disclose: frozenset[IdentityField] = field(default_factory=lambda: DEFAULT_FIELDS)
    seed: int = 20250
    batch_rows: int = 65_536

    def __post_init__(self) -> None:
        if not 0.5 <= self.threshold < 1.0:
            raise ConfigError("threshold must be in [0.5, 1)")
        for name in ("margin_bits", "name_min_bits"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite number >= 0")
        for name in ("seed", "batch_rows"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{name} must be a non-negative integer")
        if self.batch_rows < 1024:
            raise ConfigError("batch_rows must be at least 1024")
        object.__setattr__(self, "disclose", parse_fields(self.disclose))

    @classmethod
    def from_file(cls, path: Path | str) -> MatchConfig:
        """Load a JSON config (for example an audit's certified ``operating_point.json``)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise ConfigError(f"{path}: not a readable JSON config") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "config") -> MatchConfig:
        """A config from its JSON form; an unknown key is an error (a typo must not fall back
        to a default). ``certification`` (what an audit certified) is carried, not read."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: a config is a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"certification"})
        if unknown:
            raise ConfigError(
                f"{source}: unknown config key {unknown[0]!r}; known: {sorted(known)}"
            )
        picked = {k: v for k, v in data.items() if k in known}
        # values are checked here, by key: an error names the key, never the value
        for key in ("threshold", "margin_bits", "name_min_bits"):
            if key in picked:
                value = picked[key]
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ConfigError(f"{source}: {key} must be a number")
                picked[key] = float(value)
        if "disclose" in picked:
            names = picked["disclose"]
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ConfigError(f"{source}: disclose must be a list of field names")
            try:
                picked["disclose"] = parse_fields(names)
            except ConfigError:
                allowed = ", ".join(f.value for f in IdentityField)
                raise ConfigError(
                    f"{source}: disclose names a field outside the allow-list ({allowed})"
                ) from None
        try:
            return replace(cls(), **picked)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"{source}: invalid value in config") from None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["disclose"] = sorted(f.value for f in self.disclose)
        return d
