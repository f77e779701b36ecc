"""`xverify audit` end to end on small synthetic frames, and its refusals on bad input."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xverify.cli import main

OUTCOMES = np.array(["REJECTED", "NO_MATCH", "NAME_ONLY", "AMBIGUOUS", "VERIFIED"])


def synthetic(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decisions and truth for ``n`` requests; about 1 in 20 VERIFIED ones is the wrong person,
    more often for hispanic names, and the wrong ones have lower probabilities."""
    rng = np.random.default_rng(seed)
    ids = [f"q{i:05d}" for i in range(n)]
    hisp = rng.random(n) < 0.4
    invalid = rng.random(n) < 0.08
    in_reg = rng.random(n) < 0.85
    outcome = np.where(
        invalid, "REJECTED", OUTCOMES[rng.choice(5, n, p=[0.02, 0.1, 0.1, 0.08, 0.7])]
    )
    truth_tin = np.array(
        [f"9{i:02d}-11-{i % 10000:04d}" if r else None for i, r in enumerate(in_reg)]
    )
    wrong = (outcome == "VERIFIED") & ((rng.random(n) < np.where(hisp, 0.08, 0.02)) | ~in_reg)
    tin = np.where(wrong, "999-99-9999", truth_tin).astype(object)
    tin[outcome == "REJECTED"] = None
    p = np.where(wrong, rng.uniform(0.8, 0.99, n), 1 - rng.beta(0.5, 200, n))
    p = np.where(outcome == "REJECTED", np.nan, p)
    mw = np.log2(p / (1 - p))
    decisions = pd.DataFrame(
        {
            "request_id": ids,
            "outcome": outcome,
            "reason": np.where(outcome == "REJECTED", "zip_only", ""),
            "tin": tin,
            "probability": p,
            "match_weight": mw,
            "runner_up_probability": np.nan,
            "runner_up_match_weight": mw - rng.uniform(0, 15, n),
            "address_agrees": (outcome == "VERIFIED") | (outcome == "AMBIGUOUS"),
            "address_year": 2023,
            "n_candidates": 2,
        }
    )
    truth = pd.DataFrame(
        {
            "request_id": ids,
            "tin": truth_tin,
            "in_register": in_reg,
            "verifiable": in_reg & ~invalid,
            "invalid": invalid,
            "invalid_kind": np.where(invalid, "zip_only", None),
            "name_origin": np.where(hisp, "hispanic", "other"),
            "common_name": rng.random(n) < 0.3,
            "name_decile": rng.integers(0, 10, n),
            "household_shared": rng.random(n) < 0.2,
            "compound_surname": hisp & (rng.random(n) < 0.5),
            "noise": rng.choice(["", "typo", "typo;nickname", "swap"], n),
            "moved": rng.random(n) < 0.3,
            "tin_kind": np.where(rng.random(n) < 0.1, "ITIN", "SSN"),
            "lookalike_of": None,
        }
    )
    return decisions, truth


def write(tmp: Path, d: pd.DataFrame, t: pd.DataFrame) -> tuple[Path, Path]:
    dp, tp = tmp / "decisions.parquet", tmp / "truth.parquet"
    d.to_parquet(dp)
    t.to_parquet(tp)
    return dp, tp


def run(*args: str | Path) -> int:
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_audit_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d, t = synthetic(3000, seed=1)
    dp, tp = write(tmp_path, d, t)
    out = tmp_path / "report"
    code = run(
        "audit", "--decisions", dp, "--truth", tp, "--out", out, "--target-overmatch", "0.05"
    )
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [
        "metrics.json",
        "operating_point.json",
        "report.html",
        "strata.csv",
    ]
    m = json.loads((out / "metrics.json").read_text())
    assert m["schema"] == "xverify.audit.metrics/1"
    assert m["n_requests"] == 3000
    assert sum(v["k"] for v in m["outcomes"].values()) == 3000
    over = m["truth"]["overmatch_per_verified"]
    assert over["low"] <= over["value"] <= over["high"]
    assert m["truth"]["wrong_disclosures"] == over["k"]
    tags = {s["tag"] for s in m["truth"]["strata"]}
    assert {"name_origin", "name_decile", "noise:typo", "noise:nickname", "tin_kind"} <= tags
    hisp = next(
        s for s in m["truth"]["strata"] if (s["tag"], s["value"]) == ("name_origin", "hispanic")
    )
    assert "overmatch_per_verified" in hisp["worse"]
    assert m["thresholds"] and m["calibration"]
    op = json.loads((out / "operating_point.json").read_text())
    assert op["certification"]["overmatch_per_verified"]["high"] <= 0.05
    assert set(op) >= {"threshold", "margin_bits"}
    page = (out / "report.html").read_text()
    assert "<script" not in page
    assert "http://" not in page and "https://" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) >= 3
    assert base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    for section in ("Key figures", "Who bears the errors", "Threshold and margin", "honest"):
        assert section in page
    # every stratum is in the CSV the page links; the page shows the worst ten
    strata = pd.read_csv(out / "strata.csv")
    assert len(strata) == len(m["truth"]["strata"])
    assert 'href="strata.csv"' in page
    assert strata["worse"].notna().iloc[0]  # flagged groups lead
    assert "name origin: hispanic" in set(strata["group"].head(10))
    # the certified point (margin 0) is looser than the defaults (6 bits): said on the page
    # and on stderr
    assert op["margin_bits"] < 6 and 'id="looser-warning"' in page
    captured = capsys.readouterr()
    assert "certified" in captured.out and "looser" in captured.err


