"""Single requests against a register indexed once: the batch path with the roles swapped.

The batch path streams the register past an index of the requests. For one request, or a few,
that pass is the whole cost; here the register's blocking keys are indexed once instead (every
rule, no cap) and kept on disk with the register's encodings, token statistics, persons and
years as NumPy files, memory-mapped when opened (milliseconds, whatever the register's size).
A request's candidates are the register rows sharing one of its keys, after the caps the batch
path applies (:func:`~xverify.matching.blocking.capped_keys`): the very pairs the batch path
finds, then compared and scored by the same functions, in the same order. So decisions made
through the index equal the batch path's (a test holds them equal).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .._io import touch_pages
from ..encoding.schema import TokenType
from ..errors import InputError
from .blocking import (
    DEFAULT_STATS_TYPES,
    BlockingConfig,
    BlockingIndex,
    CandidatePairs,
    Encoded,
    TokenCounts,
    TokenStats,
    TokenTable,
    all_rule_keys,
    capped_keys,
    index_of,
)
from .compare import ComparedPairs, RequestFrequencies, compare_pairs
from .model import MatchModel
from .score import ScoredPairs, score_compared

#: bumped whenever the files of an index change meaning
INDEX_FORMAT = 1
_ARRAYS = ("words", "tokens", "bits", "person", "years", "keys", "offsets", "postings", "directory")


@dataclass(frozen=True)
class RegisterIndex:
    """The encoded register, its blocking index and token statistics, opened from disk."""

    encoded: Encoded  # every register row, memory-mapped
    person: np.ndarray  # int64 person index per register row
    years: np.ndarray  # uint32 years mask per register row
    blocking: BlockingIndex  # register rows by blocking key (its "submissions" are register rows)
    stats: TokenStats
    config: BlockingConfig

    @property
    def rows(self) -> int:
        return self.encoded.rows

    @classmethod
    def build(
        cls,
        batches: Callable[[], Iterable[pa.RecordBatch]],
        rows: int,
        folder: Path,
        config: BlockingConfig | None = None,
        *,
        register_digest: str,
    ) -> RegisterIndex:
        """Index an encoded register (``batches`` streams its rows, ``rows`` of them; its
        digest names it) into ``folder``, written whole or not at all, and open it."""
        config = config or BlockingConfig()
        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            _write(batches, rows, tmp, config, register_digest)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return cls.open(folder, config, register_digest=register_digest)

    @classmethod
    def open(
        cls, folder: Path, config: BlockingConfig | None = None, *, register_digest: str
    ) -> RegisterIndex:
        """Memory-map an index written by :meth:`build` (nothing is read until it is used);
        :class:`InputError` unless it indexes the register of ``register_digest`` with
        ``config``'s rules."""
        config = config or BlockingConfig()
        folder = Path(folder)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if (meta["format"], meta["rules"], meta["register_digest"]) != (
                INDEX_FORMAT,
                _rules_id(config),
                register_digest,
            ):
                raise InputError.at("an index of another register or rules", file=str(folder))
            # plain views of the maps: indexing a np.memmap costs a subclass round trip per call
            a = {
                name: np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray)
                for name in _ARRAYS
            }
            stats = TokenStats(
                rows=int(meta["rows"]),
                tables={
                    TokenType(t): _table(np.load(folder / f"stats-{t}.npy"), int(meta["rows"]))
                    for t in meta["stats"]
                },
            )
        except (OSError, ValueError, KeyError) as exc:
            raise InputError.at(
                f"cannot open the register index ({type(exc).__name__})", file=str(folder)
            ) from None
        encoded = Encoded(
            words=a["words"],
            tokens=a["tokens"],
            word_off=np.asarray(meta["word_off"], np.int64),
            slot_off=np.asarray(meta["slot_off"], np.int64),
            bits=a["bits"],
        )
        blocking = BlockingIndex(
            keys=a["keys"],
            offsets=a["offsets"],
            postings=a["postings"],
            directory=a["directory"],
            shift=int(meta["shift"]),
            rules=config.rules,
            submissions=int(meta["rows"]),
            dropped_keys=0,
        )
        return cls(encoded, a["person"], a["years"], blocking, stats, config)

    def warm(self) -> int:
        """Read every mapped array once, so that the first requests find them in memory rather
        than on disk (a service answering in milliseconds keeps its index warm); returns the
        bytes read."""
        arrays = (*_arrays(self.encoded), self.person, self.years, *_arrays(self.blocking))
        return sum(touch_pages(a) for a in arrays)

    def candidates(self, subs: Encoded) -> CandidatePairs:
        """The pairs the batch path would find for ``subs``, sorted by (register row, request)."""
        keys, sub, _ = capped_keys(subs, self.config, self.stats)
        b = self.blocking
        pos = np.minimum(np.searchsorted(b.keys, keys), max(b.keys.size - 1, 0))
        hit = (b.keys[pos] == keys) if b.keys.size else np.zeros(keys.size, bool)
        lo, hi = b.offsets[pos[hit]], b.offsets[pos[hit] + 1]
        sizes = hi - lo
        starts = np.repeat(lo - np.cumsum(sizes) + sizes, sizes)
        reg = np.asarray(b.postings[starts + np.arange(int(sizes.sum()))], np.int64)
        code = np.unique(reg * max(subs.rows, 1) + np.repeat(sub[hit], sizes))
        return CandidatePairs(
            (code % max(subs.rows, 1)).astype(np.int32), code // max(subs.rows, 1)
        )

    def score(
        self,
        subs: Encoded,
        model: MatchModel,
        min_weight: float | None = None,
        min_name_weight: float | None = None,
    ) -> ScoredPairs:
        """Compare and score the candidates of ``subs`` (the batch path's scored pairs)."""
        pairs = self.candidates(subs)
        rows, local = np.unique(pairs.reg_idx, return_inverse=True)
        reg = Encoded(
            words=np.ascontiguousarray(self.encoded.words[rows]),
            tokens=np.ascontiguousarray(self.encoded.tokens[rows]),
            word_off=self.encoded.word_off,
            slot_off=self.encoded.slot_off,
            bits=np.ascontiguousarray(self.encoded.bits[rows]),
        )
        compared = compare_pairs(
            subs,
            reg,
            CandidatePairs(pairs.sub_idx, local.astype(np.int64)),
            model.compare,
            self.stats,
            frequencies=RequestFrequencies.of(subs, self.stats),
        )
        return score_compared(  # the levels of local rows, the pairs by global register row
            ComparedPairs(pairs, compared.levels, compared.tf),
            model,
            min_weight=min_weight,
            min_name_weight=min_name_weight,
        )


