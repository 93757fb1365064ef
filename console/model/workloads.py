"""VM demand over simulated time: steady, diurnal, bursty and trace-driven profiles.

Demand is a pure function of (VM, time): nothing is stepped each second, so a 20,000-VM cluster
costs nothing until something (the balancer, a visible pane, a migration) asks. Randomness is
derived from the run's seed and the VM's name through a stable hash, never drawn from the engine's
shared RNG: reads by the UI must not change what a headless run would do.

`cpu` and `load` are the hot paths (the balancer sums them over every VM of the cluster): they
compute the same numbers as `demand` without building a `Demand` per call. `recent_load` is the
exact average over a past window, which the balancer uses so that a passing spike or lull does not
move VMs.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

from console.model.entities import DAY_S, Vm
from console.model.names import display

TRACE_STEP_S = 300.0
BURST_SLOT_S = 60.0
BURST_FACTOR, CALM_FACTOR = 3.0, 0.7
_TWO_PI = 2 * math.pi


@dataclass(frozen=True, slots=True)
class Demand:
    """A VM's demand at one instant: CPU and active memory as fractions of its allocation,
    disk I/O and memory dirty rate in MB/s.
    """

    cpu: float        # fraction of the VM's vCPUs
    memory: float     # fraction of the VM's memory actively used
    disk_mbps: float
    dirty_mbps: float


class TraceError(ValueError):
    """A trace file that is not 288-ish integers 0-100, one per line."""


def parse_trace(text: str, name: str) -> tuple[float, ...]:
    """A PlanetLab/CoMon trace's text: CPU percent (an integer 0-100) every 5 minutes, one per
    line (Beloglazov & Buyya 2012, as shipped with CloudSim) -> fractions 0-1 in order.

    The published traces hold 288 samples (a day); other lengths are accepted and wrap around.
    Raises TraceError `NAME:LINE: message` for a line that is not an integer 0-100, and for a
    trace with no samples. Reading the file is the caller's business (the cluster format).
    """
    values = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = int(line)
        except ValueError:
            raise TraceError(f"{name}:{number}: not an integer: {_shown(line)}") from None
        if not 0 <= value <= 100:
            raise TraceError(f"{name}:{number}: CPU percent out of 0-100: {_shown(line)}")
        values.append(value / 100.0)
    if not values:
        raise TraceError(f"{name}: empty trace")
    return tuple(values)


def _shown(line: str) -> str:
    """A trace line for a message: quoted, unprintable characters escaped, at most 40
    characters of it (a message is one short line, whatever the file holds)."""
    return display(line) if len(line) <= 40 else display(line[:40])[:-1] + '..."'


class Workloads:
    """Evaluates every VM's demand at a given simulated time."""

    def __init__(self, seed: int, traces: dict[str, tuple[float, ...]] | None = None) -> None:
        self.seed = seed
        # The cluster's own dict (not a copy): traces added to the cluster later are seen too.
        self.traces = traces if traces is not None else {}
        self._phase: dict[str, float] = {}
        self._name_bytes: dict[str, bytes] = {}
        self._burst_slot = -1
        self._burst_prefix = 0  # crc32 of "{seed}:burst{slot}:" for _burst_slot
        self._slot_prefixes: dict[int, int] = {}  # the same, for the slots of recent windows

    # -- the demand of one VM ------------------------------------------------------------------

    def demand(self, vm: Vm, t: float) -> Demand:
        """`vm`'s demand at simulated time `t` (seconds); for a trace profile, from its trace."""
        w = vm.workload
        cpu = self._cpu_fraction(vm, t)
        activity = cpu / w.cpu if w.cpu > 0 and w.profile != "steady" else 1.0
        return Demand(cpu=cpu, memory=w.memory, disk_mbps=w.disk_mbps * min(activity, 3.0),
                      dirty_mbps=w.dirty_mbps * min(activity, 3.0))

    def cpu(self, vm: Vm, t: float) -> float:
        """CPU demand in cores (fraction of vCPUs times vCPUs); the hot path of load sums."""
        w = vm.workload
        if w.profile == "steady":
            return w.cpu * vm.vcpus
        return self._cpu_fraction(vm, t) * vm.vcpus

    def load(self, vm: Vm, t: float) -> tuple[float, float, float]:
        """(CPU cores, active memory GB, disk MB/s) at `t`: `demand` scaled to the VM's size."""
        w = vm.workload
        if w.profile == "steady":
            return w.cpu * vm.vcpus, w.memory * vm.memory_gb, w.disk_mbps
        cpu = self._cpu_fraction(vm, t)
        activity = cpu / w.cpu if w.cpu > 0 else 1.0
        return (cpu * vm.vcpus, w.memory * vm.memory_gb,
                w.disk_mbps * (activity if activity < 3.0 else 3.0))

    def recent_load(self, vm: Vm, t: float, window_s: float) -> tuple[float, float, float]:
        """`load` averaged over the `window_s` seconds up to `t` (or since the start of the run,
        if shorter): what a balancer sampling the VM's usage would have seen. Disk I/O follows
        the average activity, as it follows the current one in `load`."""
        w = vm.workload
        if w.profile == "steady" or window_s <= 0 or t <= 0:
            return self.load(vm, t)
        cpu = self.recent_cpu_fraction(vm, t, window_s)
        activity = cpu / w.cpu if w.cpu > 0 else 1.0
        return (cpu * vm.vcpus, w.memory * vm.memory_gb,
                w.disk_mbps * (activity if activity < 3.0 else 3.0))

    def recent_cpu_fraction(self, vm: Vm, t: float, window_s: float) -> float:
        """Time-weighted mean of `Demand.cpu` over [t - window_s, t] (clipped at 0)."""
        w = vm.workload
        start = t - window_s if t > window_s else 0.0
        if t <= start:
            return self._cpu_fraction(vm, t)
        profile = w.profile
        if profile == "trace":
            return self._trace_mean(w.trace, start, t)
        if profile == "bursty":
            return self._bursty_mean(vm, start, t)
        if profile == "diurnal" and w.cpu * 1.1 <= 1.0 and t - start >= 1.0:
            # Never clipped: integrate the sine (over a second at least: below that the
            # difference of cosines cancels to nothing, and the trapezoid below is exact enough).
            phase = self._phase.get(vm.name)
            if phase is None:
                phase = self._phase_of(vm.name)
            a = _TWO_PI * (start / DAY_S + phase)
            b = _TWO_PI * (t / DAY_S + phase)
            return w.cpu * (0.6 + 0.5 * (math.cos(a) - math.cos(b)) / (b - a))
        # Anything else (a clipped diurnal, a tiny window): the trapezoid rule on 5-minute steps.
        count = max(1, math.ceil((t - start) / TRACE_STEP_S))
        step = (t - start) / count
        values = [self._cpu_fraction(vm, start + k * step) for k in range(count + 1)]
        return (sum(values) - (values[0] + values[-1]) / 2) / count

    # -- profiles ------------------------------------------------------------------------------

    def _cpu_fraction(self, vm: Vm, t: float) -> float:
        """Fraction of the VM's vCPUs busy at `t` (`Demand.cpu`)."""
        w = vm.workload
        profile = w.profile
        if profile == "trace":
            return self._trace_value(w.trace, t)
        if profile == "diurnal":
            phase = self._phase.get(vm.name)
            if phase is None:
                phase = self._phase_of(vm.name)
            factor = 0.6 + 0.5 * math.sin(_TWO_PI * (t / DAY_S + phase))
        elif profile == "bursty":
            factor = BURST_FACTOR if self._bursting(vm.name, t) else CALM_FACTOR
        else:
            factor = 1.0
        cpu = w.cpu * factor
        return cpu if cpu < 1.0 else 1.0

    def _stable(self, name: str, salt: str) -> int:
        return zlib.crc32(f"{self.seed}:{salt}:{name}".encode())

    def _phase_of(self, name: str) -> float:
        if name not in self._phase:
            self._phase[name] = (self._stable(name, "phase") % 1000) / 1000.0
        return self._phase[name]

    def _bursting(self, name: str, t: float) -> bool:
        """About one minute in ten is a burst, chosen per VM from the seed.

        The same hash as `_stable(name, f"burst{slot}")`, continued from the slot's cached
        prefix (crc32 runs over concatenated input), so a burst costs one short crc32."""
        slot = int(t // BURST_SLOT_S)
        if slot != self._burst_slot:
            self._burst_slot = slot
            self._burst_prefix = zlib.crc32(f"{self.seed}:burst{slot}:".encode())
        data = self._name_bytes.get(name)
        if data is None:
            data = self._name_bytes[name] = name.encode()
        return zlib.crc32(data, self._burst_prefix) % 10 == 0

    def _trace_value(self, trace: str, t: float) -> float:
        values = self.traces.get(trace)
        if not values:
            return 0.0
        span = len(values) * TRACE_STEP_S
        position = (t % span) / TRACE_STEP_S
        i = int(position)
        frac = position - i
        a, b = values[i], values[(i + 1) % len(values)]
        return a + (b - a) * frac

    def _bursty_mean(self, vm: Vm, start: float, end: float) -> float:
        """Exact mean over [start, end]: demand is constant within each burst slot. The burst
        test of `_bursting` is inlined: this runs for every slot of every bursty VM."""
        w = vm.workload
        burst = min(1.0, w.cpu * BURST_FACTOR)
        calm = min(1.0, w.cpu * CALM_FACTOR)
        data = self._name_bytes.get(vm.name)
        if data is None:
            data = self._name_bytes[vm.name] = vm.name.encode()
        prefixes = self._slot_prefixes
        crc32 = zlib.crc32
        first, last = int(start // BURST_SLOT_S), int(end // BURST_SLOT_S)
        total = 0.0
        for slot in range(first, last + 1):
            a = start if slot == first else slot * BURST_SLOT_S
            b = end if slot == last else (slot + 1) * BURST_SLOT_S
            if b <= a:
                continue
            prefix = prefixes.get(slot)
            if prefix is None:
                if len(prefixes) > 4096:
                    prefixes.clear()
                prefix = prefixes[slot] = crc32(f"{self.seed}:burst{slot}:".encode())
            total += (burst if crc32(data, prefix) % 10 == 0 else calm) * (b - a)
        return total / (end - start)

    def _trace_mean(self, trace: str, start: float, end: float) -> float:
        """Exact mean over [start, end] of the trace, which is linear between its points (and
        continuous, also where it wraps round)."""
        if not self.traces.get(trace):
            return 0.0
        if end <= start:
            return self._trace_value(trace, end)
        total = 0.0
        a, v_a = start, self._trace_value(trace, start)
        while a < end:
            b = min(end, (math.floor(a / TRACE_STEP_S + 1e-9) + 1) * TRACE_STEP_S)
            v_b = self._trace_value(trace, b)
            total += (v_a + v_b) * (b - a)
            a, v_a = b, v_b
        return total / 2 / (end - start)
