"""The Fellegi–Sunter model: m and u per level, term-frequency adjustment, interactions, JSON.

A pair's match weight (bits) is

    weight = log2(λ / (1 - λ)) + Σ_c log2(m_c[l_c] / u_c[l_c]) + Σ_TF log2(u_c[l_c] / f_t)
             + Σ_interactions bits

where missing levels add 0, ``λ`` is the probability that a random (submission, register row)
pair is a match, and ``f_t`` the register frequency of the agreeing token ``t`` (floored at one
register row): agreeing on a rare surname is stronger evidence than agreeing on GARCIA. The
match probability is ``1 / (1 + 2^-weight)``. :class:`MatchModel` is frozen and keeps itself
as JSON (``save``/``load``); ``describe()`` shows every level's weight.

A model that decides (``xverify train``) also holds the household rates the decision uses
(:class:`HousemateRates`) and names what it was trained for (:class:`TrainedFor`: register,
schema, encoder revision, key): with it, nothing a decision depends on is estimated from the
batch, so a request gets the same answer whatever arrives beside it. Its JSON carries a
content digest, checked on load and written into every batch entry of the audit log.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._io import atomic_path
from ..errors import ConfigError, InputError
from .compare import (
    LEVEL_LABELS,
    MISSING,
    TF_COMPARISONS,
    TF_LEVELS,
    CompareConfig,
    Comparison,
    Part,
)

#: 3: given levels "nickname" (one-sided) and "some exact"; 4: household rates, what it was
#: trained for, content digest
MODEL_VERSION = 4
N_LEVELS = {c: len(LEVEL_LABELS[c]) for c in Comparison}
MAX_LEVELS = max(N_LEVELS.values())


@dataclass(frozen=True)
class ComparisonParams:
    """m and u per level of one comparison (index = level)."""

    comparison: Comparison
    m: tuple[float, ...]
    u: tuple[float, ...]
    trained: bool = True

    def __post_init__(self) -> None:
        n = N_LEVELS[self.comparison]
        if len(self.m) != n or len(self.u) != n:
            raise ConfigError(f"comparison {self.comparison.name} needs {n} m and u values")
        if any(not 0 < x <= 1 for x in (*self.m, *self.u)):
            raise ConfigError(f"m and u of {self.comparison.name} must be in (0, 1]")

    @property
    def weights(self) -> tuple[float, ...]:
        """log2(m / u) per level (bits)."""
        return tuple(math.log2(m / u) for m, u in zip(self.m, self.u, strict=True))


@dataclass(frozen=True)
class Interaction:
    """A correction (bits, <= 0) added when comparison ``a`` >= ``a_min`` and ``b`` >= ``b_min``.

    Fellegi–Sunter multiplies the evidence of comparisons as if independent. Surname and address
    are not independent among non-matches: relatives share both (households, Jr./Sr.). Among
    non-matches, the chance that a register row at the submission's address shares its surname
    token ``t`` is about ``h / count(t)`` (``h``: same-surname housemates per person), not the
    random-pair u of the address. The correction replaces one by the other:
    ``min(0, log2(u_address) + log2(count(t)))  - log2(h))``, i.e. ``tf_base + tf`` with the
    surname TF term ``tf = log2(count(t) / rows)``; so a shared rare surname at one address is
    no longer counted as two independent rare coincidences. ``bits`` is used when no TF term.
    """

    a: Comparison
    a_min: int
    b: Comparison
    b_min: int
    bits: float
    tf_base: float | None = None  # with the TF term of comparison ``a``
    part: Part = Part.ADDRESS
    unless: Comparison | None = None  # skipped when this comparison ...
    unless_min: int = 0  # ... reaches this level

    def label(self) -> str:
        text = f"{self.a.name.lower()}>={self.a_min} & {self.b.name.lower()}>={self.b_min}"
        if self.unless is not None:
            text += f" & {self.unless.name.lower()}<{self.unless_min}"
        return text


@dataclass(frozen=True)
class HousemateRates:
    """How alike the given names of two residents of one home are (``u_home``, per given level)
    and the share ``rho`` of requests reaching a registered home that are about a resident who
    is not on file (see :class:`xverify.matching.decide.Household`). Estimated once, when the
    model is trained (:func:`xverify.matching.decide.housemate_rates`), as upper bounds."""

    u_home: tuple[float, ...]
    rho: float
    requests: int = 0  # requests whose best candidate was at home (the estimate's data)
    co_residents: int = 0  # co-resident pairs behind ``u_home``

    def __post_init__(self) -> None:
        if len(self.u_home) != N_LEVELS[Comparison.GIVEN]:
            raise ConfigError(f"u_home needs {N_LEVELS[Comparison.GIVEN]} values")
        # upper bounds, not a distribution: a rare level's bound may pass 1
        if any(not 0 < x < math.inf for x in self.u_home) or not 0 < self.rho < 1:
            raise ConfigError("u_home must be positive and rho in (0, 1)")


@dataclass(frozen=True)
class TrainedFor:
    """What a model was trained for: it is refused for any other register, schema, encoder
    revision or linkage key (its levels and frequencies would mean something else there)."""

    register_digest: str
    schema_digest: str
    encoder_revision: int
    key_fingerprint: str

    def mismatch(self, other: TrainedFor) -> str | None:
        """The first field in which ``other`` differs (a readable name), or None."""
        names = {
            "register_digest": "register",
            "schema_digest": "encoding schema",
            "encoder_revision": "encoder revision",
            "key_fingerprint": "linkage key",
        }
        for name, label in names.items():
            if getattr(self, name) != getattr(other, name):
                return label
        return None


@dataclass(frozen=True)
class MatchModel:
    """A trained Fellegi–Sunter model: inspect with :meth:`describe`, keep with :meth:`save`."""

    params: tuple[ComparisonParams, ...]  # one per Comparison, in order
    prior: float  # λ: P(match) for a random (submission, register row) pair
    candidate_prior: float  # P(match) among candidate pairs (EM)
    compare: CompareConfig = field(default_factory=CompareConfig)
    tf_adjust: bool = True
    iterations: int = 0
    converged: bool = True
    candidates: int = 0
    random_pairs: int = 0
    interactions: tuple[Interaction, ...] = ()
    housemates: HousemateRates | None = None  # None: not trained to decide (pipeline only)
    trained_for: TrainedFor | None = None

    def __post_init__(self) -> None:
        if tuple(p.comparison for p in self.params) != tuple(Comparison):
            raise ConfigError("a match model needs the parameters of every comparison, in order")
        for name in ("prior", "candidate_prior"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f"{name} must be in (0, 1)")

    @property
    def digest(self) -> str:
        """SHA-256 of the model's canonical JSON (what the audit log names it by)."""
        return hashlib.sha256(_canonical(self._body()).encode()).hexdigest()

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1.0 - self.prior))

    def param(self, c: Comparison) -> ComparisonParams:
        return self.params[int(c)]

    # -- kernel tables -------------------------------------------------------------------
    def weight_table(self) -> np.ndarray:
        """``(comparisons, 1 + max levels)``: column 0 missing (0 bits), then level weights."""
        t = np.zeros((len(Comparison), MAX_LEVELS + 1), np.float64)
        for p in self.params:
            t[int(p.comparison), 1 : 1 + len(p.m)] = p.weights
        return t

    def bits(self, levels: np.ndarray, comparisons: Sequence[Comparison]) -> np.ndarray:
        """Per pair, the summed weights (bits, no TF) of ``comparisons`` at their ``levels``."""
        table = self.weight_table()
        out = np.zeros(len(levels), np.float64)
        for c in comparisons:
            out += table[int(c), levels[:, int(c)].astype(np.int64) + 1]
        return out

    def tf_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """TF comparison per column, the levels it adjusts, and log2 u of those levels."""
        comp = np.array([int(c) for c in TF_COMPARISONS], np.int64)
        on = np.zeros((len(TF_COMPARISONS), MAX_LEVELS + 1), np.bool_)
        log2u = np.zeros((len(TF_COMPARISONS), MAX_LEVELS + 1), np.float64)
        if self.tf_adjust:
            for k, c in enumerate(TF_COMPARISONS):
                p = self.param(c)
                for lev in TF_LEVELS[c]:
                    on[k, lev + 1] = p.trained
                    log2u[k, lev + 1] = math.log2(p.u[lev])
        return comp, on, log2u

    def interaction_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """``(k, 8)`` int64 (a, a_min, b, b_min, part, tf column or -1, unless or -1, unless_min)
        and ``(k, 2)`` float64 (bits, tf_base) of the interactions (see
        :func:`xverify.matching.score_kernels.score_nb`)."""
        tf_col = {c: k for k, c in enumerate(TF_COMPARISONS)}
        spec = np.array(
            [
                [
                    int(x.a),
                    x.a_min,
                    int(x.b),
                    x.b_min,
                    int(x.part),
                    tf_col.get(x.a, -1) if x.tf_base is not None and self.tf_adjust else -1,
                    -1 if x.unless is None else int(x.unless),
                    x.unless_min,
                ]
                for x in self.interactions
            ],
            np.int64,
        ).reshape(-1, 8)
        bits = np.array(
            [[x.bits, x.tf_base if x.tf_base is not None else 0.0] for x in self.interactions],
            np.float64,
        ).reshape(-1, 2)
        return spec, bits

    # -- inspection ----------------------------------------------------------------------
    def describe(self) -> pd.DataFrame:
        """One row per comparison level: label, m, u, weight (bits), TF-adjusted, trained."""
        rows = []
        for p in self.params:
            for lev, (m, u, w) in enumerate(zip(p.m, p.u, p.weights, strict=True)):
                rows.append(
                    {
                        "comparison": p.comparison.name.lower(),
                        "level": lev,
                        "label": LEVEL_LABELS[p.comparison][lev],
                        "m": m,
                        "u": u,
                        "weight": w,
                        "tf_adjusted": self.tf_adjust and lev in TF_LEVELS.get(p.comparison, ()),
                        "trained": p.trained,
                    }
                )
            rows.append(
                {
                    "comparison": p.comparison.name.lower(),
                    "level": MISSING,
                    "label": "missing",
                    "m": np.nan,
                    "u": np.nan,
                    "weight": 0.0,
                    "tf_adjusted": False,
                    "trained": p.trained,
                }
            )
        for x in self.interactions:
            rows.append(
                {
                    "comparison": f"{x.a.name.lower()}&{x.b.name.lower()}",
                    "level": x.b_min,
                    "label": x.label(),
                    "m": np.nan,
                    "u": np.nan,
                    "weight": x.bits,
                    "tf_adjusted": False,
                    "trained": True,
                }
            )
        df = pd.DataFrame(rows)
        df.attrs["prior"] = self.prior
        df.attrs["prior_weight"] = self.prior_weight
        return df

    # -- (de)serialisation ---------------------------------------------------------------
    def to_json(self) -> str:
        """The model as JSON, with its content digest (checked by :meth:`from_json`)."""
        return json.dumps({**self._body(), "digest": self.digest}, indent=1, sort_keys=True)

    def _body(self) -> dict[str, Any]:
        h, t = self.housemates, self.trained_for
        return {
            "version": MODEL_VERSION,
            "prior": self.prior,
            "candidate_prior": self.candidate_prior,
            "compare": asdict(self.compare),
            "tf_adjust": self.tf_adjust,
            "iterations": self.iterations,
            "converged": self.converged,
            "candidates": self.candidates,
            "random_pairs": self.random_pairs,
            "interactions": [
                {
                    "a": x.a.name.lower(),
                    "a_min": x.a_min,
                    "b": x.b.name.lower(),
                    "b_min": x.b_min,
                    "bits": x.bits,
                    "tf_base": x.tf_base,
                    "part": x.part.name.lower(),
                    "unless": None if x.unless is None else x.unless.name.lower(),
                    "unless_min": x.unless_min,
                }
                for x in self.interactions
            ],
            "comparisons": {
                p.comparison.name.lower(): {"m": list(p.m), "u": list(p.u), "trained": p.trained}
                for p in self.params
            },
            "housemates": None if h is None else asdict(h) | {"u_home": list(h.u_home)},
            "trained_for": None if t is None else asdict(t),
        }

    @classmethod
    def from_json(cls, text: str | bytes) -> MatchModel:
        try:
            d = json.loads(text)
            if d["version"] != MODEL_VERSION:
                raise InputError(
                    f"match model version {d['version']} is not supported (this software "
                    f"writes version {MODEL_VERSION}): train it again with 'xverify train'"
                )
            h, t = d["housemates"], d["trained_for"]
            params = tuple(
                ComparisonParams(
                    c,
                    tuple(float(x) for x in d["comparisons"][c.name.lower()]["m"]),
                    tuple(float(x) for x in d["comparisons"][c.name.lower()]["u"]),
                    bool(d["comparisons"][c.name.lower()]["trained"]),
                )
                for c in Comparison
            )
            model = cls(
                params=params,
                prior=float(d["prior"]),
                candidate_prior=float(d["candidate_prior"]),
                compare=CompareConfig(**d["compare"]),
                tf_adjust=bool(d["tf_adjust"]),
                iterations=int(d["iterations"]),
                converged=bool(d["converged"]),
                candidates=int(d["candidates"]),
                random_pairs=int(d["random_pairs"]),
                interactions=tuple(
                    Interaction(
                        Comparison[x["a"].upper()],
                        int(x["a_min"]),
                        Comparison[x["b"].upper()],
                        int(x["b_min"]),
                        float(x["bits"]),
                        None if x["tf_base"] is None else float(x["tf_base"]),
                        Part[x["part"].upper()],
                        None if x.get("unless") is None else Comparison[x["unless"].upper()],
                        int(x.get("unless_min", 0)),
                    )
                    for x in d.get("interactions", [])
                ),
                housemates=None
                if h is None
                else HousemateRates(
                    tuple(float(x) for x in h["u_home"]),
                    float(h["rho"]),
                    int(h["requests"]),
                    int(h["co_residents"]),
                ),
                trained_for=None
                if t is None
                else TrainedFor(
                    str(t["register_digest"]),
                    str(t["schema_digest"]),
                    int(t["encoder_revision"]),
                    str(t["key_fingerprint"]),
                ),
            )
            digest = d["digest"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"malformed match model ({type(exc).__name__})") from None
        if model.digest != digest:
            raise InputError("the match model's content does not match its digest (altered?)")
        return model

    def save(self, path: Path | str) -> None:
        """Write the model as JSON, atomically."""
        with atomic_path(Path(path)) as tmp:
            tmp.write_text(self.to_json())

    @classmethod
    def load(cls, path: Path | str) -> MatchModel:
        try:
            text = Path(path).read_text()
        except OSError:
            raise InputError.at("cannot read the match model", file=str(path)) from None
        return cls.from_json(text)


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def probability(weight: np.ndarray) -> np.ndarray:
    """Match probability of a weight in bits: 1 / (1 + 2^-weight)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp2(-np.asarray(weight, np.float64)))
