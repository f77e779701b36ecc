"""Load a local HTML page in a real headless Chromium and report what happened.

Used by tests/test_report_browser.py, and as the script that makes the report screenshot in
docs/ (see docs/report.md)::

    python tests/headless.py AUDIT_DIR/report.html docs/report.png

Speaks the Chrome DevTools protocol over ``--remote-debugging-pipe`` (JSON messages ended by a
NUL byte on file descriptors 3 and 4 of the browser), so it needs no Python package and no
driver: only a Chromium binary (Debian's ``chromium``; ``$CHROMIUM`` names another). It records
console errors, uncaught exceptions and browser log errors (a Content-Security-Policy violation
is one), and every request the page makes.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """``$CHROMIUM`` or the first Chromium on PATH (None: not installed)."""
    named = os.environ.get("CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


@dataclass
class PageLoad:
    """What a page did while loading: errors, requests (URLs), and a screenshot if asked."""

    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    title: str = ""
    height: int = 0
    screenshot: bytes | None = None

    @property
    def external_requests(self) -> list[str]:
        """Requests other than the page itself and inline ``data:`` resources."""
        return [u for u in self.requests if u != self.url and not u.startswith("data:")]


class _Pipe:
    """One DevTools session over the browser's pipe: send commands, collect events."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._w, self._r = write_fd, read_fd
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:  # fmt: skip
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply is None:
                raise TimeoutError(f"no reply to {method}")
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float) -> bool:
        """Collect events until ``method`` arrives (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return True
        while (msg := self._read(deadline)) is not None:
            self.events.append(msg)
            if msg.get("method") == method:
                return True
        return False

    def drain(self, quiet: float) -> None:
        """Collect events until none arrive for ``quiet`` seconds."""
        while (msg := self._read(time.monotonic() + quiet)) is not None:
            self.events.append(msg)

    def _read(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                return None
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed its DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return dict(json.loads(raw))


def _high(fd: int) -> int:
    """A copy of ``fd`` numbered 10 or above, so moving it to 3 or 4 in the child clobbers
    nothing."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


@contextlib.contextmanager
def _browser(binary: str) -> Iterator[_Pipe]:
    to_browser_r, to_browser_w = (_high(fd) for fd in os.pipe())
    from_browser_r, from_browser_w = (_high(fd) for fd in os.pipe())

    def child_fds() -> None:  # runs in the child between fork and exec
        os.dup2(to_browser_r, 3)
        os.dup2(from_browser_w, 4)

    with tempfile.TemporaryDirectory(prefix="xverify-chromium-") as profile:
        args = [
            binary,
            "--headless",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--mute-audio",
            "about:blank",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(2, "--no-sandbox")  # Chromium refuses to sandbox as root
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # fds 3 and 4 must reach the browser; all others are CLOEXEC
            preexec_fn=child_fds,  # the child moves the pipes to fds 3 and 4
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        try:
            yield _Pipe(to_browser_w, from_browser_r)
        finally:
            with contextlib.suppress(OSError, RuntimeError, TimeoutError):
                _Pipe(to_browser_w, from_browser_r).send("Browser.close", timeout=5)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(to_browser_w)
            os.close(from_browser_r)


def load(
    page: Path,
    *,
    binary: str | None = None,
    width: int = 1100,
    screenshot: bool = False,
    max_height: int | None = None,
    timeout: float = 60.0,
) -> PageLoad:
    """Open ``page`` (a local file) in headless Chromium; record errors and requests and, with
    ``screenshot``, a PNG of the page from the top (``max_height`` CSS pixels at most)."""
    binary = binary or find_browser()
    if binary is None:
        raise FileNotFoundError("no Chromium found (apt-get install chromium, or set $CHROMIUM)")
    url = page.resolve().as_uri()
    result = PageLoad(url)
    with _browser(binary) as cdp:
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            cdp.send(f"{domain}.enable", session=session)
        cdp.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        cdp.events.clear()
        cdp.send("Page.navigate", {"url": url}, session=session)
        if not cdp.wait_for("Page.loadEventFired", timeout):
            raise TimeoutError(f"{page} did not finish loading in {timeout:g}s")
        cdp.drain(quiet=0.5)
        for e in cdp.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
            elif method == "Runtime.exceptionThrown":
                result.errors.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                texts = [str(a.get("value", a.get("description", ""))) for a in params["args"]]
                result.errors.append(f"console.{params['type']}: {' '.join(texts)}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                result.errors.append(f"log: {params['entry']['text']}")
        evaluated = cdp.send(
            "Runtime.evaluate",
            {"expression": "[document.title, document.documentElement.scrollHeight]",
             "returnByValue": True},
            session=session,
        )  # fmt: skip
        result.title, result.height = evaluated["result"]["value"]
        if screenshot:
            height = result.height if max_height is None else min(result.height, max_height)
            shot = cdp.send(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                },
                session=session,
            )
            result.screenshot = base64.b64decode(shot["data"])
    return result


def main(argv: list[str]) -> int:
    """``headless.py PAGE.html [OUT.png]``: print errors and requests; write the screenshot."""
    if len(argv) not in (1, 2):
        print(__doc__)
        return 2
    out = Path(argv[1]) if len(argv) == 2 else None
    res = load(Path(argv[0]), screenshot=out is not None, max_height=2400)
    print(f"{res.url}: {res.title!r}, {res.height}px tall")
    print(f"errors: {res.errors or 'none'}")
    print(f"requests beyond the page: {res.external_requests or 'none'}")
    if out is not None and res.screenshot is not None:
        out.write_bytes(res.screenshot)
        print(f"wrote {out}")
    return 1 if res.errors or res.external_requests else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
