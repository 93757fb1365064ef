"""The real machine as a node (`--local`): its cores, memory, disks and NICs from psutil, and
live readings of its utilisation.

psutil is imported here only, and lazily: the model never imports it, and neither does the
console unless `--local` asks for it.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

from console.model.entities import Node

#: Disk throughput assumed for utilisation when psutil cannot tell (MB/s).
DEFAULT_DISK_MBPS = 400.0


def local_name(taken: set[str] | frozenset[str] = frozenset()) -> str:
    """The hostname, made a valid node name and unique among `taken`."""
    raw = socket.gethostname().split(".")[0] or "local"
    name = "".join(c if c.isalnum() or c in "_.-" else "-" for c in raw)
    if not name[0].isalnum():
        name = "local-" + name
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name}-{n}"
        n += 1
    return candidate


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
