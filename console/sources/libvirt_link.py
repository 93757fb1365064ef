"""One libvirt connection shared by several threads, closed safely (design: "a host that stops
answering").

libvirt frees a connection on its last `virConnectClose`: a call still running on it then (a
probe that blocked on a frozen host and returns when it thaws), or a second close or
unregistering of its close callback from another thread, touches freed memory and crashes the
process. A `Link` counts the calls running on its connection (`run`); `retire` refuses new ones
and closes the connection once, after the last running call has returned, in a daemon thread
of its own (closing may block as long as the host does).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class LinkClosed(ConnectionError):
    """A call on a connection that is being closed (or is closed); it was not made."""


class Link:
    """`conn`, a libvirt connection: calls through `run`, closed once by `retire`."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._lock = threading.Lock()
        self._running = 0
        self._retired = False
        self._closing = False

    @property
    def retired(self) -> bool:
        """Whether `retire` was called (no call is made on the connection any more)."""
        return self._retired

    def run(self, call: Callable[[Any], T]) -> T:
        """`call(conn)`'s result, counted as running on the connection; LinkClosed (and
        `call` not made) once the link is retired."""
        with self._lock:
            if self._retired:
                raise LinkClosed("the connection is closed")
            self._running += 1
        try:
            return call(self.conn)
        finally:
            with self._lock:
                self._running -= 1
                last = self._take_close()
            if last:
                self._close_in_background()

    def retire(self) -> None:
        """Refuse new calls and close the connection once the running ones have returned
        (idempotent; returns at once)."""
        with self._lock:
            self._retired = True
            last = self._take_close()
        if last:
            self._close_in_background()

    def _take_close(self) -> bool:
        """Under the lock: whether the caller is the one (only) owner of the close."""
        if self._retired and self._running == 0 and not self._closing:
            self._closing = True
            return True
        return False

    def _close_in_background(self) -> None:
        threading.Thread(target=self._close, name="libvirt close", daemon=True).start()

    def _close(self) -> None:
        for step in (self.conn.unregisterCloseCallback, self.conn.close):
            with contextlib.suppress(Exception):  # a connection already gone
                step()
