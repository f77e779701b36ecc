"""End to end through the command line: the guarantees of the custodian side.

One small synthetic world (module fixture) with hand-made Jr./Sr. and twins added; every test
runs the real ``xverify encode`` / ``xverify match`` and inspects the files they write.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xverify import LinkageSecret, MatchConfig, Verifier, audit
from xverify.encoding.keys import write_secret
from xverify.outcomes import Outcome
from xverify.requests import encode_submissions_file
from xverify.signing import write_signing_key
from xverify.synth import Profile, generate_submissions, write_register, write_submissions

SAMPLE = Path(__file__).parent.parent / "synthetic_data"
SPECIAL = [  # (tin, first, middle, last, suffix, street, unit)
    ("000-99-0001", "ZEBEDIAH", "Q", "WINTERBOTTOM", "JR", "4411 QUARRY RIDGE RD", None),
    ("000-99-0002", "ZEBEDIAH", "Q", "WINTERBOTTOM", "SR", "4411 QUARRY RIDGE RD", None),
    ("000-99-0003", "PERPETUA", None, "FAIRWEATHER", None, "73 LANTERN HOLLOW CT", "B"),
    ("000-99-0004", "PERPETUA", None, "FAIRWEATHER", None, "73 LANTERN HOLLOW CT", "B"),
]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xverify", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def run_match(world: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """``xverify match`` sealing the log with the world's custodian key."""
    return run("match", "--signing-key", world / "custodian.key", *args)


def _request(rid: str, first: str, last: str, suffix: str | None, street: str, unit: str | None):
    return {
        "request_id": rid, "first_name": first, "middle_name": None, "last_name": last,
        "suffix": suffix, "street": street, "unit": unit, "city": "SPRINGFIELD", "state": "IL",
        "zip": "62704", "birth_date": None, "tin": None, "tax_period_start": "2023",
        "tax_period_end": "2024", "statute": "18 U.S.C. 1546",
        "reason": "Named in an ongoing investigation of document fraud; address needed to serve.",
        "case_ref": f"CASE-{rid}",
    }  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("world")
    reg = root / "register"
    write_register(reg, 1500, range(2019, 2025), np.random.default_rng(5))
    subs, truth = generate_submissions(reg, 300, Profile.REALISTIC, np.random.default_rng(6))
    tp = pd.read_parquet(reg / "taxpayers.parquet")
    ad = pd.read_parquet(reg / "addresses.parquet")
    extra_tp = pd.DataFrame(
        [
            {"tin": t, "first_name": f, "middle_name": m, "last_name": ln, "suffix": s,
             "birth_date": date(1970, 1, 1)}
            for t, f, m, ln, s, _, _ in SPECIAL
        ]
    )  # fmt: skip
    extra_ad = pd.DataFrame(
        [
            {"tin": t, "tax_year": y, "street": st_, "unit": u, "city": "SPRINGFIELD",
             "state": "IL", "zip": "62704"}
            for t, _, _, _, _, st_, u in SPECIAL
            for y in range(2019, 2025)
        ]
    )  # fmt: skip
    tp = pd.concat([tp, extra_tp], ignore_index=True)
    ad = pd.concat([ad, extra_ad.astype({"tax_year": ad["tax_year"].dtype})], ignore_index=True)
    pq.write_table(pa.Table.from_pandas(tp, schema=pq.read_schema(reg / "taxpayers.parquet")),
                   reg / "taxpayers.parquet")  # fmt: skip
    pq.write_table(pa.Table.from_pandas(ad, schema=pq.read_schema(reg / "addresses.parquet")),
                   reg / "addresses.parquet")  # fmt: skip
    special = pd.DataFrame(
        [
            _request("JR-NONE", "ZEBEDIAH", "WINTERBOTTOM", None, "4411 QUARRY RIDGE RD", None),
            _request("JR-JR", "ZEBEDIAH", "WINTERBOTTOM", "JR", "4411 QUARRY RIDGE RD", None),
            _request("TWIN", "PERPETUA", "FAIRWEATHER", None, "73 LANTERN HOLLOW CT", "B"),
        ]
    )
    subs = pd.concat([subs, special.astype(object)], ignore_index=True)
    write_submissions(root / "requests", subs, truth, force=True)
    secret = write_secret(root / "key")
    write_signing_key(root / "custodian.key")
    requests = root / "requests" / "submissions.csv"
    assert encode_submissions_file(requests, root / "encoded.parquet", secret).accepted.sum() > 250
    out = run_match(root, "--key", root / "key", "--register", reg, root / "encoded.parquet",
              "--out", root / "out")  # fmt: skip
    assert out.returncode == 0, out.stderr
    return root


