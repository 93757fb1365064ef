"""A headless Chromium driven through the Chrome DevTools Protocol over its debugging pipe
(`--remote-debugging-pipe`: commands in on file descriptor 3, replies and events out on 4, each a
JSON text ended by a NUL byte), so that a test can load a page and read what it shows without a
browser-automation package, a download, or a debugging port of its own.

Every wait has a deadline (`time.monotonic()` seconds) and reads replies as they come: no sleeps.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

#: Where Debian's `chromium` package puts the browser.
CHROMIUM = Path("/usr/bin/chromium")

#: The flags of a quiet, self-contained headless run: no sandbox (tests may run as root), no
#: GPU, no network but this machine (the page's web-font link fails at once instead of waiting
#: on DNS), no first-run or background work.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "--window-size=1400,900", "--remote-debugging-pipe")


class DevToolsError(RuntimeError):
    """The browser answered a command with an error, ended, or did not answer in time."""


class Chromium:
    """A headless Chromium with a fresh profile in `profile` (a folder); `close()` ends it.
    `call(method, params, session=...)` sends one DevTools command and returns its result."""

    def __init__(self, profile: Path) -> None:
        to_browser, self._commands = _pipe()
        self._replies, from_browser = _pipe()
        # The browser wants the pipe on descriptors 3 and 4 exactly: bash puts them there (dash
        # redirects single-digit descriptors only).
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}',
             str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_browser, from_browser), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._next_id = 0
        self._buffer = b""

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             session: str | None = None, deadline: float) -> dict[str, Any]:
        """Send `method` with `params` (to the attached target `session`, else the browser)
        and return its result. Raises DevToolsError for an error reply, or none by `deadline`."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                return reply["result"]

    def open_page(self, url: str, *, deadline: float) -> str:
        """Open `url` in a new page; the session id to send it commands with."""
        target = self.call("Target.createTarget", {"url": "about:blank"},
                           deadline=deadline)["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                            deadline=deadline)["sessionId"]
        self.call("Page.navigate", {"url": url}, session=session, deadline=deadline)
        return session

    def evaluate(self, expression: str, *, session: str, deadline: float) -> Any:
        """The value of the JavaScript `expression` in the page (a promise awaited). Raises
        DevToolsError for an exception in the page."""
        result = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True},
                           session=session, deadline=deadline)
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        """End the browser (Browser.close, then a kill if it lingers) and close the pipe."""
        if self.process.poll() is None:
            with contextlib.suppress(DevToolsError, OSError):
                self.call("Browser.close", deadline=time.monotonic() + 5)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        os.close(self._commands)
        os.close(self._replies)

    def _read(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DevToolsError(f"{waiting_for}: no reply in time")
            ready, _, _ = select.select([self._replies], [], [], left)
            if ready:
                chunk = os.read(self._replies, 1 << 16)
                if not chunk:
                    raise DevToolsError(f"{waiting_for}: the browser ended")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)


def _pipe() -> tuple[int, int]:
    """A pipe whose two ends are numbered 10 or above, so that bash's `3<&N 4>&M` never moves
    one end over the other."""
    ends = []
    for end in os.pipe():
        ends.append(fcntl.fcntl(end, fcntl.F_DUPFD_CLOEXEC, 10))
        os.close(end)
    return ends[0], ends[1]
