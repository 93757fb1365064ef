"""The libvirt client (console.sources.libvirt_client) on the two shipped test-driver hosts.

    python bench/libvirt_bench.py [--runs N] [--events N] [--idle SECONDS]
    python bench/libvirt_bench.py --domains 2000 [--idle SECONDS]

**Open.** `LibvirtPool([host-a, host-b]).open()`: both connections opened (each in a thread of
its own, with the timeout) and discovered (host facts, every domain with its disks' volumes);
wall seconds of the first open in the process (it also registers libvirt's event loop) and the
median of N more (default 20), each on a fresh pool.

**Event latency.** With the pool started, `act("vm-suspend", "web-01", "host-a")` and the wait
for the `DomainState(..., "paused", ...)` it brings (libvirt's lifecycle event, read back on the
host's watcher thread and emitted): wall milliseconds from the call to the observation, median,
p90 and max of N (default 20; the VM is resumed, and that observed, between two suspends). The
test driver answers in-process: this is the client's own latency, no network's.

**Steady CPU.** The pool started on both hosts and left alone for SECONDS (default 10): its
probes every second and its stats every second, as the console runs it. CPU of the process
(`time.process_time`) per wall second, in percent of one core.

**A big host** (`--domains N`, instead of the above): a generated test-driver host of N domains
(libvirt_hosts.host_xml). Its open split into libvirt's own `open` of the host file (the test
driver parsing its XML: no real host's cost) and the discovery (the client's calls), CPU
seconds, and the libvirt calls discovery makes (each a round trip to a remote host; name and
UUID are answered locally); then the pool started on it alone, past its first readings of
every domain, for SECONDS: CPU % of one core, and the domain readings (DomainStats) it emits
a second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import machine
from libvirt_hosts import host_xml

from console.paths import SAMPLE_CLUSTERS
from console.sources.libvirt_client import DomainState, LibvirtPool, Observation

HOSTS = [f"test://{SAMPLE_CLUSTERS / 'libvirt' / name}.xml" for name in ("host-a", "host-b")]


def time_open(runs: int) -> tuple[float, list[float]]:
    """Seconds of the first open, then of `runs` more."""
    times = []
    for _ in range(runs + 1):
        pool = LibvirtPool(HOSTS)
        started = time.perf_counter()
        pool.open()
        times.append(time.perf_counter() - started)
        pool.stop()
    return times[0], times[1:]


def time_events(count: int) -> list[float]:
    """Milliseconds from each suspend call to its DomainState."""
    wanted: dict[str, threading.Event] = {"paused": threading.Event(),
                                          "running": threading.Event()}

    def emit(observation: Observation) -> None:
        if isinstance(observation, DomainState) and observation.name == "web-01":
            wanted[observation.state].set()

    pool = LibvirtPool(HOSTS, stats_interval_s=3600)
    pool.open()
    pool.start(emit)
    latencies = []
    try:
        for _ in range(count):
            wanted["paused"].clear()
            started = time.perf_counter()
            pool.act("vm-suspend", "web-01", "host-a")
            if not wanted["paused"].wait(5):
                raise SystemExit("no DomainState for the suspend within 5 s")
            latencies.append((time.perf_counter() - started) * 1000)
            wanted["running"].clear()
            pool.act("vm-resume", "web-01", "host-a")
            if not wanted["running"].wait(5):
                raise SystemExit("no DomainState for the resume within 5 s")
    finally:
        pool.stop()
    return latencies


def steady_cpu(seconds: float) -> float:
    """Percent of one core the started pool uses, idle, over `seconds`."""
    pool = LibvirtPool(HOSTS)
    pool.open()
    pool.start(lambda _observation: None)
    try:
        threading.Event().wait(1.5)  # past the first readings
        cpu, wall = time.process_time(), time.perf_counter()
        threading.Event().wait(seconds)
        return (time.process_time() - cpu) / (time.perf_counter() - wall) * 100
    finally:
        pool.stop()


#: libvirt-python methods answered from the object itself, no round trip to the host.
LOCAL_CALLS = frozenset({"name", "UUIDString", "UUID", "ID"})


class Counted:
    """A libvirt object whose method calls are counted in `calls` (shared), and whose
    libvirt objects returned (alone, in lists or in tuples) are counted too."""

    def __init__(self, target: object, calls: dict[str, int]) -> None:
        self._target, self._calls = target, calls

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: object) -> object:
            if name not in LOCAL_CALLS:
                self._calls[name] = self._calls.get(name, 0) + 1
            plain = [arg._target if isinstance(arg, Counted) else arg for arg in args]
            plain = [[a._target if isinstance(a, Counted) else a for a in arg]
                     if isinstance(arg, list) else arg for arg in plain]
            return self._wrap(attribute(*plain))

        return call

    def _wrap(self, value: object) -> object:
        if isinstance(value, list):
            return [self._wrap(item) for item in value]
        if isinstance(value, tuple):
            return tuple(self._wrap(item) for item in value)
        if type(value).__module__ == "libvirt":
            return Counted(value, self._calls)
        return value


def domain_readings(observation: Observation) -> int:
    """How many domain readings `observation` carries."""
    return len(getattr(observation, "domains", ())) or int(type(observation).__name__ ==
                                                          "DomainStats")


def big_host(domains: int, seconds: float) -> None:
    """Print the open, discovery and steady figures of a generated host of `domains`."""
    import tempfile

    import libvirt

    from console.sources.libvirt_discovery import discover

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xml"
        path.write_text(host_xml(domains))
        uri = f"test://{path}"
        cpu = time.process_time()
        conn = libvirt.open(uri)
        opened = time.process_time() - cpu
        cpu = time.process_time()
        found = discover(conn)
        discovered = time.process_time() - cpu
        calls: dict[str, int] = {}
        discover(Counted(conn, calls))
        conn.close()
        print(f"host of {len(found):,} domains: libvirt's open of the file {opened:.2f} s CPU, "
              f"discovery {discovered:.2f} s CPU, {sum(calls.values()):,} libvirt calls "
              f"(round trips to a remote host: "
              f"{', '.join(f'{n} {c:,}' for n, c in sorted(calls.items()))})")
        readings = [0]
        pool = LibvirtPool([uri])
        pool.open()
        pool.start(lambda observation: readings.__setitem__(
            0, readings[0] + domain_readings(observation)))
        try:
            threading.Event().wait(1.5)  # past the first pass
            period = getattr(pool, "stats_period_s", 1.0)  # each domain read once a period
            threading.Event().wait(2 * period)  # past the first readings of every domain
            cpu, wall, before = time.process_time(), time.perf_counter(), readings[0]
            threading.Event().wait(seconds)
            took = time.perf_counter() - wall
            print(f"steady, pool started on it alone (after {1.5 + 2 * period:g} s): "
                  f"{(time.process_time() - cpu) / took * 100:.2f} % of a core, "
                  f"{(readings[0] - before) / took:.0f} domain readings a second over "
                  f"{seconds:g} s (each domain read every {period:g} s)")
        finally:
            pool.stop()


def main() -> None:
    """Print the machine, then the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--domains", type=int, default=0,
                        help="a generated host of this many domains instead (0: the samples)")
    args = parser.parse_args()
    print(machine())
    if args.domains:
        big_host(args.domains, args.idle)
        return
    first, rest = time_open(args.runs)
    print(f"open + discover host-a and host-b: first {first * 1000:.1f} ms, "
          f"median of {len(rest)} {statistics.median(rest) * 1000:.1f} ms")
    latencies = sorted(time_events(args.events))
    p90 = latencies[max(0, int(len(latencies) * 0.9) - 1)]
    print(f"suspend call -> DomainState observed: median {statistics.median(latencies):.2f} ms, "
          f"p90 {p90:.2f} ms, max {latencies[-1]:.2f} ms ({len(latencies)} suspends)")
    print(f"steady CPU, pool started on both hosts: {steady_cpu(args.idle):.2f} % of a core "
          f"over {args.idle:g} s")


if __name__ == "__main__":
    main()