def _outcomes(root: Path, out: str = "out") -> dict[str, str]:
    """The custodian's outcomes (decisions.parquet; the response tells NOT_VERIFIED only)."""
    d = pd.read_parquet(root / out / "decisions.parquet")
    return dict(zip(d["request_id"], d["outcome"], strict=True))


def test_jr_sr_without_suffix_and_twins_are_ambiguous_never_verified(world: Path) -> None:
    got = _outcomes(world)
    assert got["JR-NONE"] == Outcome.AMBIGUOUS
    assert got["TWIN"] == Outcome.AMBIGUOUS


def test_the_suffix_tells_jr_from_sr(world: Path) -> None:
    assert _outcomes(world)["JR-JR"] == Outcome.VERIFIED
    d = pd.read_parquet(world / "out" / "decisions.parquet").set_index("request_id")
    assert d.loc["JR-JR", "tin"] == "000-99-0001"


def test_the_response_carries_identity_for_verified_only_and_no_scores(world: Path) -> None:
    r = pd.read_parquet(world / "out" / "response.parquet")
    assert list(r.columns[:3]) == ["request_id", "outcome", "rejection_reason"]
    assert not {"probability", "match_weight", "tin", "reason", "n_candidates"} & set(r.columns)
    assert set(r["outcome"]) <= {"VERIFIED", "NOT_VERIFIED", "REJECTED"}
    identity = r.drop(columns=["request_id", "outcome", "rejection_reason"])
    verified = r["outcome"] == Outcome.VERIFIED
    assert identity[~verified].isna().all().all()
    assert identity.loc[verified, "last_name"].notna().all()
    assert r.loc[r["outcome"] != "REJECTED", "rejection_reason"].isna().all()
    csv = pd.read_csv(world / "out" / "response.csv", dtype=str)
    assert list(csv.columns) == list(r.columns) and len(csv) == len(r)
    years = csv["address_year"].dropna()
    assert len(years) and years.str.fullmatch(r"\d{4}").all()  # 2024, never 2024.0


def test_the_response_is_no_membership_oracle(world: Path, tmp_path: Path) -> None:
    """A registered person asked at a wrong address gets the very bytes a made-up person gets.

    The custodian's decisions tell them apart (NAME_ONLY against NO_MATCH); the requester's
    response must not, or it would say who is on file (6103(b)(2)).
    """
    base = pd.read_csv(world / "requests" / "submissions.csv", dtype=str).head(40)
    probe = _request("PROBE", "ZEBEDIAH", "WINTERBOTTOM", "JR", "12 NOWHERE LN", None)
    made_up = _request("PROBE", "QUILLON", "XANTHOPOULOS", "JR", "12 NOWHERE LN", None)
    key, model = world / "key", world / "out" / "model.json"
    bodies, outcomes = [], []
    for name, row in (("on_file", probe), ("made_up", made_up)):
        batch = pd.concat([base.iloc[:20], pd.DataFrame([row]), base.iloc[20:]])
        batch.to_csv(tmp_path / f"{name}.csv", index=False)
        enc, out = tmp_path / f"{name}.parquet", tmp_path / name
        assert run("encode", "--key", key, tmp_path / f"{name}.csv", "--out", enc).returncode == 0
        done = run_match(world, "--key", key, "--register", world / "register", "--model", model,
                   enc, "--out", out)  # fmt: skip
        assert done.returncode == 0, done.stderr
        response = (out / "response.csv").read_bytes(), pq.read_table(out / "response.parquet")
        bodies.append(response)
        outcomes.append(_outcomes(tmp_path / name, "")["PROBE"])
    assert outcomes == [Outcome.NAME_ONLY, Outcome.NO_MATCH]  # the custodian knows
    assert bodies[0][0] == bodies[1][0]  # the requester cannot tell
    assert bodies[0][1].equals(bodies[1][1])


