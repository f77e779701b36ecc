"""Overmatch, undermatch, ambiguity and rejection accuracy, overall and by stratum.

Inputs are a decisions frame and (optionally) a truth frame as in docs/formats.md, checked by
:mod:`xverify.audit.inputs`. Every rate is a :class:`~xverify.audit.intervals.Rate` with a Wilson
95% interval. The JSON form (``AuditMetrics.to_dict()``) is documented in docs/metrics.md.

Definitions (per request, after joining decisions and truth on ``request_id``):

* *wrong disclosure*: outcome VERIFIED and the disclosed tin is not the truth tin (including a
  truth tin of null: the person is not in the register);
* *correct verification*: VERIFIED with the truth tin, on a ``verifiable`` request;
* *address-unconfirmed disclosure*: VERIFIED while ``address_agrees`` is false (needs no truth).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..outcomes import Outcome
from .inputs import check_decisions, check_truth, join
from .intervals import Z95, Rate, fisher_greater

#: family-wise significance level for the "stratum is worse" flags (Bonferroni per metric)
ALPHA = 0.05
#: metrics where a higher value is worse and a stratum is tested against the rest
FLAGGED_METRICS = (
    "overmatch_per_verified",
    "overmatch_per_request",
    "undermatch",
    "valid_rejected",
)
#: truth columns used as strata tags, when present
STRATA_TAGS = (
    "name_origin",
    "name_decile",
    "common_name",
    "household_shared",
    "compound_surname",
    "moved",
    "tin_kind",
    "in_register",
    "lookalike",
    "target_kind",
    "noise",
)
MISSING = "missing"


@dataclass(frozen=True)
class LabelFreeEstimate:
    """Expected wrong disclosures Σ(1 − p) over VERIFIED, assuming calibrated, independent p.

    The number of wrong disclosures is then Poisson-binomial with mean Σ(1 − p) and variance
    Σp(1 − p). ``low``/``high`` are the normal 95% interval; ``low_conservative`` /
    ``high_conservative`` come from Bernstein's inequality (each tail at 2.5%), valid at any size.
    ``observed_wrong`` is filled in when truth is given.
    """

    n_verified: int
    expected_wrong: float
    sd: float
    low: float
    high: float
    low_conservative: float
    high_conservative: float
    observed_wrong: int | None = None

    @classmethod
    def from_probabilities(
        cls, p: np.ndarray, observed_wrong: int | None = None
    ) -> LabelFreeEstimate:
        p = np.asarray(p, dtype=float)
        mean = float(np.sum(1.0 - p))
        var = float(np.sum(p * (1.0 - p)))
        sd = math.sqrt(var)
        log_term = math.log(1 / 0.025)
        bern = log_term / 3 + math.sqrt(log_term**2 / 9 + 2 * var * log_term)
        return cls(
            n_verified=len(p),
            expected_wrong=mean,
            sd=sd,
            low=max(0.0, mean - Z95 * sd),
            high=mean + Z95 * sd,
            low_conservative=max(0.0, mean - bern),
            high_conservative=mean + bern,
            observed_wrong=observed_wrong,
        )

    @property
    def brackets(self) -> bool | None:
        """Whether the normal interval contains the observed count (None without truth)."""
        if self.observed_wrong is None:
            return None
        return self.low <= self.observed_wrong <= self.high

    @property
    def brackets_conservative(self) -> bool | None:
        if self.observed_wrong is None:
            return None
        return self.low_conservative <= self.observed_wrong <= self.high_conservative

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_verified": self.n_verified,
            "expected_wrong": self.expected_wrong,
            "sd": self.sd,
            "low": self.low,
            "high": self.high,
            "low_conservative": self.low_conservative,
            "high_conservative": self.high_conservative,
            "observed_wrong": self.observed_wrong,
            "brackets": self.brackets,
            "brackets_conservative": self.brackets_conservative,
        }


@dataclass(frozen=True)
class OutcomeBreakdown:
    """What the requests given one outcome really were."""

    outcome: str
    count: int
    share: Rate
    verifiable: Rate
    in_register: Rate
    invalid: Rate
    correct_tin: Rate

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "share": self.share.to_dict(),
            "verifiable": self.verifiable.to_dict(),
            "in_register": self.in_register.to_dict(),
            "invalid": self.invalid.to_dict(),
            "correct_tin": self.correct_tin.to_dict(),
        }


@dataclass(frozen=True)
class ReasonRow:
    """Rejections with one reason code: how many, and how many of them were valid requests."""

    reason: str
    count: int
    wrongly_rejected: Rate  # valid requests among this code's rejections
    of_valid: Rate  # this code's wrong rejections over all valid requests

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "wrongly_rejected": self.wrongly_rejected.to_dict(),
            "of_valid": self.of_valid.to_dict(),
        }


@dataclass(frozen=True)
class Rejection:
    """Did the validator reject what it must and only that?"""

    invalid_rejected: Rate
    valid_rejected: Rate
    invalid_disclosed: Rate
    by_reason: Mapping[str, ReasonRow]
    by_invalid_kind: Mapping[str, Rate]

    def to_dict(self) -> dict[str, Any]:
        return {
            "invalid_rejected": self.invalid_rejected.to_dict(),
            "valid_rejected": self.valid_rejected.to_dict(),
            "invalid_disclosed": self.invalid_disclosed.to_dict(),
            "by_reason": {k: v.to_dict() for k, v in sorted(self.by_reason.items())},
            "by_invalid_kind": {k: v.to_dict() for k, v in sorted(self.by_invalid_kind.items())},
        }


@dataclass(frozen=True)
class Comparison:
    """A stratum against the rest on one bad-event metric (one-sided Fisher exact test)."""

    rest: Rate
    p_value: float
    worse: bool

    def to_dict(self) -> dict[str, Any]:
        return {"rest": self.rest.to_dict(), "p_value": self.p_value, "worse": self.worse}


@dataclass(frozen=True)
class Stratum:
    """The requests whose truth tag ``tag`` equals ``value``, with their rates."""

    tag: str
    value: str
    n: int
    rates: Mapping[str, Rate]
    comparisons: Mapping[str, Comparison] = field(default_factory=dict)

    @property
    def worse(self) -> tuple[str, ...]:
        """Metrics on which this stratum is significantly worse than the rest."""
        return tuple(m for m, c in self.comparisons.items() if c.worse)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tag": self.tag,
            "value": self.value,
            "n": self.n,
            "rates": {k: v.to_dict() for k, v in self.rates.items()},
            "comparisons": {k: v.to_dict() for k, v in self.comparisons.items()},
            "worse": list(self.worse),
        }


@dataclass(frozen=True)
class TruthMetrics:
    """Everything that needs the synthetic truth."""

    overmatch_per_verified: Rate
    overmatch_per_request: Rate
    wrong_person: int  # wrong disclosures about someone in the register
    not_in_register: int  # wrong disclosures for targets not in the register
    recall: Rate
    undermatch: Rate
    name_only_share: Rate
    ambiguous_share: Rate
    per_outcome: Mapping[str, OutcomeBreakdown]
    rejection: Rejection
    strata: tuple[Stratum, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "overmatch_per_verified": self.overmatch_per_verified.to_dict(),
            "overmatch_per_request": self.overmatch_per_request.to_dict(),
            "wrong_disclosures": self.overmatch_per_verified.k,
            "wrong_person": self.wrong_person,
            "not_in_register": self.not_in_register,
            "recall": self.recall.to_dict(),
            "undermatch": self.undermatch.to_dict(),
            "name_only_share": self.name_only_share.to_dict(),
            "ambiguous_share": self.ambiguous_share.to_dict(),
            "per_outcome": {k: v.to_dict() for k, v in self.per_outcome.items()},
            "rejection": self.rejection.to_dict(),
            "strata": [s.to_dict() for s in self.strata],
        }


@dataclass(frozen=True)
class AuditMetrics:
    """The result of :func:`compute_metrics`; ``truth`` is None when no truth was given."""

    n_requests: int
    outcomes: Mapping[str, Rate]
    address_unconfirmed: Rate
    label_free: LabelFreeEstimate
    truth: TruthMetrics | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_requests": self.n_requests,
            "outcomes": {k: v.to_dict() for k, v in self.outcomes.items()},
            "address_unconfirmed": self.address_unconfirmed.to_dict(),
            "label_free": self.label_free.to_dict(),
            "truth": None if self.truth is None else self.truth.to_dict(),
        }

    def _repr_html_(self) -> str:
        """Notebooks show the headline table."""
        return str(self.headline().to_html(index=False))

    def headline(self) -> pd.DataFrame:
        """The headline rates as a small table (metric, k, n, value, low, high)."""
        rows: list[tuple[str, Rate]] = [("address_unconfirmed", self.address_unconfirmed)]
        if self.truth is not None:
            t = self.truth
            rows = [
                ("overmatch_per_verified", t.overmatch_per_verified),
                ("overmatch_per_request", t.overmatch_per_request),
                *rows,
                ("recall", t.recall),
                ("undermatch", t.undermatch),
                ("name_only_share", t.name_only_share),
                ("ambiguous_share", t.ambiguous_share),
                ("invalid_rejected", t.rejection.invalid_rejected),
                ("valid_rejected", t.rejection.valid_rejected),
            ]
        return pd.DataFrame(
            [{"metric": m, **r.to_dict()} for m, r in rows],
            columns=["metric", "k", "n", "value", "low", "high"],
        )

    def strata_frame(self) -> pd.DataFrame:
        """One row per stratum: n, each rate's value and interval, and the worse-than-rest flags."""
        if self.truth is None:
            return pd.DataFrame(columns=["tag", "value", "n"])
        rows = []
        for s in self.truth.strata:
            row: dict[str, Any] = {"tag": s.tag, "value": s.value, "n": s.n}
            for name, rate in s.rates.items():
                row[name] = rate.value
                row[f"{name}_low"] = rate.low
                row[f"{name}_high"] = rate.high
            for name, comp in s.comparisons.items():
                row[f"{name}_p"] = comp.p_value
            row["worse"] = ",".join(s.worse)
            rows.append(row)
        return pd.DataFrame(rows)


