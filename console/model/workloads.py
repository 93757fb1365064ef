"""VM demand over simulated time: steady, diurnal, bursty and trace-driven profiles.

Demand is a pure function of (VM, time): nothing is stepped each second, so a 20,000-VM cluster
costs nothing until something (the balancer, a visible pane, a migration) asks. Randomness is
derived from the run's seed and the VM's name through a stable hash, never drawn from the engine's
shared RNG: reads by the UI must not change what a headless run would do.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path

from console.model.entities import Vm

DAY_S = 86400.0
TRACE_STEP_S = 300.0
BURST_SLOT_S = 60.0


@dataclass(frozen=True, slots=True)
class Demand:
    cpu: float        # fraction of the VM's vCPUs
    memory: float     # fraction of the VM's memory actively used
    disk_mbps: float
    dirty_mbps: float


class TraceError(ValueError):
    """A trace file that is not 288-ish integers 0-100, one per line."""


def read_trace(path: Path) -> tuple[float, ...]:
    """A PlanetLab/CoMon trace: CPU percent every 5 minutes, one integer per line."""
    values = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            value = float(line)
        except ValueError:
            raise TraceError(f"{path.name}:{number}: not a number: {line!r}") from None
        if not 0 <= value <= 100:
            raise TraceError(f"{path.name}:{number}: CPU percent out of 0-100: {line}")
        values.append(value / 100.0)
    if not values:
        raise TraceError(f"{path.name}: empty trace")
    return tuple(values)


class Workloads:
    """Evaluates every VM's demand at a given simulated time."""

    def __init__(self, seed: int, traces: dict[str, tuple[float, ...]] | None = None) -> None:
        self.seed = seed
        self.traces = traces or {}
        self._phase: dict[str, float] = {}

    def demand(self, vm: Vm, t: float) -> Demand:
        w = vm.workload
        factor = self._factor(vm, t)
        cpu = min(1.0, w.cpu * factor) if w.profile != "trace" else factor
        activity = cpu / w.cpu if w.cpu > 0 and w.profile != "steady" else 1.0
        return Demand(cpu=cpu, memory=w.memory, disk_mbps=w.disk_mbps * min(activity, 3.0),
                      dirty_mbps=w.dirty_mbps * min(activity, 3.0))

    def cpu(self, vm: Vm, t: float) -> float:
        """CPU demand in cores (fraction of vCPUs times vCPUs); the hot path of load sums."""
        w = vm.workload
        if w.profile == "steady":
            return w.cpu * vm.vcpus
        return self.demand(vm, t).cpu * vm.vcpus

    def _factor(self, vm: Vm, t: float) -> float:
        profile = vm.workload.profile
        if profile == "diurnal":
            phase = self._phase_of(vm.name)
            return 0.6 + 0.5 * math.sin(2 * math.pi * (t / DAY_S + phase))
        if profile == "bursty":
            return 3.0 if self._bursting(vm.name, t) else 0.7
        if profile == "trace":
            return self._trace_value(vm.workload.trace, t)
        return 1.0

    def _stable(self, name: str, salt: str) -> int:
        return zlib.crc32(f"{self.seed}:{salt}:{name}".encode())

    def _phase_of(self, name: str) -> float:
        if name not in self._phase:
            self._phase[name] = (self._stable(name, "phase") % 1000) / 1000.0
        return self._phase[name]

    def _bursting(self, name: str, t: float) -> bool:
        """About one minute in ten is a burst, chosen per VM from the seed."""
        slot = int(t // BURST_SLOT_S)
        return self._stable(name, f"burst{slot}") % 10 == 0

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

