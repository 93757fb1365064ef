"""What the libvirt tests share: the skip marker (`needs_libvirt`, with the visible reason), the
shipped sample hosts' URIs, a collector of a pool's observations that waits for one with a
deadline, and connections a test can cut or hang as a network would (`FaultyConnections`).

No test sleeps: a wait is on a condition, with a deadline, and fails naming what it saw.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from console.paths import SAMPLE_CLUSTERS
from console.sources.libvirt_client import LibvirtMissing, Observation, require_libvirt


def _missing() -> str | None:
    try:
        require_libvirt()
    except LibvirtMissing as missing:
        return f"libvirt-python is not installed: {str(missing).split(': ', 1)[-1]}"
    return None


#: Why the libvirt tests skip here, or None when libvirt-python imports.
MISSING = _missing()
#: Marks a test that talks to libvirt's test driver.
needs_libvirt = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")
#: The shipped sample hosts (libvirt's test driver format).
SAMPLE_HOSTS = SAMPLE_CLUSTERS / "libvirt"
#: How long a test waits for an observation before failing.
DEADLINE_S = 5.0


def sample_uri(host: str) -> str:
    """The test-driver URI of shipped sample host `host` ("host-a", "host-b")."""
    return f"test://{SAMPLE_HOSTS / host}.xml"


class Observations:
    """Collects what a pool emits (from its threads) and waits for what a test expects."""

    def __init__(self) -> None:
        self.seen: list[Observation] = []
        self._changed = threading.Condition()

    def __call__(self, observation: Observation) -> None:
        with self._changed:
            self.seen.append(observation)
            self._changed.notify_all()

    def wait_for(self, wanted: Callable[[Observation], bool], *, after: int = 0,
                 deadline_s: float = DEADLINE_S) -> Observation:
        """The first observation (from index `after` on) that is `wanted`; AssertionError,
        listing what came, when none comes within `deadline_s`."""
        end = time.monotonic() + deadline_s
        with self._changed:
            while True:
                for observation in self.seen[after:]:
                    if wanted(observation):
                        return observation
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not observed within {deadline_s} s; came: "
                                         f"{self.seen[after:]}")
                self._changed.wait(left)


class FaultyConnections:
    """A `connect` for LibvirtPool that opens real connections and hands out wrappers a test
    can `cut` (every call, and every new connection to that URI, fails as on a dropped
    network; `notify` also runs libvirt's close callback) or `hang` (every call blocks until
    `release`)."""

    def __init__(self) -> None:
        import libvirt

        self._libvirt = libvirt
        self.opened: dict[str, list[Any]] = {}
        self.cut_uris: set[str] = set()
        self.released = threading.Event()
        self.hanging: set[str] = set()
        self._close_callbacks: dict[str, list[Callable[[], None]]] = {}

    def __call__(self, uri: str) -> Any:
        self._check(uri)
        conn = self._libvirt.open(uri)
        self.opened.setdefault(uri, []).append(conn)
        return _Faulty(conn, uri, self)

    def latest(self, uri: str) -> Any:
        """The real connection most recently opened to `uri`."""
        return self.opened[uri][-1]

    def _check(self, uri: str) -> None:
        if uri in self.hanging:
            self.released.wait()
        if uri in self.cut_uris:
            raise self._libvirt.libvirtError("Cannot recv data: Connection reset by peer")

    def cut(self, uri: str, *, notify: bool = False) -> None:
        """Drop `uri`'s connections; with `notify`, as libvirt would, call its close callbacks
        (reason: closed by the host)."""
        self.cut_uris.add(uri)
        if notify:
            for callback in self._close_callbacks.pop(uri, []):
                callback()

    def restore(self, uri: str) -> None:
        """Let `uri` be connected again."""
        self.cut_uris.discard(uri)

    def hang(self, uri: str) -> None:
        """Make every call on `uri`'s connections block until `release`."""
        self.hanging.add(uri)

    def release(self) -> None:
        """Unblock every hung call (a test's teardown)."""
        self.hanging.clear()
        self.released.set()


class _Faulty:
    """A libvirt connection whose calls fail or block as its FaultyConnections says."""

    _PASS_THROUGH = frozenset({"close", "unregisterCloseCallback"})

    def __init__(self, conn: Any, uri: str, faults: FaultyConnections) -> None:
        self._conn, self._uri, self._faults = conn, uri, faults

    def registerCloseCallback(self, callback: Callable[..., None], opaque: object) -> int:
        """Remember the close callback (for `cut(notify=True)`) and register it for real."""
        self._faults._close_callbacks.setdefault(self._uri, []).append(
            lambda: callback(self._conn, 1, opaque))
        return self._conn.registerCloseCallback(callback, opaque)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._conn, name)
        if not callable(attribute) or name in self._PASS_THROUGH:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._faults._check(self._uri)
            return attribute(*args, **kwargs)

        return call