def _arrays(obj: Encoded | BlockingIndex) -> tuple[np.ndarray, ...]:
    if isinstance(obj, Encoded):
        return obj.words, obj.tokens, obj.bits
    return obj.keys, obj.offsets, obj.postings, obj.directory


def _rules_id(config: BlockingConfig) -> str:
    return repr(config.rules)


def _table(arr: np.ndarray, rows: int) -> TokenTable:
    tokens, counts = arr[0].astype(np.uint64), arr[1].astype(np.int64)
    return TokenTable(tokens, counts, np.log2(counts / max(rows, 1)).astype(np.float64))


def _write(
    batches: Callable[[], Iterable[pa.RecordBatch]],
    rows: int,
    folder: Path,
    config: BlockingConfig,
    register_digest: str,
) -> None:
    """Copy the encodings into memory-mappable arrays, count tokens, index every rule's keys."""
    arrays: dict[str, np.memmap] = {}
    keys, owners, counts = [], [], []
    row0 = 0
    first: Encoded | None = None
    for batch in batches():
        enc = Encoded.of(batch)
        if first is None:
            first = enc
            shapes: dict[str, tuple[tuple[int, ...], type[np.generic]]] = {
                "words": ((rows, enc.words.shape[1]), np.uint64),
                "tokens": ((rows, enc.tokens.shape[1]), np.uint64),
                "bits": ((rows, enc.bits.shape[1]), np.int64),
                "person": ((rows,), np.int64),
                "years": ((rows,), np.uint32),
            }
            for name, (shape, dtype) in shapes.items():
                arrays[name] = np.lib.format.open_memmap(folder / f"{name}.npy", "w+", dtype, shape)
        end = row0 + enc.rows
        arrays["words"][row0:end] = enc.words
        arrays["tokens"][row0:end] = enc.tokens
        arrays["bits"][row0:end] = enc.bits
        arrays["person"][row0:end] = batch.column("person").to_numpy()
        arrays["years"][row0:end] = batch.column("years").to_numpy()
        k = all_rule_keys(enc, config.rules)
        owner = np.repeat(np.arange(row0, end, dtype=np.int64), k.shape[1])
        flat = k.reshape(-1)
        keys.append(flat[flat != 0])
        owners.append(owner[flat != 0])
        counts.append(TokenCounts.of(batch, DEFAULT_STATS_TYPES))
        row0 = end
    if first is None or row0 != rows:
        raise InputError("the encoded register is empty or shorter than it says")
    for a in arrays.values():
        a.flush()
    index = index_of(np.concatenate(keys), np.concatenate(owners), config.rules, rows)
    for name in ("keys", "offsets", "postings", "directory"):
        np.save(folder / f"{name}.npy", getattr(index, name))
    merged = TokenCounts.merge(counts, DEFAULT_STATS_TYPES)
    for t, (u, c) in merged.counts.items():
        np.save(folder / f"stats-{t.value}.npy", np.stack([u, c.astype(np.uint64)]))
    meta = {
        "format": INDEX_FORMAT,
        "register_digest": register_digest,
        "rows": rows,
        "rules": _rules_id(config),
        "shift": index.shift,
        "word_off": first.word_off.tolist(),
        "slot_off": first.slot_off.tolist(),
        "stats": [t.value for t in merged.counts],
    }
    (folder / "meta.json").write_text(json.dumps(meta, sort_keys=True))
