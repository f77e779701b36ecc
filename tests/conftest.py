"""Hypothesis profiles (CI runs are reproducible; local searches look further and keep findings)
and the count of fuzzed input cases printed in the terminal summary.

* ``ci`` (default): derandomized, no deadline, no example database: a run fails only for
  something the change under test did, never for a new random draw or a slow machine.
* ``search`` (``XVERIFY_HYPOTHESIS=search pytest``): random, ten times the examples, the example
  database on; every falsifying example found is appended to ``tests/data/counterexamples.txt``
  to be pinned as an explicit ``@example`` on its test.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, suppress_health_check=_SLOW
)
settings.register_profile(
    "search", max_examples=1000, deadline=None, suppress_health_check=_SLOW, print_blob=True
)
PROFILE = os.environ.get("XVERIFY_HYPOTHESIS", "ci")
settings.load_profile(PROFILE)

COUNTEREXAMPLES = Path(__file__).parent / "data" / "counterexamples.txt"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if PROFILE == "search" and report.when == "call" and report.failed:
        found = re.findall(r"^Falsifying example: .*?^\)$", report.longreprtext, re.M | re.S)
        if found:
            with COUNTEREXAMPLES.open("a") as out:
                out.write(f"# {item.nodeid}\n" + "\n".join(found) + "\n\n")
    return report


FUZZ_CASES = pytest.StashKey[Counter[str]]()


@pytest.fixture(scope="session")
def fuzz_counter(request: pytest.FixtureRequest) -> Counter[str]:
    """Generated cases per input kind (key ``kind``) and how many were accepted (key
    ``kind accepted``), printed in the terminal summary (tests/test_fuzz_inputs.py)."""
    return request.config.stash.setdefault(FUZZ_CASES, Counter())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = terminalreporter.config.stash.get(FUZZ_CASES, None)
    if counts:
        total = {k: n for k, n in counts.items() if not k.endswith(" accepted")}
        kinds = ", ".join(
            f"{kind} {n} ({counts[kind + ' accepted']} accepted)"
            for kind, n in sorted(total.items())
        )
        terminalreporter.write_line(
            f"fuzzed inputs: {sum(total.values())} generated cases: {kinds}; "
            "the others ended in an XVerifyError"
        )


def require_recordlinkage() -> object:
    """recordlinkage, or a skip — a failure when CI asks for it (``XVERIFY_REQUIRE_INTEROP``).

    recordlinkage 0.16 declares pandas<3 although it runs on pandas 3, so the test extra cannot
    name it (pip would downgrade pandas); ``.ci/run`` installs it with ``--no-deps``.
    """
    try:
        import recordlinkage
    except ImportError:
        if os.environ.get("XVERIFY_REQUIRE_INTEROP"):
            pytest.fail("XVERIFY_REQUIRE_INTEROP is set but recordlinkage is not installed")
        pytest.skip(
            "recordlinkage is not installed: pip install --no-deps recordlinkage",
            allow_module_level=True,
        )
    return recordlinkage
