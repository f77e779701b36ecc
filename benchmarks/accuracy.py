"""Accuracy of the default matcher on the committed synthetic sample, as a Markdown table.

    python benchmarks/accuracy.py            # all five profiles, survey strata, the replay

Encodes each profile's submissions with a fixed, published benchmark key (so that every run
prints the same figures: Bloom-filter collisions depend on the key), matches them against
``synthetic_data/register`` with the default :class:`xverify.MatchConfig`, and scores the
decisions against the truth (Wilson 95% intervals). Then replays the flawed 2025 ``name-zip``
procedure, the ``exact`` baseline and xverify on the ``replay-2025`` requests. Nothing is
disclosed: ``Verifier.match`` decides without a response or a log.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from xverify import LinkageSecret, MatchConfig, Verifier, audit, encode_requests, read_submissions
from xverify.audit.evidence import build_evidence

SAMPLE = Path(__file__).resolve().parent.parent / "synthetic_data"
PROFILES = ("clean", "realistic", "hard", "replay-2025", "survey")
#: public, for reproducible figures only: never use a published key for real data
BENCHMARK_KEY = hashlib.sha256(b"xverify benchmarks/accuracy.py").digest()


def _rate(r: audit.Rate) -> str:
    return f"{r.k}/{r.n} = {r.value:.4f} [{r.low:.4f}, {r.high:.4f}]"


def profile_table(secret: LinkageSecret, cache: Path) -> pd.DataFrame:
    rows = []
    for profile in PROFILES:
        table, _ = encode_requests(read_submissions(SAMPLE / profile / "submissions.csv"), secret)
        verifier = Verifier(SAMPLE / "register", secret, MatchConfig(), log=None, cache_dir=cache)
        decisions = verifier.match(table).identified(verifier.encoded_register().tins)
        m = audit.compute_metrics(decisions, audit.load_truth(SAMPLE / profile / "truth.parquet"))
        t = m.truth
        assert t is not None
        rows.append(
            {
                "profile": profile,
                "requests": m.n_requests,
                "VERIFIED": m.outcomes["VERIFIED"].k,
                "overmatch per VERIFIED [95% CI]": _rate(t.overmatch_per_verified),
                "recall [95% CI]": _rate(t.recall),
                "address-unconfirmed disclosures": m.address_unconfirmed.k,
                "invalid rejected": f"{t.rejection.invalid_rejected.k}"
                f"/{t.rejection.invalid_rejected.n}",
                "valid wrongly rejected": t.rejection.valid_rejected.k,
            }
        )
    return pd.DataFrame(rows)


def pairs_completeness(secret: LinkageSecret, cache: Path, profile: str = "realistic") -> float:
    """Share of verifiable requests whose true person is among the blocking candidates."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from xverify.matching.blocking import TokenStats, candidate_pairs

    table, _ = encode_requests(read_submissions(SAMPLE / profile / "submissions.csv"), secret)
    verifier = Verifier(SAMPLE / "register", secret, log=None, cache_dir=cache)
    register = verifier.encoded_register()
    accepted = np.asarray(table.column("status").to_pylist()) == "ACCEPTED"
    subs = table.filter(pa.array(accepted))
    pairs = candidate_pairs(subs, register.batches, stats=TokenStats.from_batches(register.batches))
    person = pq.read_table(register.path, columns=["person"]).column("person").to_numpy()
    truth = audit.load_truth(SAMPLE / profile / "truth.parquet").set_index("request_id")
    ids = np.asarray(subs.column("request_id").to_pylist(), dtype=object)
    true_tin = truth.loc[ids, "tin"].to_numpy(dtype=object)
    verifiable = truth.loc[ids, "verifiable"].to_numpy(dtype=bool)
    found = set(
        zip(pairs.sub_idx.tolist(), register.tins[person[pairs.reg_idx]].tolist(), strict=True)
    )
    hits = [(i, true_tin[i]) in found for i in np.flatnonzero(verifiable)]
    return float(np.mean(hits))


def survey_strata(secret: LinkageSecret, cache: Path) -> pd.DataFrame:
    """Who the ``survey`` requests are about (truth ``target_kind``; the identical-name
    household stratum split by whether the request carries a birth date): VERIFIED and wrong
    VERIFIED with the Wilson 95% interval of wrong per request of the stratum."""
    subs = read_submissions(SAMPLE / "survey" / "submissions.csv")
    table, _ = encode_requests(subs, secret)
    verifier = Verifier(SAMPLE / "register", secret, MatchConfig(), log=None, cache_dir=cache)
    d = verifier.match(table).identified(verifier.encoded_register().tins)
    truth = pd.read_parquet(SAMPLE / "survey" / "truth.parquet")
    m = d.merge(truth, on="request_id", suffixes=("", "_true"))
    birth = subs.column("birth_date").to_pandas().fillna("").astype(str).str.len() > 0
    m["stratum"] = m["target_kind"].astype(str)
    same = m["stratum"] == "household_same_name"
    m.loc[same, "stratum"] += np.where(birth[same.to_numpy()], " (birth date)", " (no birth date)")
    rows = []
    for stratum, g in m.groupby("stratum"):
        verified = g["outcome"] == "VERIFIED"
        wrong = verified & (g["tin"].fillna("") != g["tin_true"].fillna(""))
        rate = audit.Rate.of(int(wrong.sum()), len(g))
        rows.append(
            {
                "stratum": stratum,
                "requests": len(g),
                "VERIFIED": int(verified.sum()),
                "wrong VERIFIED": int(wrong.sum()),
                "wrong per request [95% CI]": f"{rate.value:.4f} [{rate.low:.4f}, {rate.high:.4f}]",
            }
        )
    return pd.DataFrame(rows)


def replay_table(secret: LinkageSecret, cache: Path) -> pd.DataFrame:
    evidence = build_evidence(
        SAMPLE / "replay-2025" / "submissions.csv", SAMPLE / "register", secret, cache_dir=cache
    )
    truth = audit.load_truth(SAMPLE / "replay-2025" / "truth.parquet")
    return audit.replay(evidence, truth, "name-zip,exact,xverify").to_frame()


def markdown(frame: pd.DataFrame) -> str:
    """A Markdown table (no extra dependency)."""
    cells = [[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row] for row in frame.values]
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    secret = LinkageSecret(BENCHMARK_KEY)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        print(markdown(profile_table(secret, cache)))
        print()
        print(f"pairs completeness (realistic): {pairs_completeness(secret, cache):.4f}")
        print()
        print(markdown(survey_strata(secret, cache)))
        print()
        print(markdown(replay_table(secret, cache)))


if __name__ == "__main__":
    main()
