"""Hypothesis profiles: CI runs are reproducible; local searches look further and keep findings.

* ``ci`` (default): derandomized, no deadline, no example database: a run fails only for
  something the change under test did, never for a new random draw or a slow machine.
* ``search`` (``XVERIFY_HYPOTHESIS=search pytest``): random, ten times the examples, the example
  database on; every falsifying example found is appended to ``tests/data/counterexamples.txt``
  to be pinned as an explicit ``@example`` on its test.
"""

from __future__ import annotations

import os
import re
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
