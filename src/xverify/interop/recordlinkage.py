"""xverify's hashed-field comparisons for users of the Python Record Linkage Toolkit.

`recordlinkage <https://recordlinkage.readthedocs.io>`_ compares plaintext records; xverify
compares keyed encodings (Bloom filters and tokens). This module lets a recordlinkage user work
on the encoded side with the tools they know:

* :func:`EncodedCompare` — a ``recordlinkage.base.BaseCompareFeature`` over encoded DataFrames
  (``encoded_table.to_pandas()``): an xverify agreement level (:class:`Comparison`), the Dice
  similarity of a Bloom filter (:class:`BloomField`) or the agreement of a keyed token
  (:class:`TokenType`), computed by xverify's own comparison code. Add it with
  ``compare.add(EncodedCompare(Comparison.SURNAME))``; the left frame holds the requests, the
  right one the register (some levels are asymmetric: a suffix or unit on one side only).
* :func:`features` — the candidate pairs xverify scored (``Verifier.match(table)``) as a
  recordlinkage features DataFrame: a ``(request, person)`` MultiIndex and one column of level
  numbers per comparison (``binary=True``: 0/1 agreement indicators, what
  ``recordlinkage.ECMClassifier``'s default initialisation needs), ready for
  ``ECMClassifier().fit_predict(...)`` or ``LogisticRegressionClassifier``.
* :func:`labelled` — the same frame with level labels (``"some exact"``) instead of numbers.

recordlinkage is imported on first use: without it, using this module raises
:class:`~xverify.errors.ConfigError` naming the ``interop`` extra. recordlinkage 0.16 declares
``pandas<3``; its compare and classifier API used here runs on pandas 3 as well.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..encoding.bloom import dice
from ..encoding.schema import BloomField, EncodingSchema, TokenType
from ..errors import ConfigError
from ..matching.blocking import CandidatePairs, Encoded
from ..matching.compare import COMPARISONS, CompareConfig, compare_pairs
from ..matching.levels import (
    LEVEL_LABELS,
    MISSING,
    BirthDate,
    Comparison,
    Middle,
    Rule,
    Suffix,
    Tin,
)

if TYPE_CHECKING:
    from ..matching.decide import Candidates

__all__ = [
    "AGREES",
    "ENCODED_COLUMNS",
    "INTEROP_EXTRA",
    "EncodedCompare",
    "features",
    "labelled",
    "recordlinkage",
]

INTEROP_EXTRA = "xverify.interop.recordlinkage needs recordlinkage: pip install 'xverify[interop]'"

#: the encoded columns an :func:`EncodedCompare` reads, on both sides, in schema order
ENCODED_COLUMNS: tuple[str, ...] = tuple(EncodingSchema.bloom_column(f) for f in BloomField) + (
    tuple(EncodingSchema.token_column(t) for t in TokenType)
)

#: per comparison, the lowest level :func:`features` with ``binary=True`` counts as agreement
AGREES: Mapping[Comparison, int] = {
    Comparison.GIVEN: Rule.GIVEN_AGREES.min_level,
    Comparison.SURNAME: Rule.SURNAME_AGREES.min_level,
    Comparison.MIDDLE: int(Middle.AGREES),
    Comparison.SUFFIX: int(Suffix.AGREES),
    Comparison.BIRTH_DATE: int(BirthDate.AGREES),
    Comparison.TIN: int(Tin.AGREES),
    Comparison.ADDRESS: Rule.ADDRESS_AGREES.min_level,
}

INDEX_NAMES = ("request", "person")


def recordlinkage() -> Any:
    """The ``recordlinkage`` module, or :class:`ConfigError` naming the extra to install."""
    try:
        import recordlinkage as rl
    except ImportError:
        raise ConfigError(INTEROP_EXTRA) from None
    return rl


# ------------------------------------------------------------------------- compare feature
def _table(series: Sequence[pd.Series]) -> pa.Table:
    """An encoded Arrow table from the pair-aligned columns recordlinkage hands a feature."""
    cols = {}
    for name, s in zip(ENCODED_COLUMNS, series, strict=True):
        values = s.to_numpy(dtype=object)
        width = len(values[0]) if len(values) else 8
        cols[name] = pa.array(values, pa.binary(width))
    return pa.table(cols)


def _encoded_pairs(
    args: Sequence[pd.Series],
) -> tuple[Encoded, Encoded, CandidatePairs]:
    k = len(ENCODED_COLUMNS)
    left, right = Encoded.of(_table(args[:k])), Encoded.of(_table(args[k:]))
    n = left.rows
    return left, right, CandidatePairs(np.arange(n, dtype=np.int32), np.arange(n, dtype=np.int64))


def _compare_level(
    *args: pd.Series, comparison: Comparison, config: CompareConfig | None
) -> np.ndarray:
    left, right, pairs = _encoded_pairs(args)
    if not len(pairs):
        return np.empty(0, np.int8)
    return compare_pairs(left, right, pairs, config).levels[:, int(comparison)]


def _compare_dice(*args: pd.Series, field: BloomField, missing_value: float) -> np.ndarray:
    left, right, _ = _encoded_pairs(args)
    i = list(BloomField).index(field)
    lo, hi = left.word_off[i], left.word_off[i + 1]
    out = dice(left.words[:, lo:hi], right.words[:, lo:hi])[: left.rows]
    missing = (left.bits[:, i] == 0) | (right.bits[:, i] == 0)
    return np.where(missing, missing_value, out)


def _compare_token(*args: pd.Series, token: TokenType, missing_value: float) -> np.ndarray:
    left, right, _ = _encoded_pairs(args)
    a, b = left.token(token), right.token(token)
    # any non-empty slot of one side equals any non-empty slot of the other
    agree = ((a[:, :, None] == b[:, None, :]) & (a[:, :, None] != 0)).any(axis=(1, 2))
    missing = ~(a != 0).any(axis=1) | ~(b != 0).any(axis=1)
    return np.where(missing, missing_value, agree.astype(np.float64))


@functools.cache
def _feature_class() -> type:
    rl = recordlinkage()

    class EncodedCompareFeature(rl.base.BaseCompareFeature):  # type: ignore[name-defined]
        """A recordlinkage compare feature over xverify's encoded columns (see the module)."""

        name = "xverify-encoded"
        description = "Compare keyed encodings with xverify's comparison code"

        def __init__(
            self,
            what: Comparison | BloomField | TokenType,
            labels_left: Sequence[str] = ENCODED_COLUMNS,
            labels_right: Sequence[str] = ENCODED_COLUMNS,
            *,
            config: CompareConfig | None = None,
            missing_value: float = 0.0,
            label: str | None = None,
        ) -> None:
            if len(labels_left) != len(ENCODED_COLUMNS) or len(labels_right) != len(
                ENCODED_COLUMNS
            ):
                raise ConfigError(
                    f"an encoded compare feature reads the {len(ENCODED_COLUMNS)} encoded "
                    "columns of each side (ENCODED_COLUMNS, in that order)"
                )
            if isinstance(what, Comparison):
                fn: Any = functools.partial(_compare_level, comparison=what, config=config)
                default = what.name.lower()
            elif isinstance(what, BloomField):
                fn = functools.partial(_compare_dice, field=what, missing_value=missing_value)
                default = f"dice_{what.value}"
            elif isinstance(what, TokenType):
                fn = functools.partial(_compare_token, token=what, missing_value=missing_value)
                default = f"token_{what.value}"
            else:
                raise ConfigError(
                    f"compare what? {what!r} is not a Comparison, BloomField or TokenType"
                )
            super().__init__(list(labels_left), list(labels_right), label=label or default)
            self.what = what
            self._f_compare_vectorized = fn

    return EncodedCompareFeature


