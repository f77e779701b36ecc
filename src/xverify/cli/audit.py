"""``xverify audit``: overmatch metrics and report; ``xverify audit replay``: policy replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._io import atomic_dir, check_writable
from ..errors import ConfigError
from ._options import key_option

if TYPE_CHECKING:
    from ..audit.metrics import AuditMetrics
    from ..audit.thresholds import OperatingPoint
    from ..config import MatchConfig

_PATH = click.Path(dir_okay=False, path_type=Path)
_DIR = click.Path(file_okay=False, path_type=Path)


@click.group(invoke_without_command=True)
@click.option("--decisions", type=_PATH, help="decisions.parquet (or .csv) from the matcher.")
@click.option("--truth", type=_PATH, help="truth.parquet from the synthetic generator.")
@click.option("--out", type=_DIR, help="Output directory: metrics.json, report.html.")
@click.option(
    "--target-overmatch",
    type=float,
    help="Certify the loosest threshold/margin whose upper 95% bound on overmatch per "
    "VERIFIED meets this target; writes operating_point.json (needs --truth).",
)
@click.option(
    "--replay",
    "replay_path",
    type=_PATH,
    help="replay.json from 'xverify audit replay', to include in the report.",
)
@click.option(
    "--model",
    "model_path",
    type=_PATH,
    help="model.json for the report's model section [default: model.json beside --decisions, "
    "when there is one].",
)
@click.option(
    "--config",
    "config_path",
    type=_PATH,
    help="The match config the matcher runs with (JSON), to compare a certified operating point "
    "with [default: the matcher's defaults].",
)
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
@click.pass_context
def audit(
    ctx: click.Context,
    decisions: Path | None,
    truth: Path | None,
    out: Path | None,
    target_overmatch: float | None,
    replay_path: Path | None,
    model_path: Path | None,
    config_path: Path | None,
    force: bool,
) -> None:
    """Measure overmatch, undermatch and rejection accuracy, with 95% intervals and strata.

    Writes OUT/metrics.json, a self-contained OUT/report.html and, with --truth,
    OUT/strata.csv (every group; the report shows the worst ten); nothing is written if any
    input is bad. Without --truth only the outcome mix and the label-free estimate are shown.
    The report warns when the certified operating point is looser than the configured one.
    """
    if ctx.invoked_subcommand is not None:
        return
    if decisions is None or out is None:
        raise ConfigError("audit needs --decisions and --out (or a subcommand, see --help)")
    if target_overmatch is not None and truth is None:
        raise ConfigError("--target-overmatch needs --truth")
    if target_overmatch is not None and not 0.0 < target_overmatch < 1.0:
        raise ConfigError("--target-overmatch must lie strictly between 0 and 1")
    check_writable(out, force=force)

    from ..audit import inputs, policies, report, thresholds
    from ..audit.metrics import compute_metrics
    from ..config import MatchConfig
    from ..matching.model import MatchModel

    config = MatchConfig.from_file(config_path) if config_path is not None else MatchConfig()
    if model_path is None and (decisions.parent / "model.json").is_file():
        model_path = decisions.parent / "model.json"
    model = MatchModel.load(model_path) if model_path is not None else None

    d = inputs.load_decisions(decisions)
    t = inputs.load_truth(truth) if truth is not None else None
    rp = None
    if replay_path is not None:
        try:
            raw = json.loads(Path(replay_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{replay_path}: cannot read ({type(exc).__name__})") from None
        rp = policies.ReplayResult.from_dict(
            raw.get("replay", raw) if isinstance(raw, dict) else {}
        )
    metrics = compute_metrics(d, t)
    table = thresholds.sweep(d, t)
    calib = thresholds.calibration_table(d, t) if t is not None else None
    op = None
    if target_overmatch is not None and t is not None:
        op = thresholds.certify(d, t, target_overmatch, table=table)
    names = {"decisions": decisions.name}
    if truth is not None:
        names["truth"] = truth.name
    report.write_report(
        out,
        metrics,
        sweep_table=table,
        calibration=calib,
        operating_point=op,
        replay=rp,
        inputs=names,
        model=model,
        config=config,
        force=force,
    )
    _summary(metrics, op, config)
    click.echo(f"wrote {out / 'metrics.json'} and {out / 'report.html'}")


def _summary(metrics: AuditMetrics, op: OperatingPoint | None, config: MatchConfig) -> None:
    mix = ", ".join(f"{k} {v.k}" for k, v in metrics.outcomes.items())
    click.echo(f"{metrics.n_requests} requests: {mix}")
    lf = metrics.label_free
    click.echo(
        f"label-free expected wrong disclosures: {lf.expected_wrong:.3g} "
        f"[{lf.low:.3g}, {lf.high:.3g}]"
    )
    if metrics.truth is not None:
        t = metrics.truth
        click.echo(f"overmatch per VERIFIED: {t.overmatch_per_verified}")
        click.echo(f"recall: {t.recall}")
    if op is not None:
        click.echo(
            f"certified: threshold {op.threshold:.10g}, margin {op.margin_bits:g} bits "
            f"(overmatch upper bound {op.overmatch.high:.3g} <= {op.target_overmatch:g})"
        )
        from ..audit.report import looser_than

        looser = looser_than(op, config)
        if looser:
            click.echo(
                f"warning: the certified setting is looser than the configured one "
                f"({'; '.join(looser)}); see the report before adopting it",
                err=True,
            )


@audit.command("replay")
@click.option("--submissions", type=_PATH, help="Plaintext synthetic submissions (CSV/Parquet).")
@key_option
@click.option("--register", type=_DIR, help="Register folder (with --submissions).")
@click.option(
    "--evidence",
    type=_PATH,
    help="Or: a per-request evidence frame written earlier (replay's evidence.parquet).",
)
@click.option("--truth", type=_PATH, required=True, help="truth.parquet.")
@click.option(
    "--policies",
    "policy_spec",
    default="name-zip,exact,xverify",
    show_default=True,
    help="Comma-separated policies to replay.",
)
@click.option(
    "--xverify-config",
    type=_PATH,
    help="operating_point.json for the xverify policy (threshold, margin_bits).",
)
@click.option(
    "--out", type=_DIR, required=True, help="Output directory: replay.json/.csv, evidence.parquet."
)
@click.option("--force", is_flag=True, help="Replace an existing output directory.")
def replay_cmd(
    submissions: Path | None,
    key_file: Path | None,
    register: Path | None,
    evidence: Path | None,
    truth: Path,
    policy_spec: str,
    xverify_config: Path | None,
    out: Path,
    force: bool,
) -> None:
    """Replay several disclosure policies on the same requests and compare them with truth.

    With --submissions/--key/--register every request is encoded and matched (also the ones the
    validator rejects: the flawed name-zip procedure never validated); nothing is disclosed or
    logged. The evidence is saved so the replay can be re-run with --evidence.
    """
    if (evidence is None) == (submissions is None):
        raise ConfigError(
            "replay needs either --evidence or --submissions with --register (and a key)"
        )
    if submissions is not None and register is None:
        raise ConfigError("--submissions needs --register")
    check_writable(out, force=force)
    from ..audit import inputs, policies

    chosen = list(policies.parse_policies(policy_spec))
    config = None
    if xverify_config is not None:
        from ..config import MatchConfig

        config = MatchConfig.from_file(xverify_config)
        chosen = [
            policies.XVerifyPolicy.from_config(xverify_config)
            if isinstance(p, policies.XVerifyPolicy)
            else p
            for p in chosen
        ]
    truth_frame = inputs.load_truth(truth)
    if submissions is not None:
        from ..audit.evidence import build_evidence
        from ..encoding.keys import LinkageSecret

        assert register is not None
        ev = build_evidence(submissions, register, LinkageSecret.resolve(key_file), config=config)
    else:
        assert evidence is not None
        ev = inputs.read_table(evidence)
    result = policies.replay(ev, truth_frame, chosen)
    frame = result.to_frame()
    with atomic_dir(out, force=force) as tmp:
        (tmp / "replay.json").write_text(
            json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
        frame.to_csv(tmp / "replay.csv", index=False)
        if submissions is not None:
            ev.to_parquet(tmp / "evidence.parquet", index=False)
    click.echo(frame.to_string(index=False))
    click.echo(f"wrote {out / 'replay.json'}")
