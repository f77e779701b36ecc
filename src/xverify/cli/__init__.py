"""The ``xverify`` command line: one module per subcommand, imported only when it is run."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from .. import __version__
from ..errors import XVerifyError

# subcommand -> (module, attribute, one-line help)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("xverify.cli.demo", "demo", "Run the whole pipeline on bundled synthetic data."),
    "synth": ("xverify.cli.synth", "synth", "Generate a synthetic register and submissions."),
    "keygen": (
        "xverify.cli.encode",
        "keygen",
        "Write a linkage secret or the custodian's log-signing key pair.",
    ),
    "encode": ("xverify.cli.encode", "encode", "Validate and encode submissions."),
    "train": ("xverify.cli.train", "train", "Train the match model once, for any batch."),
    "match": ("xverify.cli.match", "match", "Match encoded submissions against a register."),
    "log": ("xverify.cli.match", "log", "Inspect and verify the tamper-evident audit log."),
    "audit": ("xverify.cli.audit", "audit", "Measure overmatch and replay policies."),
    "explain": ("xverify.cli.explain", "explain", "Explain a decision (custodian side)."),
}


class _LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, so ``--help`` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module, attr, _ = _COMMANDS[cmd_name]
        try:
            return getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            return _unavailable(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, _, help_) in sorted(_COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _unavailable(name: str) -> click.Command:
    @click.command(name=name, help=_COMMANDS[name][2])
    def _cmd() -> None:
        raise click.ClickException(f"'{name}' is not available in this build of xverify")

    return _cmd


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xverify")
def cli() -> None:
    """Privacy-preserving cross-verification of people against a register."""


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: XVerifyError becomes a one-line message and exit status 2."""
    try:
        return cli.main(args=argv, prog_name="xverify", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except XVerifyError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
