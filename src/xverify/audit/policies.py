"""Replay several disclosure policies on the same requests and compare them against truth.

A policy maps each request's *evidence* (what the matcher found, one row per request) to an
outcome and, for VERIFIED rows, the tin it would disclose. Policies are pure functions over the
evidence frame; the matcher builds that frame (see :data:`EVIDENCE_COLUMNS`), so a flawed
procedure and xverify's rule are judged on exactly the same candidates.

Evidence frame — one row per request (request_id unique):

========================= ======= ==============================================================
column                    type    meaning
========================= ======= ==============================================================
request_id                str     joins to truth
status                    str     the validator's verdict: ``ACCEPTED`` / ``REJECTED``
reason                    str     the validator's reason code, empty when accepted (optional)
zip_like                  bool    the raw address fields held a 5- or 9-digit ZIP-like string
address_nonblank          bool    the raw address fields were not blank (optional; default
                                  ``zip_like``)
tin                       str?    best register candidate (any validation status), or null
name_agrees               bool    the best candidate's name agrees (normalized name match)
name_weight               float?  bits of the best name evidence of any candidate (the matcher's
                                  NAME_ONLY test)
best_probability          float?  the best candidate's match probability
match_weight              float?  log2 odds of ``best_probability``
runner_up_probability     float?  the best *other* person's probability (optional; default
                                  from ``runner_up_match_weight``)
runner_up_match_weight    float?  the best *other* person's match weight; null: none
address_agrees            bool    the best candidate has an address on file in the requested
                                  period that agrees with the submitted one
exact_name_street_zip     bool    some register person has exactly the normalized name, street
                                  and ZIP of the request (an address on file in the period)
exact_tin                 str?    that person's tin when exactly one person does, else null
exact_count               int     how many register people do (optional; default 0/1 from
                                  ``exact_name_street_zip``)
========================= ======= ==============================================================

Evidence must be computed for every request, including those the validator rejects: the flawed
``name-zip`` policy never validates, so it must see them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from ..config import MatchConfig
from ..errors import ConfigError, InputError
from ..matching.decide import RequestEvidence, outcomes
from ..outcomes import Outcome
from .inputs import _bool, _float, _ids, _tin, check_truth, coverage
from .intervals import Rate

#: every evidence column a shipped policy may read
EVIDENCE_COLUMNS = (
    "request_id",
    "status",
    "reason",
    "zip_like",
    "address_nonblank",
    "tin",
    "name_agrees",
    "name_weight",
    "best_probability",
    "match_weight",
    "runner_up_probability",
    "runner_up_match_weight",
    "address_agrees",
    "exact_name_street_zip",
    "exact_tin",
    "exact_count",
)
#: columns of a policy's output
DECISION_COLUMNS = ("request_id", "outcome", "reason", "tin", "address_confirmed")

_BOOL = ("zip_like", "address_nonblank", "name_agrees", "address_agrees", "exact_name_street_zip")
_FLOAT = ("best_probability", "match_weight", "runner_up_probability", "runner_up_match_weight")


def check_evidence(
    evidence: pd.DataFrame, requires: Iterable[str] = EVIDENCE_COLUMNS, *, name: str = "evidence"
) -> pd.DataFrame:
    """Check the columns in ``requires`` (plus request_id) and return a normalized copy.

    Optional columns get their documented defaults; null booleans read as False.
    """
    ev = evidence.copy()
    if "reason" not in ev.columns:
        ev["reason"] = ""
    if "address_nonblank" not in ev.columns and "zip_like" in ev.columns:
        ev["address_nonblank"] = ev["zip_like"]
    if "exact_count" not in ev.columns and "exact_name_street_zip" in ev.columns:
        ev["exact_count"] = ev["exact_name_street_zip"].fillna(False).astype(bool).astype(int)
    needed = ("request_id", *(c for c in requires if c != "request_id"))
    missing = [c for c in needed if c not in ev.columns]
    if missing:
        raise InputError.at(f"missing column(s) {', '.join(missing)}", file=name)
    if len(ev) == 0:
        raise InputError.at("no rows", file=name)
    ev["request_id"] = _ids(ev, name)
    ev["reason"] = ev["reason"].astype(object).where(ev["reason"].notna(), "").astype(str)
    for c in _BOOL:
        if c in ev.columns:
            ev[c] = _bool(ev[c], name, c, null=False)
    for c in _FLOAT:
        if c in ev.columns:
            ev[c] = _float(ev[c], name, c)
    for c in ("tin", "exact_tin"):
        if c in ev.columns:
            ev[c] = _tin(ev[c])
    if "status" in ev.columns:
        ok = ev["status"].isin(["ACCEPTED", "REJECTED"])
        if not ok.all():
            raise InputError.at(
                f"{int((~ok).sum())} status value(s) not ACCEPTED/REJECTED",
                file=name,
                column="status",
            )
    if "exact_count" in ev.columns:
        ev["exact_count"] = pd.to_numeric(ev["exact_count"], errors="coerce").fillna(0).astype(int)
    return ev.reset_index(drop=True)


@runtime_checkable
class Policy(Protocol):
    """Maps an evidence frame to one outcome per request.

    ``decide`` returns :data:`DECISION_COLUMNS`: request_id, outcome (an :class:`Outcome` value),
    reason, tin (the person disclosed; null unless VERIFIED) and address_confirmed (whether the
    disclosed person really has an agreeing address on file in the period).
    """

    @property
    def name(self) -> str: ...

    @property
    def requires(self) -> tuple[str, ...]: ...

    def decide(self, evidence: pd.DataFrame) -> pd.DataFrame: ...


def _frame(
    ev: pd.DataFrame, outcome: np.ndarray, tin: pd.Series, confirmed: np.ndarray
) -> pd.DataFrame:
    verified = outcome == Outcome.VERIFIED.value
    rejected = outcome == Outcome.REJECTED.value
    return pd.DataFrame(
        {
            "request_id": ev["request_id"].to_numpy(),
            "outcome": outcome,
            "reason": np.where(rejected, ev["reason"].to_numpy(dtype=object), ""),
            "tin": tin.where(pd.Series(verified, index=tin.index), None).to_numpy(dtype=object),
            "address_confirmed": verified & confirmed,
        },
        columns=list(DECISION_COLUMNS),
    )


@dataclass(frozen=True)
class NameZipPolicy:
    """The flawed 2025 procedure: disclose on a name match whenever the address field is
    non-blank and holds a 5- or 9-digit ZIP-like string. No request validation, no address
    comparison, no ambiguity check: the best name match is disclosed.
    """

    name: ClassVar[str] = "name-zip"
    requires: ClassVar[tuple[str, ...]] = (
        "request_id", "zip_like", "address_nonblank", "tin", "name_agrees", "address_agrees",
    )  # fmt: skip

    def decide(self, evidence: pd.DataFrame) -> pd.DataFrame:
        ev = check_evidence(evidence, self.requires, name=self.name)
        name = ev["name_agrees"].to_numpy(dtype=bool) & ev["tin"].notna().to_numpy()
        zip_ok = ev["zip_like"].to_numpy(dtype=bool) & ev["address_nonblank"].to_numpy(dtype=bool)
        outcome = np.where(
            name & zip_ok,
            Outcome.VERIFIED.value,
            np.where(name, Outcome.NAME_ONLY.value, Outcome.NO_MATCH.value),
        ).astype(object)
        return _frame(ev, outcome, ev["tin"], ev["address_agrees"].to_numpy(dtype=bool))


@dataclass(frozen=True)
class ExactPolicy:
    """Deterministic baseline: disclose only when exactly one register person has the request's
    exact normalized name, street and ZIP; two or more is AMBIGUOUS. With ``validate`` (the
    default) requests the validator rejects stay REJECTED.
    """

    validate: bool = True
    name: ClassVar[str] = "exact"
    requires: ClassVar[tuple[str, ...]] = (
        "request_id", "status", "exact_name_street_zip", "exact_tin", "exact_count",
    )  # fmt: skip

    def decide(self, evidence: pd.DataFrame) -> pd.DataFrame:
        ev = check_evidence(evidence, self.requires, name=self.name)
        count = ev["exact_count"].to_numpy()
        exact = ev["exact_name_street_zip"].to_numpy(dtype=bool)
        unique = exact & (count <= 1) & ev["exact_tin"].notna().to_numpy()
        outcome = np.where(
            unique,
            Outcome.VERIFIED.value,
            np.where(exact & (count > 1), Outcome.AMBIGUOUS.value, Outcome.NO_MATCH.value),
        ).astype(object)
        if self.validate:
            outcome[(ev["status"] == "REJECTED").to_numpy()] = Outcome.REJECTED.value
        return _frame(ev, outcome, ev["exact_tin"], np.ones(len(ev), dtype=bool))


@dataclass(frozen=True)
class XVerifyPolicy:
    """xverify's decision rule replayed from the evidence: it calls
    :func:`xverify.matching.decide.outcomes`, the very function the matcher runs, at this policy's
    ``threshold`` and ``margin_bits`` (the other settings are :class:`MatchConfig`'s defaults),
    so a certified operating point plugs in. The sweep (:func:`xverify.audit.thresholds.sweep`)
    calls the same rule.
    """

    threshold: float = field(default_factory=lambda: MatchConfig().threshold)
    margin_bits: float = field(default_factory=lambda: MatchConfig().margin_bits)
    name: ClassVar[str] = "xverify"
    requires: ClassVar[tuple[str, ...]] = (
        "request_id", "status", "tin", "name_weight", "best_probability", "match_weight",
        "runner_up_match_weight", "address_agrees",
    )  # fmt: skip

    @classmethod
    def from_config(cls, path: str | Path) -> XVerifyPolicy:
        """Read ``threshold`` and ``margin_bits`` from an operating-point / matcher JSON file."""
        try:
            cfg = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(threshold=float(cfg["threshold"]), margin_bits=float(cfg["margin_bits"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}: not an operating-point config ({type(exc).__name__})"
            ) from None

    def decide(self, evidence: pd.DataFrame) -> pd.DataFrame:
        ev = check_evidence(evidence, self.requires, name=self.name)
        rejected = (ev["status"] == "REJECTED").to_numpy()
        agrees = ev["address_agrees"].to_numpy(dtype=bool) & ev["tin"].notna().to_numpy()
        # the evidence table holds the decisions' columns (some renamed): the matcher's reader
        as_decisions = ev.rename(columns={"best_probability": "probability"}).assign(
            outcome=np.where(rejected, Outcome.REJECTED.value, ""), address_agrees=agrees
        )
        request = RequestEvidence.from_decisions(as_decisions)
        config = MatchConfig(threshold=self.threshold, margin_bits=self.margin_bits)
        return _frame(ev, outcomes(request, config), ev["tin"], agrees)


#: policies by name, as accepted by ``--policies``
POLICIES: Mapping[str, type] = {
    NameZipPolicy.name: NameZipPolicy,
    ExactPolicy.name: ExactPolicy,
    XVerifyPolicy.name: XVerifyPolicy,
}


def parse_policies(spec: str | Sequence[str]) -> tuple[Policy, ...]:
    """``"name-zip,exact,xverify"`` → default-configured policy objects, in that order."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise ConfigError("no policy named")
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ConfigError(
            f"unknown polic{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
            f"known: {', '.join(POLICIES)}"
        )
    if len(set(names)) != len(names):
        raise ConfigError("a policy is named twice")
    return tuple(POLICIES[n]() for n in names)


@dataclass(frozen=True)
class PolicyReplay:
    """One policy's row of the replay table."""

    policy: str
    n_requests: int
    outcomes: Mapping[str, int]
    disclosures: int
    wrong_person: Rate  # per disclosure
    address_unconfirmed: Rate  # per disclosure
    recall: Rate  # over verifiable requests
    invalid_not_rejected: Rate  # over invalid requests
    invalid_disclosed: Rate  # over invalid requests

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "n_requests": self.n_requests,
            "outcomes": dict(self.outcomes),
            "disclosures": self.disclosures,
            "wrong_person": self.wrong_person.to_dict(),
            "address_unconfirmed": self.address_unconfirmed.to_dict(),
            "recall": self.recall.to_dict(),
            "invalid_not_rejected": self.invalid_not_rejected.to_dict(),
            "invalid_disclosed": self.invalid_disclosed.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PolicyReplay:
        def rate(key: str) -> Rate:
            return Rate.of(int(d[key]["k"]), int(d[key]["n"]))

        return cls(
            policy=str(d["policy"]),
            n_requests=int(d["n_requests"]),
            outcomes={str(k): int(v) for k, v in d["outcomes"].items()},
            disclosures=int(d["disclosures"]),
            wrong_person=rate("wrong_person"),
            address_unconfirmed=rate("address_unconfirmed"),
            recall=rate("recall"),
            invalid_not_rejected=rate("invalid_not_rejected"),
            invalid_disclosed=rate("invalid_disclosed"),
        )


@dataclass(frozen=True)
class ReplayResult:
    """The side-by-side table of :func:`replay`."""

    rows: tuple[PolicyReplay, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"policies": [r.to_dict() for r in self.rows]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReplayResult:
        try:
            return cls(tuple(PolicyReplay.from_dict(r) for r in d["policies"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"not a replay result ({type(exc).__name__})") from None

    def _repr_html_(self) -> str:
        return str(self.to_frame().to_html(index=False))

    def to_frame(self) -> pd.DataFrame:
        """One row per policy: the counts the courts asked about, plus rates."""
        return pd.DataFrame(
            [
                {
                    "policy": r.policy,
                    "disclosures": r.disclosures,
                    "wrong_person": r.wrong_person.k,
                    "wrong_person_rate": r.wrong_person.value,
                    "address_unconfirmed": r.address_unconfirmed.k,
                    "recall": r.recall.value,
                    "recall_low": r.recall.low,
                    "recall_high": r.recall.high,
                    "invalid_not_rejected": r.invalid_not_rejected.k,
                    "invalid_disclosed": r.invalid_disclosed.k,
                }
                for r in self.rows
            ]
        )


def replay(
    evidence: pd.DataFrame, truth: pd.DataFrame, policies: Sequence[Policy] | str
) -> ReplayResult:
    """Run each policy on the same evidence and score it against truth.

    Evidence and truth must cover the same requests. Wrong person: VERIFIED with a tin other than
    the truth tin (or a target not in the register). Address-unconfirmed: VERIFIED while the
    disclosed person has no agreeing address on file in the period.
    """
    if isinstance(policies, str):
        policies = parse_policies(policies)
    if not policies:
        raise ConfigError("no policy named")
    t = check_truth(truth)
    if "request_id" not in evidence.columns:
        raise InputError.at("missing column(s) request_id", file="evidence")
    only_e, only_t = coverage(_ids(evidence, "evidence"), t["request_id"])
    if only_e or only_t:
        raise InputError(
            "evidence and truth do not cover the same requests: "
            f"{only_e} request_id(s) only in evidence, {only_t} only in truth"
        )
    t = t.set_index("request_id")
    rows = []
    for policy in policies:
        out = policy.decide(evidence)
        tt = t.loc[out["request_id"]]
        outcome = out["outcome"].to_numpy()
        verified = outcome == Outcome.VERIFIED.value
        truth_tin = tt["tin"].to_numpy(dtype=object)
        same = np.array(
            [a is not None and a == b for a, b in zip(truth_tin, out["tin"], strict=True)],
            dtype=bool,
        )
        verifiable = tt["verifiable"].to_numpy(dtype=bool)
        invalid = tt["invalid"].to_numpy(dtype=bool)
        n_ver = int(verified.sum())
        rows.append(
            PolicyReplay(
                policy=policy.name,
                n_requests=len(out),
                outcomes={o.value: int((outcome == o.value).sum()) for o in Outcome},
                disclosures=n_ver,
                wrong_person=Rate.of(int((verified & ~same).sum()), n_ver),
                address_unconfirmed=Rate.of(
                    int((verified & ~out["address_confirmed"].to_numpy(dtype=bool)).sum()), n_ver
                ),
                recall=Rate.of(int((verified & same & verifiable).sum()), int(verifiable.sum())),
                invalid_not_rejected=Rate.of(
                    int((invalid & (outcome != Outcome.REJECTED.value)).sum()), int(invalid.sum())
                ),
                invalid_disclosed=Rate.of(int((invalid & verified).sum()), int(invalid.sum())),
            )
        )
    return ReplayResult(tuple(rows))


__all__ = [
    "DECISION_COLUMNS",
    "EVIDENCE_COLUMNS",
    "POLICIES",
    "ExactPolicy",
    "NameZipPolicy",
    "Policy",
    "PolicyReplay",
    "ReplayResult",
    "XVerifyPolicy",
    "check_evidence",
    "parse_policies",
    "replay",
]