def _indicators(df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per metric: (event, population) boolean arrays over the joined rows."""
    outcome = df["outcome"].to_numpy()
    verified = outcome == Outcome.VERIFIED
    rejected = outcome == Outcome.REJECTED
    same = (df["tin"] == df["truth_tin"]).to_numpy(dtype=bool) & df["truth_tin"].notna().to_numpy()
    wrong = verified & ~same
    verifiable = df["verifiable"].to_numpy(dtype=bool)
    invalid = df["invalid"].to_numpy(dtype=bool)
    correct = verified & same & verifiable
    everyone = np.ones(len(df), dtype=bool)
    agrees = df["address_agrees"].to_numpy(dtype=bool)
    return {
        "overmatch_per_verified": (wrong, verified),
        "overmatch_per_request": (wrong, everyone),
        "recall": (correct, verifiable),
        "undermatch": (verifiable & ~correct, verifiable),
        "name_only_share": (outcome == Outcome.NAME_ONLY, everyone),
        "ambiguous_share": (outcome == Outcome.AMBIGUOUS, everyone),
        "address_unconfirmed": (verified & ~agrees, verified),
        "invalid_rejected": (invalid & rejected, invalid),
        "valid_rejected": (~invalid & rejected, ~invalid),
    }


def _rate(event: np.ndarray, pop: np.ndarray, mask: np.ndarray | None = None) -> Rate:
    if mask is not None:
        pop = pop & mask
    return Rate.of(int((event & pop).sum()), int(pop.sum()))


def noise_types(noise: pd.Series) -> list[str]:
    """The distinct distortion types in a ``;``-joined noise column, sorted."""
    kinds: set[str] = set()
    for cell in noise.dropna().unique():
        kinds.update(part.strip() for part in str(cell).split(";") if part.strip())
    return sorted(kinds)


def strata_tags(truth: pd.DataFrame) -> dict[str, pd.Series]:
    """The strata tags present in ``truth``, as string-valued series (nulls read ``missing``).

    The ``noise`` list becomes one boolean tag per type (``noise:<type>``); ``lookalike`` is
    whether ``lookalike_of`` is set. Every tag's values partition the requests.
    """
    tags: dict[str, pd.Series] = {}
    for tag in STRATA_TAGS:
        if tag == "noise" and "noise" in truth.columns:
            codes, uniques = pd.factorize(truth["noise"].fillna("").astype(str))
            parts = [{p.strip() for p in str(u).split(";") if p.strip()} for u in uniques]
            flags = np.array([bool(x) for x in parts])
            tags["noise:any"] = _labels(flags[codes], truth.index)
            for kind in sorted(set().union(*parts)):
                flags = np.array([kind in x for x in parts])
                tags[f"noise:{kind}"] = _labels(flags[codes], truth.index)
        elif tag == "lookalike" and "lookalike_of" in truth.columns:
            tags[tag] = _labels(truth["lookalike_of"].notna().to_numpy(), truth.index)
        elif tag in truth.columns:
            codes, uniques = pd.factorize(truth[tag], use_na_sentinel=True)
            names = np.array([*(_tag_value(u) for u in uniques), MISSING], dtype=object)
            tags[tag] = pd.Series(names[codes], index=truth.index)  # code -1 → MISSING
    return tags


def _labels(flags: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(np.where(flags, "true", "false").astype(object), index=index)


def _tag_value(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return MISSING
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _strata(df: pd.DataFrame, ind: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[Stratum, ...]:
    tags = strata_tags(df)
    cells: list[tuple[str, str, np.ndarray]] = []
    for tag, values in tags.items():
        arr = values.to_numpy()
        for value in sorted(set(arr)):
            cells.append((tag, value, arr == value))
    # p-values first, then a Bonferroni flag per metric over the strata actually tested
    pvals: dict[tuple[int, str], tuple[Rate, float]] = {}
    tested = dict.fromkeys(FLAGGED_METRICS, 0)
    for i, (_, _, mask) in enumerate(cells):
        for metric in FLAGGED_METRICS:
            event, pop = ind[metric]
            inside, rest = _rate(event, pop, mask), _rate(event, pop, ~mask)
            if inside.n == 0 or rest.n == 0:
                continue
            tested[metric] += 1
            pvals[(i, metric)] = (rest, fisher_greater(inside.k, inside.n, rest.k, rest.n))
    out = []
    for i, (tag, value, mask) in enumerate(cells):
        rates = {m: _rate(e, p, mask) for m, (e, p) in ind.items()}
        comps = {}
        for metric in FLAGGED_METRICS:
            if (i, metric) in pvals:
                rest, p = pvals[(i, metric)]
                comps[metric] = Comparison(rest, p, p < ALPHA / tested[metric])
        out.append(Stratum(tag, value, int(mask.sum()), rates, comps))
    return tuple(out)


def compute_metrics(decisions: pd.DataFrame, truth: pd.DataFrame | None = None) -> AuditMetrics:
    """All audit metrics from a decisions frame and, if given, the truth frame.

    Both frames are checked first (:func:`~xverify.audit.inputs.check_decisions`,
    :func:`~xverify.audit.inputs.check_truth`), so raw frames from Parquet are fine.
    """
    d = check_decisions(decisions)
    n = len(d)
    outcome = d["outcome"].to_numpy()
    outcomes = {o.value: Rate.of(int((outcome == o).sum()), n) for o in Outcome}
    verified = outcome == Outcome.VERIFIED
    agrees = d["address_agrees"].to_numpy(dtype=bool)
    unconfirmed = Rate.of(int((verified & ~agrees).sum()), int(verified.sum()))
    p_verified = d["probability"].to_numpy(dtype=float)[verified]
    if truth is None:
        return AuditMetrics(
            n, outcomes, unconfirmed, LabelFreeEstimate.from_probabilities(p_verified), None
        )
    df = join(d, check_truth(truth))
    ind = _indicators(df)
    wrong, _ = ind["overmatch_per_verified"]
    in_register = df["in_register"].to_numpy(dtype=bool)
    truth_metrics = TruthMetrics(
        overmatch_per_verified=_rate(*ind["overmatch_per_verified"]),
        overmatch_per_request=_rate(*ind["overmatch_per_request"]),
        wrong_person=int((wrong & in_register).sum()),
        not_in_register=int((wrong & ~in_register).sum()),
        recall=_rate(*ind["recall"]),
        undermatch=_rate(*ind["undermatch"]),
        name_only_share=_rate(*ind["name_only_share"]),
        ambiguous_share=_rate(*ind["ambiguous_share"]),
        per_outcome=_per_outcome(df),
        rejection=_rejection(df),
        strata=_strata(df, ind),
    )
    label_free = LabelFreeEstimate.from_probabilities(
        df["probability"].to_numpy(dtype=float)[df["outcome"].to_numpy() == Outcome.VERIFIED],
        observed_wrong=int(wrong.sum()),
    )
    return AuditMetrics(n, outcomes, unconfirmed, label_free, truth_metrics)


def _per_outcome(df: pd.DataFrame) -> dict[str, OutcomeBreakdown]:
    outcome = df["outcome"].to_numpy()
    n = len(df)
    same = (df["tin"] == df["truth_tin"]).to_numpy(dtype=bool) & df["truth_tin"].notna().to_numpy()
    out = {}
    for o in Outcome:
        mask = outcome == o
        c = int(mask.sum())
        out[o.value] = OutcomeBreakdown(
            outcome=o.value,
            count=c,
            share=Rate.of(c, n),
            verifiable=_rate(df["verifiable"].to_numpy(dtype=bool), mask),
            in_register=_rate(df["in_register"].to_numpy(dtype=bool), mask),
            invalid=_rate(df["invalid"].to_numpy(dtype=bool), mask),
            correct_tin=_rate(same, mask),
        )
    return out


def _rejection(df: pd.DataFrame) -> Rejection:
    rejected = df["outcome"].to_numpy() == Outcome.REJECTED
    verified = df["outcome"].to_numpy() == Outcome.VERIFIED
    invalid = df["invalid"].to_numpy(dtype=bool)
    reasons = df["reason"].to_numpy()
    n_valid = int((~invalid).sum())
    by_reason = {}
    for code in sorted(set(reasons[rejected])):
        mask = rejected & (reasons == code)
        wrong = int((mask & ~invalid).sum())
        by_reason[str(code)] = ReasonRow(
            str(code), int(mask.sum()), Rate.of(wrong, int(mask.sum())), Rate.of(wrong, n_valid)
        )
    by_kind = {}
    if "invalid_kind" in df.columns:
        kinds = df["invalid_kind"].map(_tag_value).to_numpy()
        for kind in sorted(set(kinds[invalid])):
            by_kind[kind] = _rate(rejected, invalid & (kinds == kind))
    return Rejection(
        invalid_rejected=_rate(rejected, invalid),
        valid_rejected=_rate(rejected, ~invalid),
        invalid_disclosed=_rate(verified, invalid),
        by_reason=by_reason,
        by_invalid_kind=by_kind,
    )


__all__ = [
    "ALPHA",
    "FLAGGED_METRICS",
    "STRATA_TAGS",
    "AuditMetrics",
    "Comparison",
    "LabelFreeEstimate",
    "OutcomeBreakdown",
    "ReasonRow",
    "Rejection",
    "Stratum",
    "TruthMetrics",
    "compute_metrics",
    "noise_types",
    "strata_tags",
]
