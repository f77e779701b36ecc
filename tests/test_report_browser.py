"""The audit report in a real headless Chromium: it loads with no console error and fetches
nothing but itself (tests/headless.py drives the browser over the DevTools protocol).

CI (.ci/run) installs Debian's chromium and sets ``XVERIFY_REQUIRE_BROWSER=1``, so there a
missing browser fails the test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from headless import find_browser, load
from test_audit_cli import run, synthetic, write
from test_report import model

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        if os.environ.get("XVERIFY_REQUIRE_BROWSER"):
            pytest.fail("XVERIFY_REQUIRE_BROWSER is set but no Chromium is installed")
        pytest.skip("no Chromium on PATH (apt-get install chromium, or set $CHROMIUM)")
    return found


def test_report_loads_clean_in_chromium(browser: str, tmp_path: Path) -> None:
    d, t = synthetic(2000, seed=5)
    dp, tp = write(tmp_path, d, t)
    model().save(tmp_path / "model.json")  # found beside the decisions, as `match` writes it
    out = tmp_path / "audit"
    args = ("audit", "--decisions", dp, "--truth", tp, "--out", out, "--target-overmatch", "0.05")
    assert run(*args) == 0
    page = load(out / "report.html", binary=browser, screenshot=True, max_height=1500)
    assert page.title == "xverify overmatch audit"
    assert page.errors == []
    assert page.external_requests == []
    assert page.requests[0] == page.url  # the browser did load the file itself
    assert page.height > 3000  # every section rendered, not an error page
    assert page.screenshot is not None and page.screenshot.startswith(PNG)
    (tmp_path / "report.png").write_bytes(page.screenshot)


def test_the_check_sees_errors_and_requests(browser: str, tmp_path: Path) -> None:
    """The same check fails a page that logs an error and fetches from the network."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><title>bad</title><img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('boom')</script>"
    )
    page = load(bad, binary=browser)
    assert page.external_requests == ["http://127.0.0.1:9/x.png"]
    assert any("boom" in e for e in page.errors)
