"""xverify end to end as one process: encode the requests, encode the register, verify.

Run in the xverify venv: ``python xverify_run.py --register DIR --submissions CSV --key K
--out DIR``. The register is encoded into a fresh cache inside ``--out`` so its cost is
measured (stage ``register``); ``match_cached`` in the timings is the run without it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from importlib import metadata
from pathlib import Path


def _peak_rss_mb() -> float:
    """High-water RSS of this process (VmHWM; ru_maxrss would include the parent's at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--register", type=Path, required=True)
    ap.add_argument("--submissions", type=Path, required=True)
    ap.add_argument("--key", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(args.out / "cache", ignore_errors=True)  # every run encodes the register
    (args.out / "audit.jsonl").unlink(missing_ok=True)
    from xverify import LinkageSecret, Verifier
    from xverify.requests import encode_submissions_file

    secret = LinkageSecret.from_file(args.key)
    stages: dict[str, float] = {}
    t = time.perf_counter()
    encoded = args.out / "encoded.parquet"
    encode_submissions_file(args.submissions, encoded, secret, force=True)
    stages["encode"] = time.perf_counter() - t
    from xverify.signing import SigningKey

    (args.out / "audit.jsonl.head").unlink(missing_ok=True)
    verifier = Verifier(args.register, secret, log=args.out / "audit.jsonl",
                        signing_key=SigningKey.generate(),
                        cache_dir=args.out / "cache")  # fmt: skip
    result = verifier.verify(encoded)
    stages.update(result.summary.seconds)
    d = result.decisions
    verified = (d["outcome"] == "VERIFIED").to_numpy()
    out = d[["request_id", "outcome"]].copy()
    out["tin"] = d["tin"].astype("string")
    out["score"] = d["probability"].astype(float)
    out["linked"] = verified
    out.to_parquet(args.out / "decisions.parquet", index=False)
    info = {
        "stages": stages,
        "candidate_pairs": int(result.summary.candidate_pairs),
        "threshold": float(verifier.config.threshold),
        "threshold_label": "VERIFIED (default MatchConfig)",
        "packages": {
            n: metadata.version(n) for n in ("xverify", "numpy", "numba", "pandas", "pyarrow")
        },
        "outcomes": result.summary.outcomes,
        "peak_rss_mb_self": _peak_rss_mb(),
    }
    (args.out / "timings.json").write_text(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
