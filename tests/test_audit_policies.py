"""Policy replay over a hand-built evidence frame: the 2025 mechanism versus xverify's rule."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from xverify.audit import (
    ExactPolicy,
    NameZipPolicy,
    Policy,
    ReplayResult,
    XVerifyPolicy,
    parse_policies,
    replay,
)
from xverify.errors import ConfigError, InputError

# id, status, reason, zip_like, tin, name, p, mw, ru_mw, addr, exact, exact_tin, exact_count
EVIDENCE = [
    # clean request, right person, exact address
    ("a", "ACCEPTED", "", True, "T1", True, 0.9999, 13.3, None, True, True, "T1", 1),
    # "FAILED TO PROVIDE" + ZIP: validator rejects, name matches the right person
    (
        "b",
        "REJECTED",
        "address_placeholder",
        True,
        "T2",
        True,
        0.99,
        6.6,
        None,
        False,
        False,
        None,
        0,
    ),
    # same common name, another person's address: a lookalike not in the register
    ("c", "ACCEPTED", "", True, "T3", True, 0.95, 4.2, None, False, False, None, 0),
    # shared home, Jr./Sr.: two people pass, margin too small
    ("d", "ACCEPTED", "", True, "T4", True, 0.9999, 13.3, 12.8, True, True, None, 2),
    # typo in the name: fuzzy match finds the right person, exact does not
    ("e", "ACCEPTED", "", True, "T5", False, 0.9995, 11.0, None, True, False, None, 0),
    # no ZIP-like string at all
    ("f", "ACCEPTED", "", False, "T6", True, 0.5, 0.0, None, False, False, None, 0),
]
TRUTH = [
    # id, tin, verifiable, invalid
    ("a", "T1", True, False),
    ("b", "T2", False, True),
    ("c", None, False, False),
    ("d", "T4", True, False),
    ("e", "T5", True, False),
    ("f", "T6", False, False),
]


def evidence() -> pd.DataFrame:
    cols = [
        "request_id",
        "status",
        "reason",
        "zip_like",
        "tin",
        "name_agrees",
        "best_probability",
        "match_weight",
        "runner_up_match_weight",
        "address_agrees",
        "exact_name_street_zip",
        "exact_tin",
        "exact_count",
    ]
    frame = pd.DataFrame(EVIDENCE, columns=cols)
    # bits of name evidence: 10 clears the default name_min_bits (8), 0 does not
    return frame.assign(name_weight=np.where(frame["name_agrees"], 10.0, 0.0))


def truth() -> pd.DataFrame:
    return pd.DataFrame(TRUTH, columns=["request_id", "tin", "verifiable", "invalid"])


def outcomes(policy: Policy) -> dict[str, str]:
    out = policy.decide(evidence())
    return dict(zip(out["request_id"], out["outcome"], strict=True))


def test_name_zip_is_the_2025_procedure() -> None:
    assert outcomes(NameZipPolicy()) == {
        "a": "VERIFIED",
        "b": "VERIFIED",  # placeholder address passes the ZIP-like check
        "c": "VERIFIED",  # wrong person, address never compared
        "d": "VERIFIED",  # no ambiguity check
        "e": "NO_MATCH",
        "f": "NAME_ONLY",
    }


def test_exact_and_xverify() -> None:
    assert outcomes(ExactPolicy()) == {
        "a": "VERIFIED",
        "b": "REJECTED",
        "c": "NO_MATCH",
        "d": "AMBIGUOUS",
        "e": "NO_MATCH",
        "f": "NO_MATCH",
    }
    assert outcomes(XVerifyPolicy(threshold=0.999, margin_bits=3.0)) == {
        "a": "VERIFIED",
        "b": "REJECTED",
        "c": "NAME_ONLY",  # name agrees, no address in the period
        "d": "AMBIGUOUS",  # the runner-up passes the threshold too
        "e": "VERIFIED",  # fuzzy name, address agrees
        "f": "NAME_ONLY",
    }
    # d's runner-up has p 0.99986: above that threshold only the 0.5-bit margin separates
    assert outcomes(XVerifyPolicy(threshold=0.99988, margin_bits=0.4))["d"] == "VERIFIED"
    assert outcomes(XVerifyPolicy(threshold=0.99988, margin_bits=0.6))["d"] == "AMBIGUOUS"


def test_disclosed_tin_only_for_verified() -> None:
    out = NameZipPolicy().decide(evidence())
    assert out.loc[out["outcome"] != "VERIFIED", "tin"].isna().all()
    assert out.loc[out["request_id"] == "b", "reason"].item() == ""
    out = XVerifyPolicy().decide(evidence())
    assert out.loc[out["request_id"] == "b", "reason"].item() == "address_placeholder"


def test_replay_table_shows_the_mechanism(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = replay(evidence(), truth(), "name-zip,exact,xverify")
    rows = {r.policy: r for r in result.rows}
    nz, ex, xv = rows["name-zip"], rows["exact"], rows["xverify"]
    assert nz.disclosures == 4
    assert nz.wrong_person.k == 1  # c
    assert nz.address_unconfirmed.k == 2  # b and c
    assert nz.invalid_disclosed.k == 1
    assert nz.invalid_not_rejected.k == 1
    assert (nz.recall.k, nz.recall.n) == (2, 3)  # a, d
    assert (ex.disclosures, ex.wrong_person.k, ex.address_unconfirmed.k) == (1, 0, 0)
    assert ex.recall.k == 1
    assert (xv.disclosures, xv.wrong_person.k, xv.address_unconfirmed.k) == (2, 0, 0)
    assert xv.invalid_not_rejected.k == 0
    assert xv.recall.k == 2
    frame = result.to_frame()
    assert list(frame["policy"]) == ["name-zip", "exact", "xverify"]
    back = ReplayResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back == result


def test_parse_policies_and_errors() -> None:
    assert [p.name for p in parse_policies("xverify, name-zip")] == ["xverify", "name-zip"]
    with pytest.raises(ConfigError, match="unknown policy nope"):
        parse_policies("xverify,nope")
    with pytest.raises(ConfigError):
        parse_policies("")
    with pytest.raises(InputError, match="missing column"):
        NameZipPolicy().decide(evidence().drop(columns=["zip_like"]))
    with pytest.raises(InputError, match="do not cover the same requests"):
        replay(evidence(), truth().iloc[1:], "xverify")
    with pytest.raises(InputError, match="status"):
        XVerifyPolicy().decide(evidence().assign(status="MAYBE"))


def test_xverify_policy_from_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "op.json"
    path.write_text(json.dumps({"threshold": 0.9, "margin_bits": 1.0, "certification": {}}))
    assert XVerifyPolicy.from_config(path) == XVerifyPolicy(threshold=0.9, margin_bits=1.0)
    path.write_text("{}")
    with pytest.raises(ConfigError):
        XVerifyPolicy.from_config(path)
