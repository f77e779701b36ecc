"""xverify.interop.recordlinkage: recordlinkage's classifiers run on xverify's comparison
vectors of hashed data, and its compare feature gives the levels xverify computes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import require_recordlinkage
from xverify import LinkageSecret, MatchConfig, Verifier, encode_requests, read_submissions
from xverify.encoding.schema import BloomField, TokenType
from xverify.interop.recordlinkage import (
    AGREES,
    EncodedCompare,
    features,
    labelled,
    recordlinkage,
)
from xverify.matching.levels import MISSING, Comparison, Surname

rl = require_recordlinkage()

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"
KEY = LinkageSecret(hashlib.sha256(b"xverify tests/test_interop_recordlinkage.py").digest())
PROFILE = "realistic"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    table, _ = encode_requests(read_submissions(SAMPLE / PROFILE / "submissions.csv"), KEY)
    cache = tmp_path_factory.mktemp("cache")
    verifier = Verifier(SAMPLE / "register", KEY, MatchConfig(), log=None, cache_dir=cache)
    return table, verifier, verifier.match(table)


def true_pairs(table, verifier) -> pd.MultiIndex:  # type: ignore[no-untyped-def]
    """(request row, person) of every request whose person is in the register, from truth."""
    truth = pd.read_parquet(SAMPLE / PROFILE / "truth.parquet")
    person = {tin: i for i, tin in enumerate(verifier.encoded_register().tins)}
    row = {rid: i for i, rid in enumerate(table.column("request_id").to_pylist())}
    pairs = [
        (row[r], person[t])
        for r, t in zip(truth["request_id"], truth["tin"], strict=True)
        if isinstance(t, str) and t in person and r in row
    ]
    return pd.MultiIndex.from_tuples(pairs, names=["request", "person"])


def test_ecm_on_the_features_finds_the_true_pairs(world) -> None:  # type: ignore[no-untyped-def]
    table, verifier, matched = world
    levels, binary = features(matched), features(matched, binary=True)
    assert list(levels.index.names) == ["request", "person"] and levels.index.is_unique
    assert list(levels.columns) == [c.name.lower() for c in Comparison]
    assert levels.index.equals(binary.index)
    assert set(np.unique(binary.to_numpy())) <= {0, 1}
    agree = np.array([AGREES[c] for c in Comparison])
    assert ((levels.to_numpy() >= agree) == binary.to_numpy().astype(bool)).all()
    assert (labelled(levels).loc[levels["tin"] == MISSING, "tin"] == "missing").all()

    links = recordlinkage().ECMClassifier().fit_predict(binary)
    true = true_pairs(table, verifier)
    reachable = true.intersection(levels.index)  # true pairs among xverify's candidates
    assert len(reachable) > 0.9 * len(true)
    recall = len(links.intersection(reachable)) / len(reachable)
    precision = len(links.intersection(true)) / len(links)
    assert recall > 0.85 and precision > 0.85, (recall, precision)

    # xverify's VERIFIED decisions are (almost all) among ECM's links
    d = matched.decisions
    verified = d[d["outcome"] == "VERIFIED"]
    pairs = pd.MultiIndex.from_arrays(
        [verified.index.to_numpy(), verified["person"].to_numpy(dtype=np.int64)]
    )
    assert len(pairs) > 1000
    assert len(links.intersection(pairs)) > 0.9 * len(pairs)
    # and the features carry the levels the decisions report for the chosen person
    chosen = levels.loc[pairs]
    for c in Comparison:
        name = c.name.lower()
        same = chosen[name].to_numpy() == verified[f"level_{name}"].to_numpy()
        assert same.mean() > 0.99, name  # a person's other register row may score higher


def test_a_logistic_classifier_learns_from_the_features(world) -> None:  # type: ignore[no-untyped-def]
    table, verifier, matched = world
    levels = features(matched)
    onehot = pd.get_dummies(levels.astype(str)).astype(np.int8)
    true = true_pairs(table, verifier).intersection(levels.index)
    train = levels.index[levels.index.get_level_values("request") % 2 == 0]
    clf = recordlinkage().LogisticRegressionClassifier()
    clf.fit(onehot.loc[train], true.intersection(train))
    test = onehot.drop(index=train)
    links = clf.predict(test)
    true_test = true.difference(train)
    recall = len(links.intersection(true_test)) / len(true_test)
    precision = len(links.intersection(true_test)) / len(links)
    assert recall > 0.9 and precision > 0.9, (recall, precision)


def test_the_compare_feature_gives_xverifys_levels(world) -> None:  # type: ignore[no-untyped-def]
    table, verifier, matched = world
    register = verifier.encoded_register().read().to_pandas()
    requests = table.to_pandas()
    levels = features(matched)
    # persons with one register row: the feature's pair is the pair xverify scored
    rows = register.groupby("person").size()
    single = rows.index[rows == 1].to_numpy()
    row_of = pd.Series(register.index.to_numpy(), index=register["person"].to_numpy())
    chosen = levels[levels.index.get_level_values("person").isin(single)]
    chosen = chosen.iloc[:: max(1, len(chosen) // 3000)]
    person = chosen.index.get_level_values("person")
    pairs = pd.MultiIndex.from_arrays(
        [chosen.index.get_level_values("request"), row_of.loc[person].to_numpy()]
    )

    compare = recordlinkage().Compare()
    for c in Comparison:
        compare.add(EncodedCompare(c))
    compare.add(EncodedCompare(BloomField.SURNAME))
    compare.add(EncodedCompare(TokenType.SURNAME, label="surname_token"))
    got = compare.compute(pairs, requests, register)

    assert len(got) == len(chosen) > 500
    for c in Comparison:
        name = c.name.lower()
        np.testing.assert_array_equal(got[name].to_numpy(), chosen[name].to_numpy(), name)
    # Dice and token agreement read the same encodings the levels were computed from
    exact = chosen["surname"].to_numpy() == Surname.ALL_EXACT
    assert exact.any() and (got["surname_token"].to_numpy()[exact] == 1.0).all()
    assert (got["dice_surname"].to_numpy()[exact] == 1.0).all()
    other = chosen["surname"].to_numpy() == Surname.ELSE
    assert other.any() and (got["dice_surname"].to_numpy()[other] < 0.6).all()
    assert (got["surname_token"].to_numpy()[other] == 0.0).all()


def test_without_recordlinkage_the_module_names_its_extra() -> None:
    code = """
import sys
sys.modules["recordlinkage"] = None  # as if not installed
from xverify import ConfigError
from xverify.interop.recordlinkage import EncodedCompare
from xverify.matching.levels import Comparison
try:
    EncodedCompare(Comparison.GIVEN)
except ConfigError as exc:
    print(exc)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "pip install 'xverify[interop]'" in done.stdout
