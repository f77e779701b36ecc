"""``xverify demo``: the whole pipeline on a small synthetic world, in one command.

synth (register + requests with ground truth) -> keygen -> encode (requester) -> train on a
synthetic calibration batch, match with that frozen model (custodian) -> audit (auditor). Every
file lands in one folder so it can be opened afterwards.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import click


@click.command()
@click.option("--out", "outdir", type=click.Path(path_type=Path), default=Path("xverify-demo"),
              show_default=True, help="Folder for every file the demo writes.")  # fmt: skip
@click.option("--people", type=int, default=20_000, show_default=True, help="Register size.")
@click.option("--requests", "count", type=int, default=2_000, show_default=True,
              help="Number of requests.")  # fmt: skip
@click.option("--profile", default="realistic", show_default=True,
              type=click.Choice(["clean", "realistic", "hard", "replay-2025", "survey"]),
              help="Submission profile.")  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True,
              help="Seeds the world and the demo key: same seed, same numbers.")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace an existing demo folder.")
def demo(outdir: Path, people: int, count: int, profile: str, seed: int, force: bool) -> None:
    """Run synth -> encode -> train -> match -> audit on synthetic data and print what happened.

    Deterministic: the linkage key is derived from ``--seed`` (a published derivation, for the
    demo only: never for real data), so every run and machine prints the same summary; only the
    times differ.
    """
    import hashlib

    import numpy as np

    from ..audit import compute_metrics
    from ..audit.wording import metric_words
    from ..auditlog import head_path
    from ..encoding.keys import LinkageSecret, write_secret
    from ..errors import OutputError
    from ..requests import encode_submissions_file
    from ..signing import write_signing_key
    from ..synth import Profile, generate_submissions, write_register, write_submissions
    from ..verifier import Verifier

    if outdir.exists() and any(outdir.iterdir()) and not force:
        raise OutputError(f"{outdir} exists; pass --force to replace it")
    outdir.mkdir(parents=True, exist_ok=True)
    years = range(2019, 2025)
    register, requests = outdir / "register", outdir / "requests"

    with _step("synth: register"):
        write_register(register, people, years, np.random.default_rng(seed), force=True)
    with _step("synth: requests"):
        subs, truth = generate_submissions(
            register, count, Profile(profile), np.random.default_rng(seed + 1)
        )
        write_submissions(requests, subs, truth, force=True)
    with _step("requester: keygen + encode"):
        demo_key = LinkageSecret(hashlib.sha256(f"xverify demo key {seed}".encode()).digest())
        secret = write_secret(outdir / "linkage.key", force=True, secret=demo_key)
        validation = encode_submissions_file(
            requests / "submissions.csv", outdir / "encoded.parquet", secret, force=True
        )
    with _step("custodian: train on a synthetic calibration batch"):
        calibration = outdir / "calibration"
        subs, cal_truth = generate_submissions(
            register, count, Profile(profile), np.random.default_rng(seed + 2)
        )
        write_submissions(calibration, subs, cal_truth, force=True)
        encode_submissions_file(
            calibration / "submissions.csv", calibration / "encoded.parquet", secret, force=True
        )
        model = Verifier(register, secret, log=None).train(calibration / "encoded.parquet")
        model.save(outdir / "model.json")
    with _step("custodian: match with the frozen model"):
        log_path = outdir / "audit.log"
        for old in (log_path, head_path(log_path)):
            old.unlink(missing_ok=True)
        signing = write_signing_key(outdir / "custodian.key", force=True)
        verifier = Verifier(register, secret, log=log_path, signing_key=signing, model=model)
        result = verifier.verify(outdir / "encoded.parquet", out=outdir / "match", force=True)
    with _step("auditor: overmatch"):
        metrics = compute_metrics(result.decisions, truth)

    click.echo("")
    click.echo(f"{people:,} people, {count:,} {profile} requests, "
               f"{int(validation.accepted.sum()):,} accepted by the legal checks")  # fmt: skip
    for line in result.summary.lines(timings=False):
        click.echo(line)
    click.echo("")
    click.echo("auditor's view (95% Wilson intervals):")
    for row in metrics.headline().itertuples(index=False):
        label = metric_words(str(row.metric))
        click.echo(f"  {label:<46} {row.k:>6,} of {row.n:<6,} {row.value:>7.2%}  "
                   f"[{row.low:.2%}, {row.high:.2%}]")  # fmt: skip
    click.echo("")
    click.echo(
        "time per stage: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.summary.seconds.items())
    )
    click.echo("")
    click.echo(f"files in {outdir}/:")
    click.echo("  register/              synthetic register (taxpayers, addresses, returns)")
    click.echo("  requests/              submissions.csv (plaintext) and truth.parquet")
    click.echo("  linkage.key            the shared secret (mode 0600; derived from --seed)")
    click.echo("  encoded.parquet        what the requester sends: tokens and Bloom filters")
    click.echo("  calibration/           synthetic requests the model was trained on")
    click.echo(f"  model.json             the frozen model (digest {model.digest[:16]}...)")
    click.echo("  match/response.*       what the custodian returns: identity for VERIFIED only")
    click.echo("  match/decisions.parquet  custodian/auditor evidence per request")
    click.echo("  custodian.key(.pub)    the custodian's log-signing key pair (private: 0600)")
    click.echo("  audit.log(.head)       signed hash-chained log and its latest signed head")
    click.echo(f"  check it: xverify log verify {log_path} --public-key {outdir}/custodian.key.pub")
    click.echo("next, the auditor's metrics and HTML report:")
    click.echo(f"  xverify audit --decisions {outdir}/match/decisions.parquet "
               f"--truth {requests}/truth.parquet --out {outdir}/audit")  # fmt: skip


@contextlib.contextmanager
def _step(name: str) -> Iterator[None]:
    """Print a stage's name, then its wall time when it is done."""
    start = time.perf_counter()
    click.echo(f"{name} ...", nl=False)
    yield
    click.echo(f" {time.perf_counter() - start:.1f}s")
