"""The real machine as a node (`--local`): its cores, memory, disks and NICs from psutil, and
live readings of its utilisation fed into the session as `reading` commands.

psutil is imported here only, and lazily: the model never imports it, and neither does the
console unless `--local` asks for it. Readings are taken in a thread of the source's own, about
once a second, and handed to the session's thread to be submitted (`Post`), so polling never
holds up the screen and the session is only ever touched from one thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from console.model import views
from console.model.cluster import Cluster
from console.model.commands import Command, LocalReading
from console.model.entities import Node
from console.model.names import as_name
from console.session import OBSERVATION, Session
from console.sources.base import Post, Source

#: Disk throughput assumed for utilisation when psutil cannot tell (MB/s).
DEFAULT_DISK_MBPS = 400.0


def local_name(taken: set[str] | frozenset[str] = frozenset()) -> str:
    """The hostname's first label, made a valid node name (console.model.names.as_name) and
    unique among `taken`."""
    return as_name(socket.gethostname().split(".")[0], taken, fallback="local")


def build_node(taken: set[str] | frozenset[str] = frozenset()) -> Node:
    """A kvm Node with this machine's real cores, memory, disks and NICs."""
    import psutil

    cores = psutil.cpu_count(logical=True) or 1
    sockets = 1
    freq = psutil.cpu_freq() if hasattr(psutil, "cpu_freq") else None
    memory_gb = round(psutil.virtual_memory().total / 2**30, 1) or 1.0
    disks: list[float] = []
    seen: set[str] = set()
    for part in psutil.disk_partitions(all=False):
        if part.device in seen:
            continue
        seen.add(part.device)
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except (PermissionError, OSError):
            continue
        if usage.total > 2**30:
            disks.append(round(usage.total / 2**30, 1))
    nics: list[float] = []
    for name, stats in sorted(psutil.net_if_stats().items()):
        if name == "lo" or not stats.isup:
            continue
        nics.append(stats.speed / 1000 if stats.speed else 1.0)
    return Node(
        name=local_name(taken),
        hypervisor="kvm",
        cpus=sockets,
        cores_per_cpu=cores,
        mhz=int(freq.max or freq.current) if freq and (freq.max or freq.current) else 2400,
        memory_gb=memory_gb,
        disks_gb=tuple(disks) or (100.0,),
        nics_gbps=tuple(nics) or (1.0,),
        disk_mbps=DEFAULT_DISK_MBPS,
        local=True,
    )


@dataclass(slots=True)
class Sample:
    """One reading of the machine: utilisation fractions and the busiest processes as
    `(name, CPU %, memory %)`."""

    cpu: float      # 0-1, all cores
    memory: float   # 0-1
    disk: float     # 0-1: share of the last interval the disks were busy
    processes: list[tuple[str, float, float]] = field(default_factory=list)


class LocalSampler:
    """psutil readings; call `sample()` about once a second from a worker thread."""

    def __init__(self) -> None:
        import psutil

        self.psutil = psutil
        psutil.cpu_percent(interval=None)  # the first call only sets the baseline
        self._busy = self._busy_ms()
        self._at = time.monotonic()
        self._procs: dict[int, object] = {}

    def _busy_ms(self) -> float | None:
        try:
            counters = self.psutil.disk_io_counters()
        except (RuntimeError, OSError):
            return None
        return getattr(counters, "busy_time", None) if counters else None

    def sample(self, processes: bool = False, top: int = 5) -> Sample:
        """One reading now: CPU and memory utilisation and the disks' busy share since the last
        call, each a fraction clamped to 0-1, plus the `top` busiest processes when `processes`."""
        ps = self.psutil
        cpu = ps.cpu_percent(interval=None) / 100.0
        memory = ps.virtual_memory().percent / 100.0
        now = time.monotonic()
        busy = self._busy_ms()
        disk = 0.0
        if busy is not None and self._busy is not None and now > self._at:
            disk = (busy - self._busy) / 1000.0 / (now - self._at)
        self._busy, self._at = busy, now
        found: list[tuple[str, float, float]] = []
        if processes:
            found = self._top(top)
        return Sample(min(max(cpu, 0.0), 1.0), min(max(memory, 0.0), 1.0),
                      min(max(disk, 0.0), 1.0), found)

    def _top(self, count: int) -> list[tuple[str, float, float]]:
        ps = self.psutil
        rows = []
        alive = set()
        for proc in ps.process_iter(["name", "memory_percent"]):
            alive.add(proc.pid)
            cached = self._procs.setdefault(proc.pid, proc)
            try:
                cpu = cached.cpu_percent(interval=None)  # type: ignore[attr-defined]
            except (ps.NoSuchProcess, ps.AccessDenied):
                continue
            rows.append((proc.info.get("name") or str(proc.pid), cpu,
                         proc.info.get("memory_percent") or 0.0))
        for pid in set(self._procs) - alive:
            del self._procs[pid]
        rows.sort(key=lambda r: (-r[1], r[0]))
        return rows[:count]