def EncodedCompare(  # a function: the class is made on first use
    what: Comparison | BloomField | TokenType,
    labels_left: Sequence[str] = ENCODED_COLUMNS,
    labels_right: Sequence[str] = ENCODED_COLUMNS,
    *,
    config: CompareConfig | None = None,
    missing_value: float = 0.0,
    label: str | None = None,
) -> Any:
    """A ``recordlinkage.base.BaseCompareFeature`` comparing the encoded columns of two frames.

    ``what``: a :class:`Comparison` (its xverify agreement level, ``-1`` when a side lacks the
    value), a :class:`BloomField` (Dice similarity of the filters) or a :class:`TokenType` (1.0
    when a keyed token agrees); ``missing_value`` for the last two when a side is empty.
    ``labels_left``/``labels_right``: the frames' names of :data:`ENCODED_COLUMNS` (same order).
    ``label``: the feature's column (default: the comparison's name, ``dice_<field>``,
    ``token_<type>``).
    """
    return _feature_class()(
        what, labels_left, labels_right, config=config, missing_value=missing_value, label=label
    )


# ------------------------------------------------------------------------ features frame
def features(matched: Any, *, binary: bool = False) -> pd.DataFrame:
    """xverify's candidate pairs as a recordlinkage features DataFrame.

    ``matched``: what ``Verifier.match(table)`` returns (or its ``candidates``). Index: a
    ``(request, person)`` MultiIndex — the request's row in the encoded table and the register
    person index (``Matched.decisions["person"]``); a person with several register rows (one
    per address) appears once, with the levels of their highest-weight row. Columns: one per
    comparison (``given``, ``surname`` ...), xverify's level numbers (``-1``: missing), or with
    ``binary=True`` 1 when the level is at least :data:`AGREES` and 0 otherwise (missing
    included), the binary vectors ``recordlinkage.ECMClassifier()`` starts from.
    """
    candidates: Candidates = getattr(matched, "candidates", matched)
    try:
        request = np.asarray(candidates.request, np.int64)
        person = np.asarray(candidates.person, np.int64)
        levels = np.asarray(candidates.levels, np.int8)
        weight = np.asarray(candidates.weight, np.float64)
    except AttributeError:
        raise ConfigError(
            "features() takes what Verifier.match returns, or its candidates"
        ) from None
    # highest weight first, then the first row of each (request, person)
    order = np.lexsort((-weight, person, request))
    request, person, levels = request[order], person[order], levels[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (request[1:] != request[:-1]) | (person[1:] != person[:-1])
    request, person, levels = request[first], person[first], levels[first]
    if binary:
        agrees = np.array([AGREES[spec.comparison] for spec in COMPARISONS], np.int8)
        values: np.ndarray = (levels >= agrees).astype(np.int8)
    else:
        values = levels
    index = pd.MultiIndex.from_arrays([request, person], names=INDEX_NAMES)
    return pd.DataFrame(values, index=index, columns=[spec.name for spec in COMPARISONS])


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`features` frame (levels, not binary) with each level's label (``"missing"``
    for ``-1``) instead of its number; columns without a comparison's name are kept as they are."""
    out = frame.copy()
    for spec in COMPARISONS:
        if spec.name in out:
            labels = {MISSING: "missing", **dict(enumerate(LEVEL_LABELS[spec.comparison]))}
            out[spec.name] = out[spec.name].map(labels)
    return out
