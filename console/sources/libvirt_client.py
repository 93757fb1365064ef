"""The libvirt client: connections to real hosts, what they hold, what happens on them, and
actions carried out on them; plain dataclasses out (console.sources.libvirt_facts), nothing of
the model (but the name grammar, console.model.names), the session or the screens in.

`LibvirtPool(uris).open()` connects to every URI (each with a timeout, off the caller's thread)
and discovers its host and domains; `start(emit)` then reports observations through `emit`, from
threads of the pool's own:

* libvirt's default event implementation runs in a daemon thread (registered once per process);
  each connection's lifecycle events (start, suspend, resume, stop, define, undefine, ...) become
  `DomainState` / `DomainDefined` / `DomainUndefined`, the domain's state read back from libvirt;
* one watcher thread per host probes the connection every second (`isAlive` and a round trip,
  with the timeout), hears libvirt's close callback and keepalive, and reads the stats every
  `stats_interval_s` (one `Readings` a pass: the host's `HostStats` and the `DomainStats` of a
  slice of its active domains, rates between two readings; the pool reads at most
  `domain_readings_per_s` domains a second over all its hosts, so a pool of more active
  domains than that reads each once every `stats_period_s`: `stats_passes`); a host that stops
  answering gives `HostReachable(False)`, is reconnected with back-off (1, 2, 4 ... 30 s; one
  attempt at a time, and at once when a blocked attempt answers late), and on reconnection
  gives `HostReachable(True)` and what changed meanwhile; each connection is a `Link`
  (libvirt_link), closed once, after the calls still blocked on it return;
* `act` runs an action in a worker thread, each libvirt call with the timeout; a failure comes
  back as `ActionFailed` with libvirt's message (redacted), a success through the events.

Every URI and libvirt message that leaves the pool is redacted (libvirt_redact). libvirt-python
is imported lazily (`require_libvirt`): without it the console runs, and `--connect` says what
to install (`INSTALL_HINT`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from console.model.names import as_name
from console.sources.libvirt_calls import Caller, CallTimeout, call_with_timeout
from console.sources.libvirt_discovery import discover, domain_facts, host_facts
from console.sources.libvirt_facts import (
    EVENT_DEFINED,
    EVENT_UNDEFINED,
    ActionFailed,
    DomainDefined,
    DomainFacts,
    DomainState,
    DomainStats,
    DomainUndefined,
    HostFacts,
    HostReachable,
    HostStats,
    MigrationDone,
    MigrationProgress,
    Observation,
    Readings,
    domain_state,
    event_state,
)
from console.sources.libvirt_link import Link
from console.sources.libvirt_redact import redact, redact_uri
from console.sources.libvirt_stats import StatsSampler

__all__ = [
    "INSTALL_HINT",
    "ActionFailed",
    "ConnectError",
    "DomainDefined",
    "DomainFacts",
    "DomainState",
    "DomainStats",
    "DomainUndefined",
    "HostFacts",
    "HostReachable",
    "HostStats",
    "LibvirtMissing",
    "LibvirtPool",
    "MigrationDone",
    "MigrationProgress",
    "Observation",
    "Readings",
    "redact",
    "redact_uri",
    "require_libvirt",
]

#: What real hosts (--connect, a [[connections]] file) need, in one line.
INSTALL_HINT = ("real hosts need libvirt-python: pip install 'cluster-console[libvirt]' (from a "
                "checkout: pip install '.[libvirt]'; it builds against the system's libvirt "
                "development package and pkg-config, e.g. apt install libvirt-dev pkg-config)")
#: The verbs `act` carries out.
VERBS = ("vm-power-on", "vm-power-off", "vm-shutdown", "vm-suspend", "vm-resume", "migrate",
         "cancel-migration", "cold-migrate")
#: Domain readings a second, over every host of a pool: a pool of more active domains reads
#: them in slices, each domain once every `stats_passes` passes (issue 12's budget: a host of
#: 2,000 domains costs the console at most a few % of a core).
DOMAIN_READINGS_PER_S = 200
#: Seconds between reachability probes of a connection.
PROBE_INTERVAL_S = 1.0
#: Back-off between reconnection attempts: the first wait, and the longest (seconds).
FIRST_RETRY_S, LONGEST_RETRY_S = 1.0, 30.0
#: Seconds between readings of a live migration's job stats.
MIGRATION_POLL_S = 0.5
#: Keepalive: a message every KEEPALIVE_INTERVAL_S, the connection closed after KEEPALIVE_COUNT
#: unanswered ones.
KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT = 5, 3

# libvirt's constants used here (values of its stable ABI, so that they are known without it).
_VIR_DOMAIN_EVENT_ID_LIFECYCLE = 0
_VIR_DOMAIN_EVENT_STOPPED = 5
_VIR_ERR_NO_DOMAIN = 42
_VIR_MIGRATE_LIVE, _VIR_MIGRATE_PEER2PEER = 1, 2
_VIR_MIGRATE_PERSIST_DEST, _VIR_MIGRATE_UNDEFINE_SOURCE = 8, 16
_XML_INACTIVE = 2
# virConnectCloseReason -> what it means, as a HostReachable reason.
_CLOSE_REASONS = ("connection error", "connection closed by the host", "keepalive timed out",
                  "connection closed by the client")
# libvirt drivers (getType(), lower-case) -> verbs they cannot carry out, with libvirt's own
# words when one tries (virReportUnsupportedError naming the API).
_NOT_SUPPORTED = "this function is not supported by the connection driver: "
_NO_MIGRATION = {"migrate": _NOT_SUPPORTED + "virDomainMigrate",
                 "cancel-migration": _NOT_SUPPORTED + "virDomainAbortJob"}
_UNSUPPORTED = {"test": _NO_MIGRATION, "hyperv": _NO_MIGRATION, "hyper-v": _NO_MIGRATION}


class LibvirtMissing(Exception):
    """libvirt-python is not installed; str(e) == INSTALL_HINT."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


