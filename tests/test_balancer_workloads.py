"""Workload fast paths the balancer sums over every VM: `cpu` and `load` agree with `demand`, and
`recent_load` is the exact average of the demand over its window."""

from __future__ import annotations

import math
import random
import zlib

import pytest

from console.model.entities import Vm, Workload
from console.model.workloads import TRACE_STEP_S, Workloads

PROFILES = ("steady", "diurnal", "bursty", "trace", "unknown")


def vms_and_workloads(count: int = 200) -> tuple[list[Vm], Workloads]:
    rng = random.Random(5)
    traces = {"t": tuple(rng.random() for _ in range(288))}
    vms = [Vm(name=f"vm{i}", host=None, vcpus=rng.randint(1, 8),
              memory_gb=rng.choice((1.0, 2.5, 16.0)),
              workload=Workload(cpu=rng.choice((0.0, 0.1, 0.35, 0.95, 1.0)),
                                memory=rng.random(), disk_mbps=rng.random() * 40,
                                profile=PROFILES[i % len(PROFILES)],
                                trace="t" if i % 7 else "missing"))
           for i in range(count)]
    return vms, Workloads(11, traces)


def test_cpu_and_load_are_demand_scaled_to_the_vm():
    vms, workloads = vms_and_workloads()
    rng = random.Random(1)
    for vm in vms:
        for t in (0.0, 59.99, 60.0, 3600.5, 86399.0, *(rng.random() * 1e6 for _ in range(20))):
            demand = workloads.demand(vm, t)
            assert workloads.cpu(vm, t) == demand.cpu * vm.vcpus
            assert workloads.load(vm, t) == (demand.cpu * vm.vcpus,
                                             demand.memory * vm.memory_gb, demand.disk_mbps)


def test_bursts_follow_the_seeded_hash_of_vm_and_minute():
    vms, workloads = vms_and_workloads()
    for vm in vms[:40]:
        for slot in range(0, 500, 7):
            expected = zlib.crc32(f"11:burst{slot}:{vm.name}".encode()) % 10 == 0
            assert workloads._bursting(vm.name, slot * 60.0 + 1) is expected


def numeric_mean(workloads: Workloads, vm: Vm, start: float, end: float) -> float:
    n = 4000
    return sum(workloads.cpu(vm, start + (end - start) * (k + 0.5) / n) for k in range(n)) / n


@pytest.mark.parametrize("profile", PROFILES)
def test_recent_load_is_the_average_over_the_window(profile):
    vms, workloads = vms_and_workloads()
    for vm in [v for v in vms if v.workload.profile == profile][:12]:
        for t, window in ((5000.0, 900.0), (86400 * 2 + 37.5, 3600.0), (400.0, 900.0)):
            cpu, memory, disk = workloads.recent_load(vm, t, window)
            mean = numeric_mean(workloads, vm, max(0.0, t - window), t)
            assert cpu == pytest.approx(mean, rel=2e-3, abs=1e-4)
            assert memory == vm.workload.memory * vm.memory_gb
            if vm.workload.cpu > 0:
                activity = min(cpu / vm.vcpus / vm.workload.cpu, 3.0)
                expected = vm.workload.disk_mbps * (1.0 if profile == "steady" else activity)
                assert disk == pytest.approx(expected)


def test_recent_load_at_the_start_of_the_run_is_the_load_now():
    vms, workloads = vms_and_workloads()
    for vm in vms:
        assert workloads.recent_load(vm, 0.0, 900.0) == workloads.load(vm, 0.0)
        assert workloads.recent_load(vm, 123.0, 0.0) == workloads.load(vm, 123.0)


@pytest.mark.parametrize("t", [2e-16, 1e-9, 0.0004, 0.9999, 900.0 + 1e-12, 86400.0 * 5 + 1e-7])
def test_recent_load_over_tiny_windows_is_the_load_then(t):
    # A command at t = 2e-16 s once divided by a difference of cosines that was exactly 0.
    vms, workloads = vms_and_workloads()
    for vm in vms:
        for window in (900.0, 1e-12, 0.5):
            cpu, _, disk = workloads.recent_load(vm, t, window)
            assert 0.0 <= cpu <= vm.vcpus and math.isfinite(disk)
            if min(t, window) <= 1.0 and vm.workload.profile != "bursty":
                # Demand moves little within a second (bursts jump at minute edges).
                assert cpu == pytest.approx(workloads.cpu(vm, t), abs=0.01 * vm.vcpus)


def test_the_trace_average_is_exact_across_the_wrap_of_the_day():
    workloads = Workloads(0, {"ramp": tuple(i / 287 for i in range(288))})
    vm = Vm("r", None, vcpus=1, workload=Workload(cpu=0.5, profile="trace", trace="ramp"))
    span = 288 * TRACE_STEP_S
    # Over the last point and the wrap back to the first the trace falls linearly from 1 to 0.
    assert workloads.recent_cpu_fraction(vm, span, TRACE_STEP_S) == pytest.approx(0.5)
    assert workloads.recent_cpu_fraction(vm, span + 150.0, 450.0) == pytest.approx(
        numeric_mean(workloads, vm, span - 300.0, span + 150.0))


def test_traces_added_to_the_cluster_later_are_seen():
    traces: dict[str, tuple[float, ...]] = {}
    workloads = Workloads(0, traces)
    vm = Vm("r", None, vcpus=2, workload=Workload(profile="trace", trace="late"))
    assert workloads.cpu(vm, 10.0) == 0.0
    traces["late"] = (0.5,) * 288
    assert workloads.cpu(vm, 10.0) == 1.0