#: Real seconds between two readings.
READING_INTERVAL_S = 1.0


class LocalSource:
    """`base`'s cluster with this machine joined as a node, and its readings once started.

    Each reading is submitted as `reading NODE CPU MEM DISK` (fractions rounded to 3 places) with
    source OBSERVATION: read-only mode lets it in (it changes nothing but the figures). When the
    model refuses one (the node left the cluster), readings stop (the session's listeners hear
    the refusal). `processes` holds the busiest processes of the last reading (not part of the
    model). `sampler` makes the psutil sampler (tests pass a stand-in)."""

    def __init__(self, base: Source, *, processes: bool = True,
                 sampler: Callable[[], LocalSampler] = LocalSampler) -> None:
        self.base = base
        self.with_processes = processes
        self.sampler = sampler
        self.node: str | None = None
        self.processes: list[tuple[str, float, float]] = []
        self._session: Session | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def build(self) -> Cluster:
        """The base cluster plus a node for this machine (named after the host, made unique);
        raises what the base raises."""
        cluster = self.base.build()
        cluster.add_node(build_node(set(cluster.nodes) | set(cluster.vms)))
        return cluster

    def supports(self, command: Command) -> bool:
        """What the base supports: readings are commands of the model as well."""
        return self.base.supports(command)

    def attach(self, session: Session) -> None:
        """Submit readings to `session` from now on (`submit`), without polling: `start` does
        this first; a caller that takes readings itself calls it alone."""
        self._session = session
        self.node = views.local_node_name(session.engine)
        self._stopping.clear()

    def start(self, session: Session, post: Post) -> None:
        """Attach to `session` and poll psutil in a daemon thread, posting each reading; no
        thread when the session's cluster has no local node, or one already runs."""
        self.attach(session)
        if self.node is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._poll, args=(post,), daemon=True,
                                        name="local-readings")
        self._thread.start()

    def stop(self) -> None:
        """Ask the polling thread to end (it stops before its next reading)."""
        self._stopping.set()
        self._thread = None

    def _poll(self, post: Post) -> None:
        sampler = self.sampler()
        stopping = self._stopping
        while not stopping.is_set():
            started = time.monotonic()
            sample = sampler.sample(processes=self.with_processes)
            if stopping.is_set():
                break
            try:
                post(lambda sample=sample: self.submit(sample))
            except RuntimeError:  # the session's thread has gone (the console quit)
                break
            stopping.wait(max(0.05, READING_INTERVAL_S - (time.monotonic() - started)))

    def submit(self, sample: Sample) -> None:
        """Submit one reading to the session (on the session's thread)."""
        session = self._session
        if session is None or self.node is None or self._stopping.is_set():
            return
        self.processes = sample.processes
        command = LocalReading(self.node, round(sample.cpu, 3), round(sample.memory, 3),
                               round(sample.disk, 3))
        outcome = session.submit(command, source=OBSERVATION)
        if not outcome.accepted:
            self.stop()
            self.node = None
