"""Utilisation from libvirt as rates between two readings: a host's CPU (its CPU counters, or
its domains' CPU time where the driver keeps no counters), memory (the host's memory stats, or
the memory its active domains hold) and disk; each active domain's vCPU, memory and disk use.

`StatsSampler.sample` makes the libvirt calls of one reading (the pool runs it off the caller's
thread with a timeout) and returns the stats against the previous reading: none on the first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from console.sources.libvirt_discovery import disk_targets
from console.sources.libvirt_facts import DomainStats, HostFacts, HostStats

#: Disk throughput a disk's busy share is measured against (MB/s), as for the --local machine.
DISK_MBPS = 400.0
#: VIR_CONNECT_LIST_DOMAINS_ACTIVE.
_ACTIVE = 1
#: VIR_DOMAIN_PAUSED: a paused domain uses no CPU (the test driver still counts its CPU time).
_PAUSED = 3


@dataclass(frozen=True)
class _DomainReading:
    cpu_ns: int
    vcpus: int
    disk_bytes: int
    memory: float
    held_kib: int
    paused: bool = False


@dataclass(frozen=True)
class _Reading:
    at: float
    host_cpu: tuple[int, int] | None  # (busy, total) ns, where the driver counts them
    host_memory: float | None
    domains: dict[str, _DomainReading]


def _fraction(value: float) -> float:
    return min(1.0, max(0.0, value))


def _guest_memory(stats: dict[str, int]) -> float:
    """The share of its memory a guest uses, from its balloon stats (0.0 where unreported)."""
    if stats.get("available") and "unused" in stats:
        return _fraction(1 - stats["unused"] / stats["available"])
    if stats.get("actual") and "rss" in stats:
        return _fraction(stats["rss"] / stats["actual"])
    return 0.0


class StatsSampler:
    """Readings of one host's connection, and the rates between the last two."""

    def __init__(self, host: HostFacts) -> None:
        self.host = host
        self._previous: _Reading | None = None
        self._targets: dict[str, list[str]] = {}
        self._host_counters = True
        self._host_memory = True

    def forget(self, name: str) -> None:
        """Re-read domain `name`'s disks at the next reading (its definition changed)."""
        self._targets.pop(name, None)

    def reset(self) -> None:
        """Start over (after a reconnection): the next reading gives no rates."""
        self._previous = None
        self._targets.clear()

    def _host_cpu(self, conn: Any) -> tuple[int, int] | None:
        if not self._host_counters:
            return None
        try:
            counters = conn.getCPUStats(-1)
        except Exception:  # the driver keeps no host CPU counters
            self._host_counters = False
            return None
        total = sum(counters.values())
        return total - counters.get("idle", 0) - counters.get("iowait", 0), total

    def _host_memory_used(self, conn: Any) -> float | None:
        if not self._host_memory:
            return None
        try:
            stats = conn.getMemoryStats(-1)
        except Exception:  # the driver keeps no host memory stats
            self._host_memory = False
            return None
        total = stats.get("total", 0)
        if not total:
            return None
        free = stats.get("free", 0) + stats.get("buffers", 0) + stats.get("cached", 0)
        return _fraction(1 - free / total)

    def _domain(self, domain: Any) -> _DomainReading:
        name = domain.name()
        if name not in self._targets:
            self._targets[name] = disk_targets(domain.XMLDesc(0))
        state, _max_kib, held_kib, vcpus, cpu_ns = domain.info()
        disk_bytes = 0
        for target in self._targets[name]:
            try:
                _rd_req, rd_bytes, _wr_req, wr_bytes, _errs = domain.blockStats(target)
            except Exception:  # a disk without stats (an empty drive)
                continue
            disk_bytes += rd_bytes + wr_bytes
        try:
            memory = _guest_memory(domain.memoryStats())
        except Exception:  # no balloon driver in the guest
            memory = 0.0
        return _DomainReading(int(cpu_ns), max(1, int(vcpus)), disk_bytes, memory, int(held_kib),
                              state == _PAUSED)

    def sample(self, conn: Any) -> tuple[HostStats, list[DomainStats]] | None:
        """Read `conn` now; the host's and its active domains' stats since the previous
        reading, or None for the first reading."""
        reading = _Reading(
            at=time.monotonic(),
            host_cpu=self._host_cpu(conn),
            host_memory=self._host_memory_used(conn),
            domains={d.name(): self._domain(d) for d in conn.listAllDomains(_ACTIVE)},
        )
        previous, self._previous = self._previous, reading
        if previous is None or reading.at <= previous.at:
            return None
        seconds = reading.at - previous.at
        bandwidth = DISK_MBPS * 1e6 * seconds
        domains: list[DomainStats] = []
        cpu_ns_used = disk_bytes = 0
        for name, now in sorted(reading.domains.items()):
            before = previous.domains.get(name)
            if before is None:
                continue
            cpu_ns = 0 if now.paused else max(0, now.cpu_ns - before.cpu_ns)
            moved = max(0, now.disk_bytes - before.disk_bytes)
            cpu_ns_used += cpu_ns
            disk_bytes += moved
            domains.append(DomainStats(self.host.name, name,
                                       _fraction(cpu_ns / (seconds * 1e9 * now.vcpus)),
                                       now.memory, _fraction(moved / bandwidth)))
        cores = self.host.sockets * self.host.cores_per_socket
        cpu = _fraction(cpu_ns_used / (seconds * 1e9 * cores))
        if reading.host_cpu and previous.host_cpu:
            total = reading.host_cpu[1] - previous.host_cpu[1]
            if total > 0:
                cpu = _fraction((reading.host_cpu[0] - previous.host_cpu[0]) / total)
        memory = reading.host_memory
        if memory is None:
            held = sum(d.held_kib for d in reading.domains.values())
            memory = _fraction(held / (self.host.memory_mb * 1024)) if self.host.memory_mb else 0.0
        host = HostStats(self.host.name, cpu, memory, _fraction(disk_bytes / bandwidth))
        return host, domains