class ConnectError(Exception):
    """A connection could not be opened or discovered: one line naming the (redacted) URI and
    libvirt's reason (redacted), or the timeout."""


def require_libvirt() -> ModuleType:
    """The `libvirt` module; LibvirtMissing when libvirt-python is not installed."""
    try:
        import libvirt
    except ImportError:
        raise LibvirtMissing() from None
    return libvirt


_event_loop_lock = threading.Lock()
_event_loop_started = False


def _quiet(_context: object, _error: object) -> None:
    """libvirt's error handler: errors reach us as exceptions, never on stderr (the screen)."""


def _run_event_loop(libvirt: ModuleType) -> None:
    while True:
        libvirt.virEventRunDefaultImpl()


def ensure_event_loop(libvirt: ModuleType) -> None:
    """Register libvirt's default event implementation and run it in a daemon thread, once per
    process (before any connection is opened, as libvirt asks); silence libvirt's printing of
    errors to stderr."""
    global _event_loop_started
    with _event_loop_lock:
        if _event_loop_started:
            return
        libvirt.registerErrorHandler(_quiet, None)
        libvirt.virEventRegisterDefaultImpl()
        threading.Thread(target=_run_event_loop, args=(libvirt,), name="libvirt events",
                         daemon=True).start()
        _event_loop_started = True


def missing_host_file(uri: str) -> str | None:
    """Why the host file a test-driver URI names (`test:///ABS/PATH.xml`) cannot be read:
    "PATH: no such file" or "PATH: not a file" (a folder, ...), else None (any other URI,
    `test:///default`, and a file that is there)."""
    parts = urlsplit(uri)
    if parts.scheme != "test" or parts.path in ("", "/default"):
        return None
    path = Path(parts.path)
    if path.is_file():
        return None
    return f"{parts.path}: {'not a file' if path.exists() else 'no such file'}"


def stats_passes(active: int, readings_per_s: float, interval_s: float) -> int:
    """In how many stats passes (one every `interval_s` seconds) a pool of `active` active
    domains is read whole, reading at most `readings_per_s` domains a second: 1 up to
    readings_per_s x interval_s domains, then one more pass for each such slice."""
    return max(1, math.ceil(active / max(1.0, readings_per_s * interval_s)))