def test_audit_without_truth_and_with_replay(tmp_path: Path) -> None:
    d, _ = synthetic(300, seed=2)
    dp = tmp_path / "decisions.csv"
    d.to_csv(dp, index=False)
    rp = tmp_path / "replay.json"
    rp.write_text(
        json.dumps(
            {
                "policies": [
                    {
                        "policy": "name-zip",
                        "n_requests": 300,
                        "outcomes": {"VERIFIED": 290},
                        "disclosures": 290,
                        **{
                            k: {"k": 1, "n": 10}
                            for k in (
                                "wrong_person",
                                "address_unconfirmed",
                                "recall",
                                "invalid_not_rejected",
                                "invalid_disclosed",
                            )
                        },
                    }
                ]
            }
        )
    )
    out = tmp_path / "r"
    assert run("audit", "--decisions", dp, "--out", out, "--replay", rp) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["truth"] is None and m["calibration"] is None
    assert m["label_free"]["observed_wrong"] is None
    assert m["replay"]["policies"][0]["policy"] == "name-zip"
    page = (out / "report.html").read_text()
    assert "No ground truth was given" in page and "Policy replay" in page
    assert "Who bears the errors" not in page and "looser-warning" not in page
    assert not (out / "operating_point.json").exists() and not (out / "strata.csv").exists()


def test_replay_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_audit_policies import evidence, truth

    ev, tr = tmp_path / "evidence.parquet", tmp_path / "truth.parquet"
    evidence().to_parquet(ev)
    truth().to_parquet(tr)
    out = tmp_path / "replay"
    assert run("audit", "replay", "--evidence", ev, "--truth", tr, "--out", out) == 0
    table = pd.read_csv(out / "replay.csv")
    assert list(table["policy"]) == ["name-zip", "exact", "xverify"]
    assert "name-zip" in capsys.readouterr().out
    res = json.loads((out / "replay.json").read_text())
    assert res["policies"][0]["address_unconfirmed"]["k"] == 2


def _dup(d: pd.DataFrame, t: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.concat([d, d.iloc[[5]]]), t


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (_dup, "duplicate request_id"),
        (lambda d, t: (d.iloc[:-3], t), "do not cover the same requests"),
        (
            lambda d, t: (d.assign(outcome=d["outcome"].replace("NO_MATCH", "nomatch")), t),
            "unknown",
        ),
        (lambda d, t: (d.drop(columns=["tin"]), t), "missing column(s) tin"),
        (lambda d, t: (d.iloc[:0], t.iloc[:0]), "no rows"),
    ],
)
def test_bad_input_exits_2_without_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate, needle: str
) -> None:  # type: ignore[no-untyped-def]
    d, t = synthetic(60, seed=3)
    d, t = mutate(d, t)
    dp, tp = write(tmp_path, d, t)
    out = tmp_path / "report"
    assert run("audit", "--decisions", dp, "--truth", tp, "--out", out) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert not re.search(r"\d{3}-\d{2}-\d{4}", err)  # never a TIN
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report")]


def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d, t = synthetic(200, seed=4)
    dp, tp = write(tmp_path, d, t)
    out = tmp_path / "report"
    # target out of reach: no operating point, no report
    assert run("audit", "--decisions", dp, "--truth", tp, "--out", out, "--target-overmatch",
               "1e-6") == 2  # fmt: skip
    assert "no (threshold, margin) setting" in capsys.readouterr().err
    assert not out.exists()
    assert run("audit", "--decisions", dp, "--out", out, "--target-overmatch", "0.1") == 2
    assert "needs --truth" in capsys.readouterr().err
    out.mkdir()
    assert run("audit", "--decisions", dp, "--out", out) == 2
    assert "--force" in capsys.readouterr().err
    assert run("audit", "--decisions", dp, "--out", out, "--force") == 0
    assert (out / "report.html").exists()
