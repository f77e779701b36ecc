"""Run the attacks against default and hardened encodings of one register, measure what the
hardening costs in recall and overmatch, write ``benchmarks/results/attacks-<size>.json`` and
the table in ``benchmarks/README.md`` (between the ``attacks table`` markers).

    python -m benchmarks.attacks run --size 1m [--requests 100k]
    python -m benchmarks.attacks report [results/attacks-1m.json]

The register and the realistic requests come from :func:`benchmarks.data.prepare` (cached in
``benchmarks/work/``). Everything is keyed with the published benchmark key of
``benchmarks/accuracy.py``, so a rerun reproduces the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.accuracy import BENCHMARK_KEY, SAMPLE
from benchmarks.attacks.attacks import bloom_attack, dictionary_attack, token_frequency_attack
from benchmarks.attacks.report import write_report
from benchmarks.data import WORK, label, parse_size, prepare
from xverify import LinkageSecret, MatchConfig, Verifier, audit, encode_requests, read_submissions
from xverify.encoding.encoder import encode_frame
from xverify.encoding.schema import EncodingSchema, Hardening, TokenType

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
SAMPLE_PROFILES = ("clean", "realistic", "hard")


def public_tables() -> tuple[list[str], list[str]]:
    """Public surnames and given names, most frequent first (the adversary's knowledge)."""
    data = files("xverify") / "data"
    sur = pd.read_parquet(str(data / "surnames.parquet"))
    giv = pd.read_parquet(str(data / "first_names.parquet"))
    giv = giv.groupby("name", as_index=False)["count"].sum()
    order = lambda f: f.sort_values(["count", "name"], ascending=[False, True])  # noqa: E731
    return order(sur)["name"].astype(str).tolist(), order(giv)["name"].astype(str).tolist()


def _accuracy(decisions: pd.DataFrame, truth: Path) -> dict[str, Any]:
    t = audit.compute_metrics(decisions, audit.load_truth(truth)).truth
    assert t is not None
    return {
        "recall": t.recall.value, "recall_k": t.recall.k, "recall_n": t.recall.n,
        "overmatch": t.overmatch_per_verified.value,
        "overmatch_k": t.overmatch_per_verified.k, "verified": t.overmatch_per_verified.n,
    }  # fmt: skip


def match_cost(register: Path, submissions: Path, truth: Path, secret: LinkageSecret,
               schema: EncodingSchema, cache: Path) -> dict[str, Any]:  # fmt: skip
    """Recall and overmatch of the default matcher on ``schema`` encodings (model trained on
    the batch, as ``benchmarks/accuracy.py`` does)."""
    started = time.perf_counter()
    table, _ = encode_requests(read_submissions(submissions), secret, schema)
    verifier = Verifier(register, secret, MatchConfig(), log=None, schema=schema, cache_dir=cache)
    decisions = verifier.match(table).identified(verifier.encoded_register().tins)
    return {**_accuracy(decisions, truth), "seconds": round(time.perf_counter() - started, 1)}


def run(size: int, requests: int, work: Path, *, cost: bool = True) -> dict[str, Any]:
    secret = LinkageSecret(BENCHMARK_KEY)
    inputs = prepare(size, requests, work)
    people = pq.read_table(inputs.register / "taxpayers.parquet",
                           columns=["first_name", "middle_name", "last_name"])  # fmt: skip
    surnames_pub, given_pub = public_tables()
    plain = pc.utf8_upper(pc.fill_null(people.column("last_name"), "")).to_pylist()
    firsts = [s.split()[0] if s.split() else "" for s in plain]
    out: dict[str, Any] = {
        "size": size, "requests": requests, "people": people.num_rows,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores",
        "python": sys.version.split()[0],
        "command": f"python -m benchmarks.attacks run --size {label(size)} "
                   f"--requests {label(requests)}",
        "dictionary": dictionary_attack(firsts, surnames_pub, secret),
        "encodings": {},
    }  # fmt: skip
    print(f"[attacks] dictionary: {out['dictionary']}", flush=True)
    for hardening in Hardening:
        schema = EncodingSchema.hardened(hardening)
        t0 = time.perf_counter()
        enc = encode_frame(people, secret, schema)
        secs = time.perf_counter() - t0
        res: dict[str, Any] = {"encode_seconds": round(secs, 1)}
        res["token_frequency"] = {
            name: token_frequency_attack(enc, t, pub, secret).as_dict()
            for name, t, pub in (("surname", TokenType.SURNAME, surnames_pub),
                                 ("given", TokenType.GIVEN, given_pub))
        }  # fmt: skip
        t0 = time.perf_counter()
        res["bloom_surname"] = bloom_attack(enc, surnames_pub, secret, schema)
        res["bloom_surname"]["seconds"] = round(time.perf_counter() - t0, 1)
        res["bloom_surname_known_seeds"] = bloom_attack(
            enc, surnames_pub, secret, schema, known=plain
        )
        out["encodings"][hardening.value] = res
        print(f"[attacks] {hardening.value}: {json.dumps(res)}", flush=True)
    if cost:
        out["cost"] = {}
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            for hardening in Hardening:
                schema = EncodingSchema.hardened(hardening)
                cache = Path(tmp) / hardening.value
                rows = {
                    f"synthetic {label(size)} x {label(requests)} realistic": match_cost(
                        inputs.register, inputs.submissions, inputs.truth, secret, schema, cache
                    )
                }
                for profile in SAMPLE_PROFILES:
                    rows[f"committed sample {profile}"] = match_cost(
                        SAMPLE / "register",
                        SAMPLE / profile / "submissions.csv",
                        SAMPLE / profile / "truth.parquet",
                        secret,
                        schema,
                        Path(tmp) / "sample",
                    )
                out["cost"][hardening.value] = rows
                print(f"[attacks] cost {hardening.value}: {json.dumps(rows)}", flush=True)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.attacks",
                                     description=__doc__.splitlines()[0])  # fmt: skip
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the attacks and the cost measurement")
    r.add_argument("--size", default="1m")
    r.add_argument("--requests", default=None, help="default: min(100k, size/10)")
    r.add_argument("--work", type=Path, default=WORK)
    r.add_argument("--results", type=Path, default=RESULTS)
    r.add_argument("--no-cost", action="store_true", help="attacks only")
    r.add_argument("--no-readme", action="store_true", help="do not rewrite the README table")
    p = sub.add_parser("report", help="rewrite the README table from a result JSON")
    p.add_argument("result", type=Path, nargs="?", default=RESULTS / "attacks-1m.json")
    args = parser.parse_args(argv)
    if args.cmd == "report":
        write_report(json.loads(args.result.read_text()))
        return
    size = parse_size(args.size)
    requests = parse_size(args.requests) if args.requests else min(100_000, max(size // 10, 1))
    np.seterr(all="ignore")
    result = run(size, requests, args.work, cost=not args.no_cost)
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"attacks-{label(size)}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path}")
    if not args.no_readme:
        write_report(result)


if __name__ == "__main__":
    main()