def _runs(conn: Any, name: str, uuid: str) -> bool:
    """Whether a domain called `name`, or of UUID `uuid`, is active on `conn`."""
    for look in (lambda: conn.lookupByName(name), lambda: conn.lookupByUUIDString(uuid)):
        try:
            if look().isActive():
                return True
        except Exception:  # no such domain there
            continue
    return False


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclasses.dataclass
class _Host:
    """One connection and what the pool knows of it (touched by its watcher thread only, once
    the pool has started)."""

    uri: str
    caller: Caller
    facts: HostFacts | None = None
    link: Link | None = None
    domains: dict[str, DomainFacts] = dataclasses.field(default_factory=dict)
    up: bool = True
    generation: int = 0
    inbox: queue.SimpleQueue[tuple[Any, ...]] = dataclasses.field(
        default_factory=queue.SimpleQueue)
    retry_s: float = FIRST_RETRY_S
    retry_at: float = 0.0
    sampler: StatsSampler | None = None
    attempt: Future[tuple[Link, HostFacts, list[DomainFacts]]] | None = None

    @property
    def name(self) -> str:
        assert self.facts is not None
        return self.facts.name


class LibvirtPool:
    """Connections to `uris` (one host each); see the module's docstring. `timeout_s` bounds
    every libvirt call; stats are read every `stats_interval_s` seconds, at most
    `domain_readings_per_s` domains a second over every host; `connect(uri)` opens a
    connection (libvirt.open by default; a test may wrap the connections it returns to make
    one fail)."""

    def __init__(self, uris: Sequence[str], *, timeout_s: float = 5.0,
                 stats_interval_s: float = 1.0,
                 domain_readings_per_s: float = DOMAIN_READINGS_PER_S,
                 connect: Callable[[str], Any] | None = None) -> None:
        self.uris = list(uris)
        self.timeout_s = timeout_s
        self.stats_interval_s = stats_interval_s
        self.domain_readings_per_s = domain_readings_per_s
        self._connect = connect
        self._hosts: dict[str, _Host] = {}
        self._emit: Callable[[Observation], None] | None = None
        self._stopped = threading.Event()
        self._libvirt: ModuleType | None = None

    # -- opening -------------------------------------------------------------------------

    def _open_connection(self, uri: str) -> Any:
        if self._connect is not None:
            return self._connect(uri)
        assert self._libvirt is not None
        return self._libvirt.open(uri)

    def _reason(self, error: BaseException) -> str:
        """An exception as one redacted line (libvirt's message, or the timeout)."""
        return _one_line(redact(str(error) or type(error).__name__, self.uris))

    def _discover(self, host: _Host, generation: int
                  ) -> tuple[Link, HostFacts, list[DomainFacts]]:
        """Open host's connection, register for its events (first, so that nothing happening
        during discovery is missed: an event queued meanwhile is checked against what was
        found; what it reports is tagged `generation`), and discover its host and domains.
        The connection comes as a Link (closed here when discovery fails)."""
        link = Link(self._open_connection(host.uri))

        def attach_and_discover(conn: Any) -> tuple[HostFacts, list[DomainFacts]]:
            self._attach(host, conn, generation)
            return host_facts(conn, host.uri), discover(conn)

        try:
            facts, domains = link.run(attach_and_discover)
        except BaseException:
            link.retire()
            raise
        return link, facts, domains

    def open(self) -> list[tuple[HostFacts, list[DomainFacts]]]:
        """Connect to every URI at once (each within the timeout) and discover its host and
        domains, in the order of the URIs. Raises ConnectError for the first URI that fails
        (or is given twice), closing the others; LibvirtMissing without libvirt-python."""
        self._libvirt = require_libvirt()
        ensure_event_loop(self._libvirt)
        seen: set[str] = set()
        for uri in self.uris:
            if uri in seen:
                raise ConnectError(f"{redact_uri(uri)}: given twice (one connection per host)")
            seen.add(uri)
            missing = missing_host_file(uri)
            if missing is not None:  # said here: libxml2 would also print to the terminal
                raise ConnectError(f"cannot connect to {redact_uri(uri)}: {missing}")
        hosts = [_Host(uri, Caller(f"libvirt {redact_uri(uri)}", self.timeout_s))
                 for uri in self.uris]
        futures = [host.caller.submit(lambda host=host: self._discover(host, host.generation))
                   for host in hosts]
        failure: ConnectError | None = None
        taken: set[str] = set()
        for host, future in zip(hosts, futures, strict=True):
            label = redact_uri(host.uri)
            try:
                link, facts, domains = host.caller.wait(future, f"connecting to {label}")
            except Exception as error:
                failure = failure or ConnectError(
                    f"cannot connect to {label}: {self._reason(error)}")
                future.add_done_callback(self._close_late)  # a connection after its timeout
                continue
            name = as_name(facts.name, taken)
            taken.add(name)
            host.link, host.facts = link, dataclasses.replace(facts, name=name)
            host.domains = {d.name: d for d in domains}
            host.sampler = StatsSampler(host.facts)
        if failure is not None:
            for host in hosts:
                if host.link is not None:
                    host.link.retire()
                host.caller.close()
            raise failure
        self._hosts = {host.name: host for host in hosts}
        return [(host.facts, list(host.domains.values())) for host in hosts
                if host.facts is not None]

    # -- running -------------------------------------------------------------------------

    def stats_passes(self) -> int:
        """In how many stats passes every active domain of the pool is read now (`stats_passes`
        of the active domains its hosts last listed)."""
        active = sum(host.sampler.active for host in self._hosts.values()
                     if host.sampler is not None)
        return stats_passes(active, self.domain_readings_per_s, self.stats_interval_s)

    @property
    def stats_period_s(self) -> float:
        """Seconds between two readings of a domain now (stats_interval_s, or a multiple of it
        for a pool of more active domains than `domain_readings_per_s` a second)."""
        return self.stats_passes() * self.stats_interval_s

    def start(self, emit: Callable[[Observation], None]) -> None:
        """Begin reporting observations through `emit` (called from the pool's threads), after
        `open`: events, probes, stats, reconnections (see the module's docstring)."""
        self._emit = emit
        for host in self._hosts.values():
            threading.Thread(target=self._watch, args=(host,), name=f"libvirt {host.name}",
                             daemon=True).start()

    def stop(self) -> None:
        """Stop reporting at once and close every connection (in the background; idempotent)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        for host in self._hosts.values():
            host.inbox.put(("stop",))
            if host.link is not None:
                host.link.retire()
            host.caller.close()

    def _send(self, observation: Observation) -> None:
        if self._emit is not None and not self._stopped.is_set():
            self._emit(observation)

    @staticmethod
    def _close_late(future: Future[tuple[Link, HostFacts, list[DomainFacts]]]) -> None:
        """Close the connection of a discovery that finished after its wait timed out (its
        one owner: nobody else holds it; a failed one closed its own)."""
        if not future.cancelled() and future.exception() is None:
            future.result()[0].retire()

    def _attach(self, host: _Host, conn: Any, generation: int) -> None:
        """Keepalive, the close callback and lifecycle events for `conn`, host's connection of
        `generation` (what they report is handled by host's watcher thread)."""

        def on_close(_conn: Any, reason: int, _opaque: object) -> None:
            word = _CLOSE_REASONS[reason] if 0 <= reason < len(_CLOSE_REASONS) else "closed"
            host.inbox.put(("closed", generation, word))

        def on_lifecycle(_conn: Any, domain: Any, event: int, detail: int,
                         _opaque: object) -> None:
            host.inbox.put(("event", generation, domain.name(), event, detail))

        with contextlib.suppress(Exception):  # a local driver (test) has no keepalive
            conn.setKeepAlive(KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT)
        with contextlib.suppress(Exception):  # a driver that never closes on its own
            conn.registerCloseCallback(on_close, None)
        conn.domainEventRegisterAny(None, _VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_lifecycle, None)

    def _watch(self, host: _Host) -> None:
        """A host's watcher thread: events, probes, stats, reconnection."""
        next_probe = next_stats = time.monotonic()
        while not self._stopped.is_set():
            now = time.monotonic()
            due = min(next_probe, next_stats) if host.up else host.retry_at
            try:
                item = host.inbox.get(timeout=max(0.0, due - now))
            except queue.Empty:
                item = None
            if self._stopped.is_set():
                return
            now = time.monotonic()
            if item is not None:
                self._handle(host, item)
            elif not host.up:
                if now >= host.retry_at:
                    self._reconnect(host)
            elif now >= next_probe:
                next_probe = now + PROBE_INTERVAL_S
                self._probe(host)
                if host.up and now >= next_stats:
                    next_stats = now + self.stats_interval_s
                    self._sample(host)

    def _handle(self, host: _Host, item: tuple[Any, ...]) -> None:
        kind = item[0]
        if kind == "answering" and not host.up:
            host.retry_at = time.monotonic()
            return
        if kind in ("stop", "answering") or item[1] != host.generation or not host.up:
            return  # news of a connection that is gone
        if kind == "closed":
            self._lost(host, item[2])
        elif kind == "event":
            try:
                self._on_event(host, *item[2:])
            except Exception as error:  # the connection failed under the read
                self._lost(host, self._reason(error))

    def _probe(self, host: _Host) -> None:
        link = host.link
        assert link is not None

        def probe(conn: Any) -> None:
            if conn.isAlive() != 1:
                raise ConnectionError("the connection is not alive")
            conn.getLibVersion()

        try:
            host.caller.call(lambda: link.run(probe), f"probing {host.name}")
        except Exception as error:
            self._lost(host, self._reason(error))

    def read_stats(self, name: str) -> Readings | None:
        """One stats pass over connected host `name` now (what its watcher does every
        stats_interval_s): its figures and the next slice of its active domains, the pool's
        `stats_passes` slices a rotation; None at the first pass (no rates yet: libvirt_stats).
        Raises what libvirt raised, or CallTimeout."""
        host = self._hosts[name]
        sampler, link = host.sampler, host.link
        assert sampler is not None and link is not None
        passes = self.stats_passes()
        stats = host.caller.call(lambda: link.run(lambda conn: sampler.sample(conn, passes)),
                                 f"reading stats of {host.name}")
        if stats is None:
            return None
        return Readings(host.name, stats[0], tuple(stats[1]), passes * self.stats_interval_s,
                        sampler.active)

    def _sample(self, host: _Host) -> None:
        try:
            readings = self.read_stats(host.name)
        except Exception as error:
            self._lost(host, self._reason(error))
            return
        if readings is not None:
            self._send(readings)

    def _lost(self, host: _Host, reason: str) -> None:
        """host's connection stopped answering: report it, drop it, retry after the back-off."""
        if not host.up:
            return
        host.up = False
        host.generation += 1
        self._send(HostReachable(host.name, False, reason))
        old, host.link = host.link, None
        if old is not None:
            old.retire()  # closed once its calls still running (blocked on the host) return
        host.retry_s = FIRST_RETRY_S
        host.retry_at = time.monotonic() + host.retry_s

    def _reconnect(self, host: _Host) -> None:
        """One reconnection attempt, unless the last one is still blocked (at most one in
        flight per host: a late one's connection is closed when it returns)."""
        if host.attempt is not None and not host.attempt.done():
            self._back_off(host)
            return
        host.generation += 1  # what a late attempt's connection reports is of no interest
        generation = host.generation
        host.attempt = attempt = host.caller.submit(lambda: self._discover(host, generation))
        try:
            link, _facts, domains = host.caller.wait(attempt, f"reconnecting to {host.name}")
        except CallTimeout:
            attempt.add_done_callback(lambda late: self._answered_late(host, late))
            self._back_off(host)
            return
        except Exception:
            self._back_off(host)
            return
        host.attempt = None
        host.link, host.up = link, True
        if self._stopped.is_set():  # stop() may have missed it
            link.retire()
            return
        assert host.sampler is not None
        host.sampler.reset()
        self._send(HostReachable(host.name, True, "reconnected"))
        self._rediscovered(host, {d.name: d for d in domains})

    def _answered_late(self, host: _Host,
                       late: Future[tuple[Link, HostFacts, list[DomainFacts]]]) -> None:
        """A reconnection attempt returned after its timeout: close its connection, and when it
        succeeded (the host answers again) retry at once rather than after the back-off."""
        self._close_late(late)
        if not late.cancelled() and late.exception() is None:
            host.inbox.put(("answering",))

    @staticmethod
    def _back_off(host: _Host) -> None:
        host.retry_s = min(LONGEST_RETRY_S, host.retry_s * 2)
        host.retry_at = time.monotonic() + host.retry_s

    def _rediscovered(self, host: _Host, found: dict[str, DomainFacts]) -> None:
        """Report what changed on host while it was out of reach."""
        for name in sorted(set(host.domains) - set(found)):
            self._send(DomainUndefined(host.name, name))
        for name, facts in sorted(found.items()):
            self._changed(host, host.domains.get(name), facts)
        host.domains = found

    def _changed(self, host: _Host, known: DomainFacts | None, facts: DomainFacts) -> None:
        """Report the difference between what was known of a domain and what is now."""
        same_definition = known is not None and dataclasses.replace(
            known, state=facts.state, reason=facts.reason) == facts
        if not same_definition:
            self._send(DomainDefined(host.name, facts))
        if (known is None and facts.state != "stopped") or (
                known is not None and (known.state, known.reason) != (facts.state, facts.reason)):
            self._send(DomainState(host.name, facts.name, facts.state, facts.reason))

    def _on_event(self, host: _Host, name: str, event: int, detail: int) -> None:
        """A lifecycle event of domain `name`: read the domain back, report what changed."""
        if event == EVENT_UNDEFINED:
            if host.domains.pop(name, None) is not None:
                assert host.sampler is not None
                host.sampler.forget(name)
                self._send(DomainUndefined(host.name, name))
            return
        link = host.link
        assert link is not None
        known = host.domains.get(name)

        def read(conn: Any) -> DomainFacts | None:
            try:
                domain = conn.lookupByName(name)
                if known is None or event == EVENT_DEFINED:
                    return domain_facts(conn, domain)
                state, reason = domain_state(*domain.state())
                return dataclasses.replace(known, state=state, reason=reason)
            except Exception as error:
                if getattr(error, "get_error_code", lambda: None)() == _VIR_ERR_NO_DOMAIN:
                    return None  # gone already (a transient domain that stopped)
                raise

        facts = host.caller.call(lambda: link.run(read), f"reading domain {name} of {host.name}")
        if facts is None:
            change = event_state(event, detail)
            if known is not None and change is not None:
                self._changed(host, known, dataclasses.replace(
                    known, state=change[0], reason=change[1]))
            if known is not None and event == _VIR_DOMAIN_EVENT_STOPPED:
                del host.domains[name]
                self._send(DomainUndefined(host.name, name))
            return
        if event == EVENT_DEFINED and host.sampler is not None:
            host.sampler.forget(name)
        self._changed(host, known, facts)
        host.domains[name] = facts

    # -- acting --------------------------------------------------------------------------

    def supports(self, verb: str, host: str) -> str | None:
        """Why `host`'s driver cannot carry out `verb` (known without trying), or None."""
        record = self._hosts.get(host)
        if record is None or record.facts is None:
            return f"{host} is not a connected host"
        if verb not in VERBS:
            return f"{verb} is not an action on libvirt hosts"
        return _UNSUPPORTED.get(record.facts.driver.lower(), {}).get(verb)

    def act(self, verb: str, vm: str, host: str, target: str | None = None) -> None:
        """Carry out `verb` (one of VERBS) on domain `vm` of `host` (`target`: the host a
        migration goes to), in a worker thread; returns at once. A failure is reported as
        ActionFailed(vm, verb, libvirt's message redacted); a success shows by the events
        (and, for "migrate", MigrationProgress then MigrationDone)."""
        threading.Thread(target=self._act, args=(verb, vm, host, target),
                         name=f"libvirt {verb} {vm}", daemon=True).start()

    def _link(self, host: str) -> Link:
        record = self._hosts.get(host)
        link = None if record is None or not record.up else record.link
        if link is None:
            raise ConnectionError(f"host {host} is not connected")
        return link

    def _call(self, call: Callable[[], Any], what: str) -> Any:
        return call_with_timeout(call, what, self.timeout_s)

    def _act(self, verb: str, vm: str, host: str, target: str | None) -> None:
        try:
            link = self._link(host)
            domain = self._call(lambda: link.run(lambda conn: conn.lookupByName(vm)),
                                f"looking up {vm} on {host}")
            simple = {"vm-power-on": "create", "vm-power-off": "destroy",
                      "vm-shutdown": "shutdown", "vm-suspend": "suspend",
                      "vm-resume": "resume", "cancel-migration": "abortJob"}
            if verb in simple:
                self._call(getattr(domain, simple[verb]), f"{verb} {vm} on {host}")
            elif verb in ("migrate", "cold-migrate"):
                if target is None:
                    raise ValueError(f"{verb} needs a target host")
                mover = self._migrate if verb == "migrate" else self._cold_migrate
                mover(domain, vm, host, target)
            else:
                raise ValueError(f"{verb} is not an action on libvirt hosts")
        except Exception as error:
            self._send(ActionFailed(vm, verb, self._reason(error)))

    def _migrate(self, domain: Any, vm: str, host: str, target: str) -> None:
        """Live migration, peer to peer, to target's connection; job stats as progress."""
        destination = self._link(target)
        flags = (_VIR_MIGRATE_LIVE | _VIR_MIGRATE_PEER2PEER | _VIR_MIGRATE_PERSIST_DEST
                 | _VIR_MIGRATE_UNDEFINE_SOURCE)
        mover = Caller(f"libvirt migrate {vm}", self.timeout_s)
        running = mover.submit(lambda: destination.run(
            lambda conn: domain.migrate(conn, flags, None, None, 0)))
        try:
            while not self._stopped.is_set():
                try:
                    running.result(MIGRATION_POLL_S)
                    break
                except FutureTimeout:
                    self._progress(domain, vm, host)
        finally:
            mover.close()
        if running.done():
            self._send(MigrationDone(vm, target))

    def _progress(self, domain: Any, vm: str, host: str) -> None:
        try:
            stats = self._call(domain.jobStats, f"reading the migration job of {vm} on {host}")
        except Exception:  # no job stats now (the job just ended, or the driver keeps none)
            return
        if "memory_remaining" in stats:
            self._send(MigrationProgress(vm, int(stats.get("memory_iteration", 0)),
                                         stats["memory_remaining"] / 2**20,
                                         float(stats.get("downtime", 0))))

    def _cold_migrate(self, domain: Any, vm: str, host: str, target: str) -> None:
        """The offline move: define on target, stop on the source if running, undefine on the
        source, start on target if it ran."""
        destination = self._link(target)
        xml = self._call(lambda: domain.XMLDesc(_XML_INACTIVE), f"reading {vm} on {host}")
        was_running = bool(self._call(domain.isActive, f"reading {vm} on {host}"))
        uuid = self._call(domain.UUIDString, f"reading {vm} on {host}")
        if self._call(lambda: destination.run(lambda conn: _runs(conn, vm, uuid)),
                      f"looking for {vm} on {target}"):
            raise RuntimeError(f"{vm} (or a domain of its name or UUID) already runs on "
                               f"{target}: nothing was changed")
        moved = self._call(lambda: destination.run(lambda conn: conn.defineXML(xml)),
                           f"defining {vm} on {target}")
        if was_running:
            self._call(domain.destroy, f"stopping {vm} on {host}")
        self._call(domain.undefine, f"undefining {vm} on {host}")
        if was_running:
            self._call(moved.create, f"starting {vm} on {target}")