def test_every_disclosure_is_in_the_verified_log(world: Path) -> None:
    import json

    log = world / "out" / "audit.log"
    pub = world / "custodian.key.pub"
    assert run("log", "verify", log, "--public-key", pub).returncode == 0
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    disclosed = {e["request_id"] for e in entries if e["kind"] == "disclosure"}
    assert disclosed == {k for k, v in _outcomes(world).items() if v == Outcome.VERIFIED}
    # provenance: what produced the decisions, down to the model's content digest
    from xverify.encoding.encoder import ENCODER_REVISION
    from xverify.matching.model import MatchModel

    batch = next(e for e in entries if e["kind"] == "batch")["provenance"]
    model_text = (world / "out" / "model.json").read_text()
    assert batch["model_digest"] == json.loads(model_text)["digest"]
    assert batch["model_digest"] == MatchModel.from_json(model_text).digest
    assert batch["model_trained_on_batch"] is True
    assert batch["encoder_revision"] == ENCODER_REVISION
    assert batch["software"] and len(batch["settings_digest"]) == 64
    assert len(batch["schema_digest"]) == 64 and len(batch["register_digest"]) == 64
    lines = log.read_text().splitlines()
    log.write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    broken = run("log", "verify", log, "--public-key", pub)
    assert broken.returncode == 1 and "line 2" in broken.stdout


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    employer=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=6),
    agi=st.integers(10**11, 10**12 - 1),
)
def test_no_return_data_reaches_any_output(
    world: Path, tmp_path: Path, employer: str, agi: int
) -> None:
    """Returns filled with arbitrary values and canaries: not a byte of them in any output."""
    reg = tmp_path / "register"
    shutil.copytree(world / "register", reg, dirs_exist_ok=True)
    returns = pd.read_parquet(reg / "returns.parquet")
    marker = f"CANARY-{agi:x}"
    employer_value = f"{marker}|{employer}|{marker}"
    returns["employer"] = employer_value
    returns["agi"] = agi
    returns["canary"] = marker
    returns.to_parquet(reg / "returns.parquet")
    out = tmp_path / "out"
    res = run_match(world, "--key", world / "key", "--register", reg, world / "encoded.parquet",
              "--out", out, "--disclose", "name,address,tin", "--force")  # fmt: skip
    assert res.returncode == 0, res.stderr
    needles = [marker.encode(), employer_value.encode(), str(agi).encode(), b"CANARY-"]
    births = pd.read_parquet(reg / "taxpayers.parquet")["birth_date"].astype(str)
    needles += [b.encode() for b in births.head(50)]
    for path in [*out.iterdir(), world / "encoded.parquet"]:
        data = path.read_bytes() + res.stdout.encode() + res.stderr.encode()
        for needle in needles:
            assert needle not in data, f"{path.name} leaks return data or a birth date"


def test_wrong_key_is_refused(world: Path, tmp_path: Path) -> None:
    write_secret(tmp_path / "other")
    out = run_match(world, "--key", tmp_path / "other", "--register", world / "register",
              world / "encoded.parquet", "--out", tmp_path / "o")  # fmt: skip
    assert out.returncode == 2 and "key" in out.stderr
    assert not (tmp_path / "o" / "response.parquet").exists()


def test_other_schema_version_is_refused(world: Path, tmp_path: Path) -> None:
    t = pq.read_table(world / "encoded.parquet")
    meta = dict(t.schema.metadata)
    schema = meta[b"xverify.schema"]
    assert b'"version":2' in schema
    meta[b"xverify.schema"] = schema.replace(b'"version":2', b'"version":1')  # an older encoder
    pq.write_table(t.replace_schema_metadata(meta), tmp_path / "enc.parquet")
    out = run_match(world, "--key", world / "key", "--register", world / "register",
              tmp_path / "enc.parquet", "--out", tmp_path / "o")  # fmt: skip
    assert out.returncode == 2 and "schema" in out.stderr


