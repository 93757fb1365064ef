"""Utilisation from libvirt as rates between two readings: a host's CPU (its CPU counters, or
the sum of its domains' latest CPU rates where the driver keeps no counters), memory (the
host's memory stats, or the memory its active domains hold) and disk; each active domain's
vCPU, memory and disk use.

A host of thousands of domains is not read whole every second: `StatsSampler.sample(conn,
passes)` reads the host's own figures at every pass but its active domains in a rotation of
`passes` slices, so each domain is read once every `passes` passes and its figures are rates
over that span (the pool chooses `passes` from its budget of domain readings a second,
libvirt_client.stats_passes), so that no pass holds more than a slice's calls. A slice is read
with libvirt's bulk call (`domainListGetStats`: one call for the slice, where the driver reports
CPU, balloon, vCPU and block figures in it: QEMU does); what it does not report (libvirt's test
driver gives states only) is read domain by domain. The very first pass (and the first after
`reset`) reads every domain in that one bulk call, so that all have figures one rotation later;
a domain only read one by one has its first figures at its slice of the second rotation. The
pool runs `sample` off the caller's thread with a timeout.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
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
#: virDomainState values of a domain that no longer runs (shut off, crashed): not read.
_GONE = (5, 6)
#: VIR_DOMAIN_STATS_STATE | _CPU_TOTAL | _BALLOON | _VCPU | _BLOCK: the bulk call's groups.
_BULK_STATS = 1 | 2 | 4 | 8 | 32


@dataclass(frozen=True)
class _DomainReading:
    at: float
    cpu_ns: int
    vcpus: int
    disk_bytes: int
    memory: float
    held_kib: int
    paused: bool = False


@dataclass(frozen=True)
class _Known:
    """A domain's last reading and the rates it gave (0 until a second reading)."""

    reading: _DomainReading
    cpu_ns_per_s: float
    disk_bytes_per_s: float
    rated: bool = True  # False after a first reading only: no rates yet


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
    """Readings of one host's connection in rotating slices, and the rates they give (see the
    module's docstring). `clock` gives the seconds readings are timed by (time.monotonic)."""

    def __init__(self, host: HostFacts, clock: Callable[[], float] = time.monotonic) -> None:
        self.host = host
        self._clock = clock
        self._targets: dict[str, list[str]] = {}
        self._host_counters = True
        self._host_memory = True
        self._bulk = True
        self.reset()

    @property
    def active(self) -> int:
        """How many active domains the current rotation reads (as last listed)."""
        return len(self._rotation)

    def forget(self, name: str) -> None:
        """Re-read domain `name`'s disks at the next reading (its definition changed)."""
        self._targets.pop(name, None)

    def reset(self) -> None:
        """Start over (after a reconnection): the next pass is a first pass again (no rates,
        every domain the bulk call reports read, a new rotation after it)."""
        self._at: float | None = None
        self._host_cpu: tuple[int, int] | None = None
        self._rotation: list[tuple[str, Any]] = []  # (name, domain), by name
        self._cursor = 0
        self._slice = 0
        self._known: dict[str, _Known] = {}
        self._complete = False  # every domain listed has had rates once: the sums are whole
        self._targets.clear()

    # -- the host --------------------------------------------------------------------------

    def _host_cpu_now(self, conn: Any) -> tuple[int, int] | None:
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

    # -- domains ---------------------------------------------------------------------------

    def _disks(self, domain: Any, name: str) -> list[str]:
        if name not in self._targets:
            self._targets[name] = disk_targets(domain.XMLDesc(0))
        return self._targets[name]

    def _one_by_one(self, name: str, domain: Any) -> _DomainReading | None:
        """A domain read with a call per figure (None when it no longer runs or is gone)."""
        try:
            state, _max_kib, held_kib, vcpus, cpu_ns = domain.info()
            at = self._clock()
            if state in _GONE:
                return None
            targets = self._disks(domain, name)
        except Exception:  # undefined since the rotation was listed
            return None
        disk_bytes = 0
        for target in targets:
            try:
                _rd_req, rd_bytes, _wr_req, wr_bytes, _errs = domain.blockStats(target)
            except Exception:  # a disk without stats (an empty drive)
                continue
            disk_bytes += rd_bytes + wr_bytes
        try:
            memory = _guest_memory(domain.memoryStats())
        except Exception:  # no balloon driver in the guest
            memory = 0.0
        return _DomainReading(at, int(cpu_ns), max(1, int(vcpus)), disk_bytes, memory,
                              int(held_kib), state == _PAUSED)

    @staticmethod
    def _from_bulk(record: dict[str, Any], at: float) -> _DomainReading | None:
        """A domain's reading from its record of the bulk call (None when it no longer runs):
        every block device it reports counts (a CD-ROM's reads too: no definition is read for
        it); KeyError when the record lacks its CPU time (the driver does not report it)."""
        if record.get("state.state") in _GONE:
            return None
        cpu_ns = record["cpu.time"]
        disk_bytes = sum(int(record.get(f"block.{index}.rd.bytes", 0))
                         + int(record.get(f"block.{index}.wr.bytes", 0))
                         for index in range(int(record.get("block.count", 0))))
        balloon = {key: int(record[f"balloon.{field}"]) for key, field in (
            ("available", "available"), ("unused", "unused"), ("actual", "current"),
            ("rss", "rss")) if f"balloon.{field}" in record}
        return _DomainReading(at, int(cpu_ns), max(1, int(record.get("vcpu.current", 1))),
                              disk_bytes, _guest_memory(balloon),
                              int(record.get("balloon.current", 0)),
                              record.get("state.state") == _PAUSED)

    def _read(self, conn: Any, domains: list[tuple[str, Any]], *, one_by_one: bool = True
              ) -> dict[str, _DomainReading]:
        """The readings of `domains` ((name, domain) pairs) now, by name: one bulk call where
        the driver has it, then (with `one_by_one`) a call per figure for the domains it did
        not report (a driver that reports no domain's CPU in bulk is not asked in bulk again)."""
        reported: dict[str, _DomainReading | None] = {}  # None: no longer runs
        if self._bulk and domains:
            try:
                records = conn.domainListGetStats([domain for _name, domain in domains],
                                                  _BULK_STATS, 0)
            except Exception:  # the driver has no bulk stats
                records = []
                self._bulk = False
            at = self._clock()
            for domain, record in records:
                try:
                    reported[domain.name()] = self._from_bulk(record, at)
                except KeyError:  # not reported in bulk: read it one call at a time
                    continue
            if records and not reported:
                self._bulk = False
        found = {name: reading for name, reading in reported.items() if reading is not None}
        rest = [(name, domain) for name, domain in domains if name not in reported]
        for name, domain in rest if one_by_one else ():
            reading = self._one_by_one(name, domain)
            if reading is not None:
                found[name] = reading
        return found

    def _next_slice(self, conn: Any, passes: int) -> list[tuple[str, Any]]:
        """The domains this pass reads, as (name, domain): the next slice of the rotation, a
        new rotation (the active domains listed now, by name) once the last one is done."""
        if self._cursor >= len(self._rotation):
            self._rotation = sorted(((domain.name(), domain)
                                     for domain in conn.listAllDomains(_ACTIVE)),
                                    key=lambda pair: pair[0])
            self._cursor = 0
            self._slice = max(1, math.ceil(len(self._rotation) / max(1, passes)))
            listed = {name for name, _domain in self._rotation}
            for name in [name for name in self._known if name not in listed]:
                del self._known[name]
        taken = self._rotation[self._cursor:self._cursor + self._slice]
        self._cursor += self._slice
        return taken

    # -- a pass ----------------------------------------------------------------------------

    def sample(self, conn: Any, passes: int = 1
               ) -> tuple[HostStats | None, list[DomainStats]] | None:
        """One pass over `conn` now, reading its host and the next slice of its active
        domains, the whole host read in `passes` passes; the host's stats since the previous
        pass (None until every domain has been read twice: its disk, and its CPU and memory
        where the driver keeps no counters, are its domains' sums) and those of the slice's
        domains since each was last read; None at the first pass (which reads every domain
        the bulk call reports, in that one call)."""
        first = self._at is None
        host_cpu = self._host_cpu_now(conn)
        host_memory = self._host_memory_used(conn)
        taken = self._next_slice(conn, 1 if first else passes)
        readings = self._read(conn, taken, one_by_one=not first)
        for name, _domain in taken if not first else ():  # stopped or undefined since listed
            if name not in readings:
                self._known.pop(name, None)
        now = self._clock()
        previous_at, previous_cpu = self._at, self._host_cpu
        self._at, self._host_cpu = now, host_cpu
        domains: list[DomainStats] = []
        for name, reading in sorted(readings.items()):
            known = self._known.get(name)
            before = None if known is None else known.reading
            if before is None or reading.at <= before.at:
                self._known[name] = _Known(reading, 0.0, 0.0, rated=False)
                continue
            seconds = reading.at - before.at
            cpu_ns = 0.0 if reading.paused else max(0, reading.cpu_ns - before.cpu_ns) / seconds
            disk = max(0, reading.disk_bytes - before.disk_bytes) / seconds
            self._known[name] = _Known(reading, cpu_ns, disk)
            domains.append(DomainStats(self.host.name, name,
                                       _fraction(cpu_ns / (1e9 * reading.vcpus)),
                                       reading.memory, _fraction(disk / (DISK_MBPS * 1e6))))
        if previous_at is None or now <= previous_at:
            return None
        self._complete = self._complete or all(
            (known := self._known.get(name)) is not None and known.rated
            for name, _domain in self._rotation)
        return self._host_stats(host_cpu, previous_cpu, host_memory), domains

    def _host_stats(self, host_cpu: tuple[int, int] | None,
                    previous_cpu: tuple[int, int] | None,
                    host_memory: float | None) -> HostStats | None:
        """The host's figures: its counters where the driver keeps them, else the sums of its
        domains' latest rates and memory, once every domain has rates (None before)."""
        if not self._complete:
            return None
        known = self._known.values()
        cores = self.host.sockets * self.host.cores_per_socket
        cpu = _fraction(sum(k.cpu_ns_per_s for k in known) / (1e9 * cores))
        if host_cpu and previous_cpu:
            total = host_cpu[1] - previous_cpu[1]
            if total > 0:
                cpu = _fraction((host_cpu[0] - previous_cpu[0]) / total)
        memory = host_memory
        if memory is None:
            held_kib = sum(k.reading.held_kib for k in known)
            memory = _fraction(held_kib / (self.host.memory_mb * 1024)) if self.host.memory_mb \
                else 0.0
        disk = sum(k.disk_bytes_per_s for k in known) / (DISK_MBPS * 1e6)
        return HostStats(self.host.name, cpu, memory, _fraction(disk))
