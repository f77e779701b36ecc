"""The custodian's whole job in one object: encoded requests in, outcomes and identities out.

``Verifier(register, secret, log=..., signing_key=...).verify(encoded, out=...)`` checks the
file's schema and key fingerprint, encodes (or reuses) the register, trains or loads the match
model, scores the candidates, decides one outcome per request, builds the identity-only response
and appends one batch entry, one entry per disclosure and a signed seal to the audit log — once
per batch, after the outputs are written under temporary names and before they are renamed into
place (:mod:`xverify.delivery`), so a crash never leaves a disclosure without its logged entry.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__, delivery
from ._io import atomic_path, check_writable
from .auditlog import AuditLog, EntryKind
from .config import MatchConfig
from .delivery import BATCH_META, OUTPUTS, batch_digest
from .disclosure import IdentityField, Response
from .encoding.encoder import ENCODER_REVISION, read_encoded
from .encoding.keys import LinkageSecret, SecretProvider, provided
from .encoding.schema import EncodingSchema
from .engines import Engine, LocalEngine
from .errors import AuditLogError, ConfigError, InputError
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
from .matching.decide import Candidates, Household, Requests, decide, estimate_housemates
from .matching.levels import MISSING, Comparison
from .matching.lookup import RegisterIndex
from .matching.model import MatchModel, TrainedFor
from .matching.pipeline import PipelineConfig, score_candidates, train_model
from .matching.score import ScoredPairs, empty_scored
from .outcomes import Outcome
from .progress import CountingEngine, Progress, silent
from .register import EncodedRegister, IdentityIndex, encode_register, identities
from .register_store import RegisterSource, open_register
from .requests import ReasonCode
from .signing import SigningKey

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
    candidate_pairs: int | None  # None: outputs read back, not recomputed
    seconds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(
        cls, decisions: pd.DataFrame, candidate_pairs: int | None, seconds: dict[str, float]
    ) -> Summary:
        with_reason = decisions[decisions["reason"] != ""]
        reasons = {
            str(outcome): {str(r): int(n) for r, n in group["reason"].value_counts().items()}
            for outcome, group in with_reason.groupby("outcome")
        }
        counts = {str(o): int(n) for o, n in decisions["outcome"].value_counts().items()}
        return cls(len(decisions), counts, reasons, candidate_pairs, dict(seconds))

    def lines(self, *, timings: bool = True) -> list[str]:
        """The summary as text; ``timings=False`` leaves out what varies from run to run."""
        out = [f"requests: {self.requests}"]
        for o in Outcome:
            out.append(f"  {o.value:<24} {self.outcomes.get(o.value, 0):>9}")
            reasons = self.reasons.get(o.value, {})
            out += [f"    {r:<22} {n:>9}" for r, n in sorted(reasons.items())]
        if self.candidate_pairs is not None:
            out.append(f"candidate pairs kept after scoring: {self.candidate_pairs}")
        if self.seconds and timings:
            out.append("time: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items()))
        return out


@dataclass(frozen=True)
class Matched:
    """Decisions with the evidence behind them (custodian/auditor only, never disclosed).

    From :meth:`Verifier.match` the decisions name the chosen person by ``person`` (a register
    row index), not by TIN: the only path that yields a TIN for a request is ``verify``, which
    logs it. :meth:`identified` puts the TINs back from the register's own TIN table, for an
    auditor comparing with a synthetic truth.
    """

    decisions: pd.DataFrame = field(repr=False)
    model: MatchModel | None = field(repr=False)  # None when every request was rejected
    requests: Requests = field(repr=False)
    candidates: Candidates = field(repr=False)

    def identified(self, tins: np.ndarray) -> pd.DataFrame:
        """The decisions with ``tin`` for ``person``, from ``tins`` (person index -> TIN, e.g.
        ``verifier.encoded_register().tins``)."""
        person = self.decisions["person"]
        tin = np.full(len(person), None, dtype=object)
        known = person.notna().to_numpy()
        tin[known] = np.asarray(tins, dtype=object)[person[known].to_numpy(dtype=np.int64)]
        out = self.decisions.drop(columns="person")
        out.insert(list(self.decisions.columns).index("person"), "tin", tin)
        return out


class Delivered(StrEnum):
    """How a result reached the log and the output folder."""

    LOGGED = "logged"  # decided now; the batch and its disclosures were appended and sealed
    ALREADY_LOGGED = "already logged"  # the same batch was in the log: nothing appended
    RECOVERED = "recovered"  # a killed run had logged it: its pending outputs were moved in


@dataclass(frozen=True)
class Result:
    """What one verification produced: ``response`` for the requester, the rest custodian-only."""

    response: Response
    decisions: pd.DataFrame = field(repr=False)  # holds TINs: custodian and auditor only
    model: MatchModel | None = field(repr=False)  # None when every request was rejected
    summary: Summary
    batch: str = ""  # digest of the batch (input, settings, model, register)
    delivered: Delivered = Delivered.LOGGED
    written: tuple[Path, ...] = ()  # the output files, when written by ``verify(out=...)``

    def explain(self, request_id: str) -> Explanation:
        """Why ``request_id`` got its outcome: levels and weights of the chosen person."""
        return explain(self.decisions, self.model, request_id)

    def writers(self) -> dict[str, Callable[[Path], None]]:
        """One function per output file: response (Parquet + CSV), model (if one was trained)
        and decisions, which carry the batch digest in their file metadata."""

        def decisions(path: Path) -> None:
            table = pa.Table.from_pandas(self.decisions, preserve_index=False)
            meta = {**(table.schema.metadata or {}), BATCH_META: self.batch.encode()}
            pq.write_table(table.replace_schema_metadata(meta), path)

        targets: dict[str, Callable[[Path], None]] = {
            "response.parquet": lambda p: pq.write_table(self.response.table, p),
            "response.csv": self.response.write_csv,
        }
        if self.model is not None:
            text = self.model.to_json()

            def model(path: Path) -> None:
                path.write_text(text)

            targets["model.json"] = model
        targets["decisions.parquet"] = decisions
        return targets

    def write(self, outdir: Path | str, *, force: bool = False) -> list[Path]:
        """Write the outputs, each atomically (``Verifier.verify(encoded, out=...)`` does this
        crash-safely together with the log; use this for copies)."""
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, write in self.writers().items():
            with atomic_path(outdir / name, force=force) as tmp:
                write(tmp)
            written.append(outdir / name)
        return written

    @classmethod
    def read(cls, outdir: Path, batch: str, delivered: Delivered) -> Result:
        """The result of a batch whose outputs are already in ``outdir``."""
        decisions = pd.read_parquet(outdir / "decisions.parquet")
        model_file = outdir / "model.json"
        model = MatchModel.from_json(model_file.read_text()) if model_file.exists() else None
        written = tuple(outdir / n for n in OUTPUTS if (outdir / n).exists())
        return cls(
            Response(pq.read_table(outdir / "response.parquet")),
            decisions,
            model,
            Summary.of(decisions, None, {}),
            batch,
            delivered,
            written,
        )


class Verifier:
    """Matches encoded requests against a register and discloses identity only.

    ``log`` is where disclosures are logged: a path (then ``signing_key``, the custodian's
    Ed25519 key or its file, seals every batch), an :class:`AuditLog` (``signing_key=None`` there
    is an explicitly unsigned log), or ``None`` for evidence only (``match``; ``verify`` refuses).
    """

    def __init__(
        self,
        register: Path | str | RegisterSource,
        secret: LinkageSecret | SecretProvider,
        config: MatchConfig | None = None,
        *,
        log: AuditLog | Path | str | None,
        signing_key: SigningKey | Path | str | None = None,
        schema: EncodingSchema | None = None,
        model: MatchModel | None = None,
        cache_dir: Path | str | None = None,
        progress: Progress | None = None,
        engine: Engine | None = None,
    ) -> None:
        #: a folder, ``duckdb:///file.duckdb`` or ``postgresql://...`` (see register_store)
        self.register: RegisterSource = open_register(register)
        self._secret = provided(secret)  # resolved here, on the driver
        self.config = config or MatchConfig()
        self.schema = schema or EncodingSchema()
        self.log = _open_log(log, signing_key)
        self._model = model
        self._cache_dir = cache_dir
        self._progress: Progress = progress or silent
        self.engine: Engine = engine or LocalEngine()
        self._register: EncodedRegister | None = None
        self._stats: TokenStats | None = None
        self._index: RegisterIndex | None = None
        self._identities: IdentityIndex | None = None
        self._trained_for: TrainedFor | None = None
        self.seconds: dict[str, float] = {}

    def __repr__(self) -> str:
        return f"Verifier(register={self.register.name!r}, config={self.config!r})"

    @contextmanager
    def _timed(self, stage: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """Time a stage and report its progress (``total`` units, advanced by what it yields)."""
        advance = self._progress(stage, total)
        start = time.perf_counter()
        yield advance
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start

    def _counted(self, advance: Callable[[int], None]) -> Engine:
        """The engine, reporting each register part it finishes."""
        return CountingEngine(self.engine, advance)

    def encoded_register(self) -> EncodedRegister:
        """The encoded register, from the cache when register, key and schema are unchanged."""
        if self._register is None:
            with self._timed("register") as advance:
                self._register = encode_register(
                    self.register,
                    self._secret,
                    self.schema,
                    cache_dir=self._cache_dir,
                    progress=advance,
                )
        return self._register

    def open_index(self, *, warm: bool = False) -> RegisterIndex:
        """Open the register index (built once, beside the encoded register's cache), after
        which this Verifier answers through it: a request's candidates are looked up instead of
        streaming the register past the batch, with the same decisions and the same log.
        For single requests in real time (:meth:`verify_one`); needs a trained model.
        ``warm`` reads the index into memory now (seconds per GB) instead of on first use."""
        if self._index is None:
            register = self.encoded_register()
            folder = register.path.with_name(register.path.stem + ".index")
            people = register.path.parent / "identities"  # the identity columns, for any key
            try:
                index = RegisterIndex.open(folder, register_digest=register.digest)
            except InputError:
                with self._timed("index"):
                    index = RegisterIndex.build(
                        register.batches, register.rows, folder, register_digest=register.digest
                    )
            try:
                found = IdentityIndex.open(people, register.digest)
            except InputError:
                with self._timed("index"):
                    found = IdentityIndex.build(self.register, people, register.digest)
            self._index, self._stats, self._identities = index, index.stats, found
        if warm:
            with self._timed("warm"):
                self._index.warm()
                if self._identities is not None:
                    self._identities.warm()
        return self._index

    def verify_one(self, encoded: Path | str | pa.Table) -> Result:
        """Decide and log one encoded request (or a few) against the register index, with the
        trained model: the decision it gets in any batch, logged as :meth:`verify` logs."""
        if self._model is None:
            raise ConfigError("single requests are answered with a trained model (model=...)")
        self.open_index()
        return self.verify(encoded)

    def _token_stats(
        self, register: EncodedRegister, advance: Callable[[int], None] | None = None
    ) -> TokenStats:
        """Token frequencies of the encoded register, counted once per Verifier."""
        if self._stats is None:
            engine = self.engine if advance is None else self._counted(advance)
            self._stats = TokenStats.from_batches(register.batches, engine=engine)
        return self._stats

    def verify(
        self, encoded: Path | str | pa.Table, out: Path | str | None = None, *, force: bool = False
    ) -> Result:
        """Decide every request of an encoded submissions file and log its disclosures once.

        With ``out`` the outputs are delivered crash-safely (:mod:`xverify.delivery`): written
        under temporary names, logged, then renamed into ``out``; existing outputs are replaced
        only with ``force``. Without ``out`` the result is logged before it is returned. A batch
        already in the log (same input, settings, model and register) is never logged again; a
        run killed after logging is finished by the next run of the same batch.
        """
        if self.log is None:
            raise ConfigError("a Verifier that discloses needs an audit log (log=...)")
        self.seconds = {}
        with self._timed("read"):
            table, _, _ = read_encoded(
                encoded,
                expected_schema=self.schema,
                expected_fingerprint=self._secret.fingerprint(),
            )
            digest = None if self._model is None else self._model.digest
            source = encoded if isinstance(encoded, pa.Table) else Path(encoded)
            register = self.encoded_register().digest
            batch = batch_digest(source, register, self.config, self.schema, digest)
        if out is None:
            result, events = self._decide(table, batch)
            return self._commit(result, events)
        outdir = Path(out)
        with delivery.locked(outdir):
            pending = delivery.pending_dir(outdir, batch)
            logged = self.log.find_batch(batch) is not None
            if logged and delivery.is_complete(pending):  # killed after logging: finish it
                delivery.clean(outdir, keep=pending)
                delivery.publish(pending, outdir)
                return Result.read(outdir, batch, Delivered.RECOVERED)
            delivery.clean(outdir, keep=None)
            if logged and not force and delivery.done_in(outdir, batch):
                return Result.read(outdir, batch, Delivered.ALREADY_LOGGED)
            for name in OUTPUTS:
                check_writable(outdir / name, force=force)
            result, events = self._decide(table, batch)
            delivery.write_pending(pending, result.writers())
            try:
                result = self._commit(result, events)
            except BaseException:
                shutil.rmtree(pending, ignore_errors=True)
                raise
            written = tuple(delivery.publish(pending, outdir))
            return replace(result, written=written)

    def _decide(self, table: pa.Table, batch: str) -> tuple[Result, list[dict[str, Any]]]:
        """Match, decide and build the response and the log events (nothing logged yet)."""
        matched = self._decide_all(table, self._model)
        with self._timed("disclose"):
            response = self._respond(table, matched.decisions)  # by person (identity index)
            matched = replace(matched, decisions=matched.decisions.drop(columns="person"))
            events = self._events(table, matched.decisions, response, batch, matched.model)
        summary = Summary.of(matched.decisions, len(matched.candidates), self.seconds)
        return Result(response, matched.decisions, matched.model, summary, batch), events

    def _commit(self, result: Result, events: list[dict[str, Any]]) -> Result:
        """Append the batch (unless already logged); refuse results the log does not hold."""
        assert self.log is not None
        commit = self.log.append(events, batch=result.batch)
        if commit.appended:
            return result
        logged = commit.existing or {}
        if (logged.get("requests"), logged.get("outcomes")) != (
            events[0]["requests"],
            events[0]["outcomes"],
        ):
            raise AuditLogError(
                "this batch is in the audit log with other outcomes; refusing to disclose "
                "results the log does not hold (register or software changed since?)"
            )
        return replace(result, delivered=Delivered.ALREADY_LOGGED)

    def train(self, calibration: Path | str | pa.Table) -> MatchModel:
        """Train the model that decisions are made with, once, on a calibration batch.

        Everything a decision depends on is fitted here: m and u by EM on at most
        ``TRAINING_REQUESTS`` accepted requests of ``calibration`` (synthetic or past requests,
        encoded with this key and schema), and the household rates from those requests' scored
        candidates. The model names the register, schema, encoder revision and key it was trained
        for; ``Verifier(..., model=...)`` applies it to any batch without estimating anything
        from that batch, so a request's decision never depends on the requests beside it.
        """
        self.seconds = {}
        table, _, _ = read_encoded(
            calibration,
            expected_schema=self.schema,
            expected_fingerprint=self._secret.fingerprint(),
        )
        accepted = np.asarray(table.column("status").to_pylist(), dtype=object) == "ACCEPTED"
        sample = _sample(table.filter(pa.array(accepted)), TRAINING_REQUESTS, self._rng())
        if sample.num_rows == 0:
            raise InputError("the calibration batch has no accepted request to train on")
        model = self._decide_all(sample, None).model
        assert model is not None
        return model

    def trained_for(self) -> TrainedFor:
        """What a model applied by this Verifier must have been trained for."""
        if self._trained_for is None:
            self._trained_for = TrainedFor(
                register_digest=self.encoded_register().digest,
                schema_digest=_sha256(self.schema.to_json()),
                encoder_revision=ENCODER_REVISION,
                key_fingerprint=self._secret.fingerprint(),
            )
        return self._trained_for

    def _check_model(self, model: MatchModel) -> None:
        """Refuse a model that cannot decide here (another register, schema, revision, key)."""
        if model.trained_for is None or model.housemates is None:
            raise ConfigError(
                "this match model cannot decide (no household rates or no record of what it was "
                "trained for): train one with 'xverify train' or Verifier.train"
            )
        differs = model.trained_for.mismatch(self.trained_for())
        if differs is not None:
            raise ConfigError(
                f"the match model was trained for another {differs}: train it again for this one"
            )

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(self.config.seed)

    def match(self, table: pa.Table) -> Matched:
        """Score and decide an encoded table *without* disclosing or logging anything.

        Custodian and auditor evidence only (the policy replay uses it). The chosen person is
        named by register row index (``person``), never by TIN: ``verify`` is the only path that
        yields TINs, and it logs them.
        """
        matched = self._decide_all(table, self._model)
        return replace(matched, decisions=matched.decisions.drop(columns="tin"))

    def _decide_all(self, table: pa.Table, model: MatchModel | None) -> Matched:
        """Decisions naming the chosen persons by index and by TIN: ``verify`` keeps the TINs
        (and logs them), ``match`` the index.

        With ``model`` (trained beforehand) nothing is estimated from ``table``; without it the
        model is trained on this batch, household rates included, and returned with the
        decisions (``xverify match`` writes it as ``model.json``: a re-run with it gives the same
        decisions).
        """
        register = self.encoded_register()
        if model is not None:
            self._check_model(model)
        accepted = np.asarray(table.column("status").to_pylist(), dtype=object) == "ACCEPTED"
        subs = table.filter(pa.array(accepted))
        rng = self._rng()
        scored = empty_scored()
        stats: TokenStats | None = None
        if subs.num_rows:  # with every request rejected there is nothing to score
            counted = self._stats is None
            with self._timed("stats", register.rows if counted else 0) as advance:
                stats = self._token_stats(register, advance)
            with self._timed("train", register.rows if model is None else 0) as advance:
                model = model or train_model(
                    _sample(subs, TRAINING_REQUESTS, rng),
                    register.batches,
                    self.schema,
                    rng,
                    stats=stats,
                    engine=self._counted(advance),
                )
            # pairs this far below even chance cannot move any decision: drop them early
            floors = (NEGLIGIBLE_BITS, self.config.name_min_bits)
            if self._index is not None:
                with self._timed("score"):
                    scored = self._index.score(Encoded.of(subs), model, *floors)
            else:
                with self._timed("score", register.rows) as advance:
                    scored = score_candidates(
                        subs,
                        register.batches,
                        model,
                        PipelineConfig(min_weight=floors[0], min_name_weight=floors[1]),
                        stats,
                        batch_rows=self.config.batch_rows,
                        engine=self._counted(advance),
                    )
        with self._timed("decide"):
            requests = self._requests(table, accepted, register, subs, stats)
            candidates = self._candidates(accepted, scored, model)
            if model is not None and model.housemates is None:  # trained on this batch
                model = replace(
                    model,
                    housemates=estimate_housemates(requests, candidates),
                    trained_for=self.trained_for(),
                )
            decisions = decide(
                requests,
                candidates,
                register.tins if self._identities is None else self._identities,
                [c.name for c in COMPARISONS],
                self.config,
                register.first_year,
                None if model is None else model.housemates,
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

    def _candidates(
        self, accepted: np.ndarray, scored: ScoredPairs, model: MatchModel | None
    ) -> Candidates:
        rows = np.flatnonzero(accepted)  # accepted-subset index -> request row
        if self._index is not None:
            person = np.asarray(self._index.person[scored.reg_idx], np.int64)
            years = np.asarray(self._index.years[scored.reg_idx], np.uint32)
        else:
            person, years = _person_years(self.encoded_register(), scored.reg_idx)
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
        """The requester's response: identities of the VERIFIED (``decisions`` name the chosen
        person by ``person`` and ``tin``), read through the identity index when it is open."""
        verified = decisions["outcome"].to_numpy() == Outcome.VERIFIED.value
        rows = pa.array(np.flatnonzero(verified), pa.int64())
        start = table.column("tax_period_start").take(rows).to_numpy(zero_copy_only=False)
        end = table.column("tax_period_end").take(rows).to_numpy(zero_copy_only=False)
        tin = IdentityField.TIN in self.config.disclose
        if self._identities is not None:
            persons = decisions["person"].to_numpy(dtype=np.int64, na_value=-1)[verified]
            found = self._identities.identities(persons, start, end, tin=tin)
        else:
            tins = decisions["tin"].to_numpy()[verified]
            found = identities(self.register, tins, start, end, tin=tin)
        return Response.build(
            decisions["request_id"].tolist(),
            decisions["outcome"].tolist(),
            found,
            self.config.disclose,
            rejection_reasons=decisions["reason"].tolist(),
        )

    def _provenance(self, model: MatchModel | None) -> dict[str, Any]:
        """What produced a batch's decisions, so an auditor can re-run them: software, encoder
        revision, schema, model (m/u, TF, interactions), settings, key and register."""
        settings = {k: v for k, v in self.config.to_dict().items() if k != "batch_rows"}
        trained_for = self.trained_for()
        return {
            "software": __version__,
            "encoder_revision": trained_for.encoder_revision,
            "schema_digest": trained_for.schema_digest,
            "model_digest": None if model is None else model.digest,
            "model_trained_on_batch": self._model is None,
            "settings_digest": _sha256(json.dumps(settings, sort_keys=True, default=str)),
            "key_fingerprint": trained_for.key_fingerprint,
            "register_digest": trained_for.register_digest,
        }

    def _events(
        self,
        table: pa.Table,
        decisions: pd.DataFrame,
        response: Response,
        batch: str,
        model: MatchModel | None,
    ) -> list[dict[str, Any]]:
        """The batch entry and one disclosure entry per VERIFIED request (no identities)."""
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
        events: list[dict[str, Any]] = [
            {
                "kind": EntryKind.BATCH.value,
                "batch": batch,
                "requests": len(decisions),
                "outcomes": {k: int(v) for k, v in decisions["outcome"].value_counts().items()},
                "threshold": self.config.threshold,
                "margin_bits": self.config.margin_bits,
                "provenance": self._provenance(model),
            }
        ]
        for k in range(len(rows)):
            events.append(
                {
                    "kind": EntryKind.DISCLOSURE.value,
                    "batch": batch,
                    "request_id": columns["request_id"][k],
                    "statute": columns["statute"][k],
                    "reason": columns["reason_text"][k],
                    "period": [start[k], end[k]],
                    "case_ref": columns["case_ref"][k],
                    "fields": fields_disclosed,
                    "address_year": None if pd.isna(years[k]) else int(years[k]),
                }
            )
        return events


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _open_log(
    log: AuditLog | Path | str | None, signing_key: SigningKey | Path | str | None
) -> AuditLog | None:
    """The audit log a Verifier appends to; a log given by path must be signed."""
    if isinstance(log, AuditLog) or log is None:
        if signing_key is not None:
            raise ConfigError("give signing_key= with a log path, not with an AuditLog or None")
        return log
    if signing_key is None:
        raise ConfigError(
            "an audit log is sealed with the custodian's signing key: pass signing_key= "
            "(from 'xverify keygen --signing'), or log=AuditLog(path, signing_key=None) "
            "for an unsigned log that never verifies"
        )
    key = signing_key if isinstance(signing_key, SigningKey) else SigningKey.from_file(signing_key)
    return AuditLog(log, signing_key=key)


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
