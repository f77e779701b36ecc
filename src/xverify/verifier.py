"""The custodian's whole job in one object: encoded requests in, outcomes and identities out.

``Verifier(register, secret, log=...).verify(encoded)`` checks the file's schema and key
fingerprint, encodes (or reuses) the register, trains or loads the match model, scores the
candidates, decides one outcome per request, builds the identity-only response and appends one
batch entry and one entry per disclosure to the audit log *before* returning anything.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._io import atomic_path
from .auditlog import AuditLog, EntryKind
from .config import MatchConfig
from .disclosure import IdentityField, Response
from .encoding.encoder import read_encoded
from .encoding.keys import LinkageSecret
from .encoding.schema import EncodingSchema
from .engines import Engine, LocalEngine
from .errors import ConfigError
from .explain import Explanation, explain
from .matching.blocking import Encoded, TokenStats
from .matching.compare import (
    COMPARISONS,
    PERSONAL,
    RequestFrequencies,
    address_agrees,
    at_home,
    vetoed,
)
from .matching.decide import Candidates, Household, Requests, decide
from .matching.levels import MISSING, Comparison
from .matching.model import MatchModel
from .matching.pipeline import PipelineConfig, score_candidates, train_model
from .matching.score import ScoredPairs, empty_scored
from .outcomes import Outcome
from .register import EncodedRegister, encode_register, identities
from .requests import ReasonCode

Progress = Callable[[str], None]  # told the name of each stage as it starts
#: EM needs patterns, not volume: the model is trained on at most this many requests
TRAINING_REQUESTS = 20_000
#: pairs below this weight (2^-16 odds) are dropped after scoring: even a thousand of them
#: change a request's probability by less than 0.0001
NEGLIGIBLE_BITS = -16.0
#: a given name held by this share of the register's rows (one in 100,000, at least one row)
#: is taken for a real name rather than a typo of another
NAME_ON_FILE_SHARE = 1e-5


@dataclass(frozen=True)
class Summary:
    """Counts per outcome, each with its reasons (a request defect for REJECTED, what failed
    for the other undisclosed outcomes), plus what the run cost."""

    requests: int
    outcomes: dict[str, int]
    reasons: dict[str, dict[str, int]]  # outcome -> reason -> count
    candidate_pairs: int
    seconds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(
        cls, decisions: pd.DataFrame, candidate_pairs: int, seconds: dict[str, float]
    ) -> Summary:
        with_reason = decisions[decisions["reason"] != ""]
        reasons = {
            str(outcome): {str(r): int(n) for r, n in group["reason"].value_counts().items()}
            for outcome, group in with_reason.groupby("outcome")
        }
        counts = {str(o): int(n) for o, n in decisions["outcome"].value_counts().items()}
        return cls(len(decisions), counts, reasons, candidate_pairs, dict(seconds))

    def lines(self) -> list[str]:
        out = [f"requests: {self.requests}"]
        for o in Outcome:
            out.append(f"  {o.value:<24} {self.outcomes.get(o.value, 0):>9}")
            reasons = self.reasons.get(o.value, {})
            out += [f"    {r:<22} {n:>9}" for r, n in sorted(reasons.items())]
        out.append(f"candidate pairs kept after scoring: {self.candidate_pairs}")
        out.append("time: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items()))
        return out


@dataclass(frozen=True)
class Matched:
    """Decisions with the evidence behind them (custodian/auditor only, never disclosed)."""

    decisions: pd.DataFrame = field(repr=False)  # holds TINs: custodian and auditor only
    model: MatchModel | None = field(repr=False)  # None when every request was rejected
    requests: Requests = field(repr=False)
    candidates: Candidates = field(repr=False)


@dataclass(frozen=True)
class Result:
    """What one verification produced: ``response`` for the requester, the rest custodian-only."""

    response: Response
    decisions: pd.DataFrame = field(repr=False)  # holds TINs: custodian and auditor only
    model: MatchModel | None = field(repr=False)  # None when every request was rejected
    summary: Summary

    def explain(self, request_id: str) -> Explanation:
        """Why ``request_id`` got its outcome: levels and weights of the chosen person."""
        return explain(self.decisions, self.model, request_id)

    def write(self, outdir: Path | str, *, force: bool = False) -> list[Path]:
        """Write response (Parquet + CSV), decisions and the model (if one was trained), each
        atomically."""
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        targets = {
            "response.parquet": lambda p: pq.write_table(self.response.table, p),
            "response.csv": self.response.write_csv,
            "decisions.parquet": lambda p: self.decisions.to_parquet(p, index=False),
        }
        if self.model is not None:
            model = self.model
            targets["model.json"] = lambda p: p.write_text(model.to_json())
        written = []
        for name, write in targets.items():
            with atomic_path(outdir / name, force=force) as tmp:
                write(tmp)
            written.append(outdir / name)
        return written


class Verifier:
    """Matches encoded requests against a register and discloses identity only."""

    def __init__(
        self,
        register: Path | str,
        secret: LinkageSecret,
        config: MatchConfig | None = None,
        *,
        log: AuditLog | Path | str | None,
        schema: EncodingSchema | None = None,
        model: MatchModel | None = None,
        cache_dir: Path | str | None = None,
        progress: Progress | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.register_path = Path(register)
        self._secret = secret
        self.config = config or MatchConfig()
        self.schema = schema or EncodingSchema()
        self.log = log if isinstance(log, AuditLog) or log is None else AuditLog(log)
        self._model = model
        self._cache_dir = cache_dir
        self._progress = progress
        self.engine: Engine = engine or LocalEngine()
        self._register: EncodedRegister | None = None
        self._stats: TokenStats | None = None
        self.seconds: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"Verifier(register={str(self.register_path)!r}, config={self.config!r})"

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        if self._progress is not None:
            self._progress(stage)
        start = time.perf_counter()
        yield
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start

    def encoded_register(self) -> EncodedRegister:
        """The encoded register, from the cache when register, key and schema are unchanged."""
        if self._register is None:
            with self._timed("register"):
                self._register = encode_register(
                    self.register_path, self._secret, self.schema, cache_dir=self._cache_dir
                )
        return self._register

    def _token_stats(self, register: EncodedRegister) -> TokenStats:
        """Token frequencies of the encoded register, counted once per Verifier."""
        if self._stats is None:
            self._stats = TokenStats.from_batches(register.batches, engine=self.engine)
        return self._stats

    def verify(self, encoded: Path | str) -> Result:
        """Decide every request of an encoded submissions file and log the disclosures."""
        if self.log is None:
            raise ConfigError("a Verifier that discloses needs an audit log (log=...)")
        self.seconds = {}
        with self._timed("read"):
            table, _, _ = read_encoded(
                encoded,
                expected_schema=self.schema,
                expected_fingerprint=self._secret.fingerprint(),
            )
        matched = self.match(table)
        with self._timed("disclose"):
            response = self._respond(table, matched.decisions)
            self._log(table, matched.decisions, response)
        decisions = matched.decisions
        summary = Summary.of(decisions, len(matched.candidates), self.seconds)
        return Result(response, decisions, matched.model, summary)

    def match(self, table: pa.Table) -> Matched:
        """Score and decide an encoded table *without* disclosing or logging anything.

        Custodian and auditor evidence only (the policy replay uses it); ``verify`` is the only
        path that produces a response.
        """
        register = self.encoded_register()
        accepted = np.asarray(table.column("status").to_pylist(), dtype=object) == "ACCEPTED"
        subs = table.filter(pa.array(accepted))
        rng = np.random.default_rng(self.config.seed)
        model, scored = self._model, empty_scored()
        stats: TokenStats | None = None
        if subs.num_rows:  # with every request rejected there is nothing to score
            with self._timed("stats"):
                stats = self._token_stats(register)
            with self._timed("train"):
                model = model or train_model(
                    _sample(subs, TRAINING_REQUESTS, rng),
                    register.batches,
                    self.schema,
                    rng,
                    stats=stats,
                    engine=self.engine,
                )
            with self._timed("score"):
                # pairs this far below even chance cannot move any decision: drop them early
                pipeline = PipelineConfig(
                    min_weight=NEGLIGIBLE_BITS, min_name_weight=self.config.name_min_bits
                )
                scored = score_candidates(
                    subs,
                    register.batches,
                    model,
                    pipeline,
                    stats,
                    batch_rows=self.config.batch_rows,
                    engine=self.engine,
                )
        with self._timed("decide"):
            requests = self._requests(table, accepted, register, subs, stats)
            candidates = self._candidates(accepted, scored, register, model)
            decisions = decide(
                requests,
                candidates,
                register.tins,
                [c.name for c in COMPARISONS],
                self.config,
                register.first_year,
            )
        return Matched(decisions, model, requests, candidates)

    # -- stages -----------------------------------------------------------------------------
    def _requests(
        self,
        table: pa.Table,
        accepted: np.ndarray,
        register: EncodedRegister,
        subs: pa.Table,
        stats: TokenStats | None,
    ) -> Requests:
        # rejected rows may have no period at all: give them an empty one
        start = table.column("tax_period_start").fill_null(1).to_numpy(zero_copy_only=False)
        end = table.column("tax_period_end").fill_null(0).to_numpy(zero_copy_only=False)
        span = np.where(accepted, register.span_masks(start, end), 0).astype(np.uint32)
        reason = np.asarray(table.column("reason").to_pylist(), dtype=object)
        # a period the register does not cover cannot be verified: 6103 needs the tax period
        outside = accepted & (span == 0)
        reason[outside] = ReasonCode.PERIOD_OUT_OF_RANGE.value
        given_on_file = np.zeros(len(accepted), dtype=bool)
        if stats is not None and subs.num_rows:
            frequencies = RequestFrequencies.of(Encoded.of(subs), stats)
            given_on_file[accepted] = frequencies.given_on_file(NAME_ON_FILE_SHARE)
        return Requests(
            request_id=np.asarray(table.column("request_id").to_pylist(), dtype=object),
            accepted=accepted & ~outside,
            reason=reason,
            span_mask=span,
            given_on_file=given_on_file,
        )

    @staticmethod
    def _candidates(
        accepted: np.ndarray,
        scored: ScoredPairs,
        register: EncodedRegister,
        model: MatchModel | None,
    ) -> Candidates:
        rows = np.flatnonzero(accepted)  # accepted-subset index -> request row
        person, years = _person_years(register, scored.reg_idx)
        return Candidates(
            request=rows[scored.sub_idx],
            person=person,
            years=years,
            weight=scored.weight,
            name_weight=scored.name_weight,
            address_agrees=address_agrees(scored.levels),
            levels=scored.levels,
            vetoed=vetoed(scored.levels),
            household=None
            if model is None
            else Household(
                at_home=at_home(scored.levels),
                given=scored.level(Comparison.GIVEN),
                suffixed=scored.level(Comparison.SUFFIX) != MISSING,
                personal_bits=model.bits(scored.levels, PERSONAL),
                given_m=np.asarray(model.param(Comparison.GIVEN).m),
                given_u=np.asarray(model.param(Comparison.GIVEN).u),
            ),
        )

    def _respond(self, table: pa.Table, decisions: pd.DataFrame) -> Response:
        verified = decisions["outcome"].to_numpy() == Outcome.VERIFIED.value
        rows = pa.array(np.flatnonzero(verified), pa.int64())
        found = identities(
            self.register_path,
            decisions["tin"].to_numpy()[verified],
            table.column("tax_period_start").take(rows).to_numpy(zero_copy_only=False),
            table.column("tax_period_end").take(rows).to_numpy(zero_copy_only=False),
            tin=IdentityField.TIN in self.config.disclose,
        )
        return Response.build(
            decisions["request_id"].tolist(),
            decisions["outcome"].tolist(),
            found,
            self.config.disclose,
            rejection_reasons=decisions["reason"].tolist(),
        )

    def _log(self, table: pa.Table, decisions: pd.DataFrame, response: Response) -> None:
        assert self.log is not None  # verify() checked
        ids = decisions["request_id"].astype(str)
        batch_id = hashlib.sha256("\n".join(ids).encode()).hexdigest()
        rows = np.flatnonzero(decisions["outcome"].to_numpy() == Outcome.VERIFIED.value)
        verified = table.take(pa.array(rows, pa.int64()))
        columns = {
            name: verified.column(name).to_pylist()
            for name in ("request_id", "statute", "reason_text", "case_ref")
        }
        start = verified.column("tax_period_start").to_pylist()
        end = verified.column("tax_period_end").to_pylist()
        years = decisions["address_year"].iloc[rows].tolist()
        fields_disclosed = response.fields_disclosed()

        def events() -> Iterator[dict]:
            yield {
                "kind": EntryKind.BATCH.value,
                "batch": batch_id,
                "requests": len(decisions),
                "outcomes": {k: int(v) for k, v in decisions["outcome"].value_counts().items()},
                "key_fingerprint": self._secret.fingerprint(),
                "register": self.encoded_register().digest[:16],
                "threshold": self.config.threshold,
                "margin_bits": self.config.margin_bits,
            }
            for k in range(len(rows)):
                yield {
                    "kind": EntryKind.DISCLOSURE.value,
                    "batch": batch_id,
                    "request_id": columns["request_id"][k],
                    "statute": columns["statute"][k],
                    "reason": columns["reason_text"][k],
                    "period": [start[k], end[k]],
                    "case_ref": columns["case_ref"][k],
                    "fields": fields_disclosed,
                    "address_year": None if pd.isna(years[k]) else int(years[k]),
                }

        self.log.append(events())


def _sample(table: pa.Table, n: int, rng: np.random.Generator) -> pa.Table:
    """At most ``n`` rows of ``table``, chosen at random (in their original order)."""
    if table.num_rows <= n:
        return table
    return table.take(np.sort(rng.choice(table.num_rows, n, replace=False)))


def _person_years(register: EncodedRegister, reg_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Person index and years mask of the given register rows (reads two small columns)."""
    cols = pq.read_table(register.path, columns=["person", "years"])
    person = cols.column("person").to_numpy()
    years = cols.column("years").to_numpy()
    return person[reg_idx].astype(np.int64), years[reg_idx].astype(np.uint32)