def test_truncated_encoded_file_is_a_clear_error_and_writes_nothing(
    world: Path, tmp_path: Path
) -> None:
    data = (world / "encoded.parquet").read_bytes()
    (tmp_path / "enc.parquet").write_bytes(data[: len(data) // 2])
    out = run_match(world, "--key", world / "key", "--register", world / "register",
              tmp_path / "enc.parquet", "--out", tmp_path / "o")  # fmt: skip
    assert out.returncode == 2 and "enc.parquet" in out.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


@pytest.mark.parametrize("damage", ["no_addresses", "duplicate_tin", "unknown_tin"])
def test_broken_register_is_a_clear_error(world: Path, tmp_path: Path, damage: str) -> None:
    reg = tmp_path / "register"
    shutil.copytree(world / "register", reg, ignore=shutil.ignore_patterns(".xverify-cache"))
    if damage == "no_addresses":
        (reg / "addresses.parquet").unlink()
    elif damage == "duplicate_tin":
        tp = pd.read_parquet(reg / "taxpayers.parquet")
        pd.concat([tp, tp.head(1)]).to_parquet(reg / "taxpayers.parquet")
    else:
        ad = pd.read_parquet(reg / "addresses.parquet")
        ad.loc[3, "tin"] = "000-00-0000"
        ad.to_parquet(reg / "addresses.parquet")
    out = run_match(world, "--key", world / "key", "--register", reg, world / "encoded.parquet",
              "--out", tmp_path / "o")  # fmt: skip
    assert out.returncode == 2
    assert ("addresses" in out.stderr) or ("tin" in out.stderr)
    assert "000-00-0000" not in out.stderr  # names the place, never the value
    assert not (tmp_path / "o" / "response.parquet").exists()


def test_a_register_changed_under_the_cache_is_re_encoded(world: Path, tmp_path: Path) -> None:
    reg = tmp_path / "register"
    shutil.copytree(world / "register", reg)  # the cache comes along
    secret = LinkageSecret.from_file(world / "key")
    before = Verifier(reg, secret, log=None).encoded_register()
    ad = pd.read_parquet(reg / "addresses.parquet")
    ad = ad[ad["tin"] != "000-99-0003"]  # one twin moves out
    ad.to_parquet(reg / "addresses.parquet")
    after = Verifier(reg, secret, log=None).encoded_register()
    assert after.digest != before.digest and after.rows < before.rows


def test_same_inputs_same_outputs_whatever_the_chunking(world: Path) -> None:
    from xverify.encoding.encoder import read_encoded

    table, _, _ = read_encoded(world / "encoded.parquet")
    secret = LinkageSecret.from_file(world / "key")
    results = [
        Verifier(world / "register", secret, MatchConfig(batch_rows=rows), log=None)
        .match(table)
        .decisions
        for rows in (1024, 65_536)
    ]
    pd.testing.assert_frame_equal(results[0], results[1])


@pytest.mark.parametrize("profile", ["realistic", "hard"])
def test_label_free_estimate_brackets_the_true_count(profile: str, tmp_path: Path) -> None:
    secret = LinkageSecret.generate()
    encode_submissions_file(SAMPLE / profile / "submissions.csv", tmp_path / "e.parquet", secret)
    from xverify.encoding.encoder import read_encoded

    table, _, _ = read_encoded(tmp_path / "e.parquet")
    v = Verifier(SAMPLE / "register", secret, log=None, cache_dir=tmp_path / "cache")
    m = audit.compute_metrics(
        v.match(table).identified(v.encoded_register().tins),
        audit.load_truth(SAMPLE / profile / "truth.parquet"),
    )
    assert m.truth is not None
    wrong = m.truth.overmatch_per_verified.k
    assert m.label_free.low <= wrong <= m.label_free.high


def test_reprs_of_results_show_no_person(world: Path, tmp_path: Path) -> None:
    secret = LinkageSecret.from_file(world / "key")
    verifier = Verifier(
        world / "register",
        secret,
        log=tmp_path / "audit.log",
        signing_key=world / "custodian.key",
    )
    result = verifier.verify(world / "encoded.parquet")
    tins = set(pd.read_parquet(world / "register" / "taxpayers.parquet")["tin"])
    names = set(pd.read_parquet(world / "register" / "taxpayers.parquet")["last_name"])
    for obj in (result, verifier, verifier.encoded_register(), secret):
        text = repr(obj)
        assert not any(t in text for t in tins), type(obj).__name__
        assert not any(f"'{n}'" in text for n in names), type(obj).__name__


def test_a_batch_with_every_request_rejected_still_gets_a_response_and_a_log_entry(
    world: Path, tmp_path: Path
) -> None:
    subs = pd.read_csv(world / "requests" / "submissions.csv", dtype=str).head(5)
    subs["statute"] = None
    subs.to_csv(tmp_path / "bad.csv", index=False)
    key = world / "key"
    assert (
        run(
            "encode", "--key", key, tmp_path / "bad.csv", "--out", tmp_path / "e.parquet"
        ).returncode
        == 0
    )
    out = run_match(world, "--key", key, "--register", world / "register", tmp_path / "e.parquet",
              "--out", tmp_path / "o")  # fmt: skip
    assert out.returncode == 0, out.stderr
    r = pd.read_parquet(tmp_path / "o" / "response.parquet")
    assert len(r) == 5 and set(r["outcome"]) == {Outcome.REJECTED}
    pub = world / "custodian.key.pub"
    assert run("log", "verify", tmp_path / "o" / "audit.log", "--public-key", pub).returncode == 0
    assert not (tmp_path / "o" / "model.json").exists()


def test_match_needs_a_signing_key_or_an_explicitly_unsigned_log(
    world: Path, tmp_path: Path
) -> None:
    args = ["--key", world / "key", "--register", world / "register", world / "encoded.parquet"]
    refused = run("match", *args, "--out", tmp_path / "o")
    assert refused.returncode == 2 and "--signing-key" in refused.stderr
    assert not (tmp_path / "o").exists()
    unsigned = run("match", *args, "--out", tmp_path / "u", "--unsigned-log")
    assert unsigned.returncode == 0, unsigned.stderr
    checked = run("log", "verify", tmp_path / "u" / "audit.log",
                  "--public-key", world / "custodian.key.pub")  # fmt: skip
    assert checked.returncode == 1 and "unsigned" in checked.stdout
    printed = unsigned.stdout.split("signed head: ")[1].strip()
    assert printed.count(":") == 1 and len(printed.split(":")[1]) == 64  # in full, no signature


def test_the_head_match_prints_verifies_the_untouched_log(world: Path, tmp_path: Path) -> None:
    done = run_match(world, "--key", world / "key", "--register", world / "register",
                     world / "encoded.parquet", "--out", tmp_path / "s")  # fmt: skip
    assert done.returncode == 0, done.stderr
    head = done.stdout.split("signed head: ")[1].strip()
    entries, chain, signature = head.split(":")
    assert entries.isdigit()
    assert len(chain) == 64 and len(signature) == 128  # in full, never a prefix
    checked = run("log", "verify", tmp_path / "s" / "audit.log", "--head", head,
                  "--public-key", world / "custodian.key.pub")  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_train_once_then_match_with_the_frozen_model(world: Path, tmp_path: Path) -> None:
    """``xverify train`` on calibration requests (here a past batch: the world's own), ``match
    --model``: the batch entry names that model and says it was not trained on the batch; the
    same model for another register is refused before anything is written."""
    import json

    key = world / "key"
    calibration = world / "encoded.parquet"
    model = tmp_path / "model.json"
    trained = run("train", "--key", key, "--register", world / "register", calibration,
                  "--out", model)  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    digest = json.loads(model.read_text())["digest"]
    assert digest[:16] in trained.stdout
    done = run_match(world, "--key", key, "--register", world / "register", "--model", model,
                     world / "encoded.parquet", "--out", tmp_path / "out")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"model {digest[:16]}: from {model}" in done.stdout
    entries = [json.loads(x) for x in (tmp_path / "out" / "audit.log").read_text().splitlines()]
    batch = next(e for e in entries if e["kind"] == "batch")["provenance"]
    assert batch["model_digest"] == digest and batch["model_trained_on_batch"] is False
    assert json.loads((tmp_path / "out" / "model.json").read_text())["digest"] == digest

    other = tmp_path / "other-register"
    shutil.copytree(world / "register", other)
    ad = pq.read_table(other / "addresses.parquet")
    moved = ad.column("street").to_pylist()
    moved[0] = "1 OTHER ST"  # one filer moved: another register
    idx = ad.schema.get_field_index("street")
    ad = ad.set_column(idx, ad.schema.field(idx), pa.array(moved, ad.schema.field(idx).type))
    pq.write_table(ad, other / "addresses.parquet")
    refused = run_match(world, "--key", key, "--register", other, "--model", model,
                        world / "encoded.parquet", "--out", tmp_path / "out-other")  # fmt: skip
    assert refused.returncode == 2 and "trained for another register" in refused.stderr
    assert not (tmp_path / "out-other" / "response.csv").exists()
