"""What the libvirt tests share: the skip marker (`needs_libvirt`, with the visible reason), the
shipped sample hosts' URIs, big hosts generated as the benchmarks make them (`generated_host`),
a collector of a pool's observations that waits for one with a
deadline, and connections a test can cut or hang as a network would (`FaultyConnections`).

No test sleeps: a wait is on a condition, with a deadline, and fails naming what it saw.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable
from pathlib import Path
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


def generated_host(folder: Path, name: str, domains: int) -> str:
    """The test-driver URI of a host called `name` with `domains` domains `vm-0001`...,
    written into `folder` by the benchmarks' generator (bench/libvirt_hosts.py: every 20th
    shut off, every 50th of the rest paused)."""
    path = Path(__file__).resolve().parent.parent / "bench" / "libvirt_hosts.py"
    spec = importlib.util.spec_from_file_location("libvirt_hosts", path)
    assert spec is not None and spec.loader is not None
    hosts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hosts)
    host = folder / f"{name}.xml"
    host.write_text(hosts.host_xml(domains))
    return f"test://{host}"


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
    network; `notify` also runs libvirt's close callback) or `hang` (every call, and every new
    connection, blocks until `release`, then returns: a host frozen, then thawed). It keeps
    `violations`: what libvirt would crash on (a call or a second close on a connection being
    closed, a close while a call runs on it), and counts the opens in flight per URI."""

    def __init__(self) -> None:
        import libvirt

        self._libvirt = libvirt
        self.opened: dict[str, list[Any]] = {}
        self.cut_uris: set[str] = set()
        self.released = threading.Event()
        self.hanging: set[str] = set()
        self._close_callbacks: dict[str, list[Callable[[], None]]] = {}
        self.lock = threading.Lock()
        self.violations: list[str] = []
        self.wrappers: list[_Faulty] = []
        self._opening: dict[str, int] = {}
        self.most_opening: dict[str, int] = {}

    def __call__(self, uri: str) -> Any:
        with self.lock:
            self._opening[uri] = self._opening.get(uri, 0) + 1
            self.most_opening[uri] = max(self.most_opening.get(uri, 0), self._opening[uri])
        try:
            self._check(uri)
            conn = self._libvirt.open(uri)
        finally:
            with self.lock:
                self._opening[uri] -= 1
        self.opened.setdefault(uri, []).append(conn)
        wrapper = _Faulty(conn, uri, self)
        with self.lock:
            self.wrappers.append(wrapper)
        return wrapper

    def violate(self, what: str) -> None:
        """Record something libvirt would crash on."""
        with self.lock:
            self.violations.append(what)

    def notify_close(self, uri: str) -> None:
        """Run `uri`'s close callbacks as libvirt's keepalive would (reason: closed by the
        host), without cutting anything."""
        for callback in self._close_callbacks.pop(uri, []):
            callback()

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

    def __init__(self, conn: Any, uri: str, faults: FaultyConnections) -> None:
        self._conn, self._uri, self._faults = conn, uri, faults
        self.running = 0
        self.closing = False
        self.closes = 0

    def _enter(self, name: str) -> None:
        with self._faults.lock:
            if self.closing:
                self._faults.violations.append(f"{name} on a connection being closed")
            self.running += 1

    def _leave(self) -> None:
        with self._faults.lock:
            self.running -= 1

    def unregisterCloseCallback(self) -> None:
        """Unregister for real, the first step of closing: nothing may run on it then."""
        with self._faults.lock:
            if self.closing:
                self._faults.violations.append("a second close of one connection")
            if self.running:
                self._faults.violations.append("a close while a call runs")
            self.closing = True
        self._faults._check(self._uri)
        self._conn.unregisterCloseCallback()

    def close(self) -> int:
        """Close for real (counted)."""
        with self._faults.lock:
            self.closes += 1
            if not self.closing or self.running:
                self._faults.violations.append("a close without unregistering, or while a "
                                               "call runs")
        return int(self._conn.close())

    def registerCloseCallback(self, callback: Callable[..., None], opaque: object) -> int:
        """Remember the close callback (for `cut(notify=True)`) and register it for real."""
        self._faults._close_callbacks.setdefault(self._uri, []).append(
            lambda: callback(self._conn, 1, opaque))
        return self._conn.registerCloseCallback(callback, opaque)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._conn, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._enter(name)
            try:
                self._faults._check(self._uri)
                return attribute(*args, **kwargs)
            finally:
                self._leave()

        return call
