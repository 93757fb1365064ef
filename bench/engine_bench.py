"""Engine benchmark: CPU per simulated second at 2,500 hosts / 50,000 VMs, and a day of the seed.

    python bench/engine_bench.py                 # both parts
    python bench/engine_bench.py --part large    # 2,500 hosts / 50,000 VMs only (--hosts N)
    python bench/engine_bench.py --part seed     # 24 simulated hours of the seed cluster
    python bench/engine_bench.py --profile large # cProfile the large run (top 25 by own time)
    python bench/engine_bench.py --part load     # loading a flat 2,000-host / 40,000-VM export
    python bench/engine_bench.py --part flat-churn  # the churn right after loading a flat file
    python bench/engine_bench.py --part services    # five evacuations among 2,000 services

Part 1 (large): a cluster file generated with `count` (2,500 hosts by default; per host 20 VMs
in three entries: 8 steady, 6 diurnal, 6 bursty; one host in ten runs hot so the balancer has
work) is loaded through console.formats.cluster like any user's file, and the loaded model is
frozen out of the cycle collector's full passes (`gc.freeze`), as the console does at its first
frame (console.collector).
The engine then advances one simulated second at a time and each second's CPU
(time.process_time) is recorded:

* steady state: 900 s (three balancer passes at the default 300 s interval, full automation);
  the max is the worst second (the second in which a balancer pass runs);
* churn, each phase with its own figures: a host crash (heartbeat detection, fencing, HA
  restart of its 20 VMs); 30 s later a maintenance evacuation of another host by live
  migration, stepped until it is over; then a network partition (five hosts cut off the
  heartbeat network one second apart, held 30 s, past failure detection: isolated, they power
  their VMs off, as the cluster's isolation response says, and HA restarts them elsewhere;
  then reconnected), stepped until they are online again and nothing restarts. A command's
  CPU counts in the second it is given.
  Under each phase, its worst second's share in the functions a churn second may go on
  (`watch_churn`); last, their CPU over the whole churn.

Budget (issue): at most 20 ms of CPU in every simulated second, the worst included. Last, the
CPU of each utilisation history sample (console.model.history, every 10 simulated seconds; part
of the seconds above) and the records it holds.

Part 2 (seed): 24 simulated hours of the seed cluster with a realistic day of operator commands
(maintenance, a crash and repair, migrations, forced failovers, rebalancing, VM power). Budget:
at most 10 s. Reports wall and CPU seconds.

Part 3 (load): a flat cluster file as an export writes it (one `[[vms]]` entry per VM, half of
them without a host; see `flat_cluster_toml`) read to a running Engine, stage by stage: TOML
parse, schema checks, build with placement, Engine(). Budget: at most 1 s in all. Then the parse
as the console does it for a big file (console.formats.parse_ahead: parsed in a forked child while
the console imports, the document read back from shared memory). Then the same
file through `validate` (the CLI entry, in process), and once more with one bad value near its
end (`LATE_ERROR`): the time to the one-line error that names its line.

Part 4 (flat-churn): the churn of part 1 on the console's big file (benchlib.flat_cluster_text,
2,000 hosts / 40,000 VMs, half placed at load), right after loading it and freezing the model, as
the console's churn episode does (bench/console_bench.py): no steady state first, so the crash and
the evacuation come before the balancer's first pass. Same figures and budget as part 1's churn.

Part 5 (services): the flat file of part 4 plus clustered services (`--services`, 2,000 by
default; two members each, VMs on different hosts, the first of them active), then five hosts
put in maintenance at once (each the home of active members, so each drain moves services off
before it migrates VMs), stepped until all five are in maintenance and nothing restarts. Same
figures and budget as part 1's churn; the worst second's share adds the services' reconcile.

Benchmarks print figures; they are never part of the pass/fail test run.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import gc
import io
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchlib import flat_cluster_text, flat_host_name, machine  # noqa: E402

from console import collector  # noqa: E402
from console.formats.cluster import load_cluster, parse_cluster  # noqa: E402
from console.model import placement  # noqa: E402
from console.model.cluster import Cluster  # noqa: E402
from console.model.commands import parse  # noqa: E402
from console.model.engine import Engine  # noqa: E402
from console.model.entities import NodeState, VmState  # noqa: E402
from console.model.history import SAMPLE_S  # noqa: E402
from console.model.invariants import violations  # noqa: E402
from console.paths import SAMPLE_CLUSTERS  # noqa: E402

HOSTS = 2500
VMS_PER_HOST = 20
BUDGET_MS = 20.0
#: The churn episode's hosts (by number): one crashes, one is drained, five are cut off.
CRASHED, DRAINED, PARTITIONED = 7, 13, (21, 22, 23, 24, 25)

NODE_ENTRY = """\
[[nodes]]
name = "h"
count = {hosts}
hypervisor = "esxi"
cpus = 2
cores_per_cpu = 12
mhz = 2600
memory_gb = 256
disks_gb = [900, 900]
nics_gbps = [10, 10, 1, 1]
disk_mbps = 1000
boot_s = 150
"""

# Per host: three [[vms]] entries with `count`, pinned to the host (20 VMs, 52 vCPUs, 208 GB).
VM_ENTRIES = (
    # (suffix, count, vcpus, memory_gb, guest, workload)
    ("s", 8, 2, 8, "rhel", 'cpu = {cpu}, memory = 0.5, disk_mbps = 8, dirty_mbps = 20, '
                           'profile = "steady"'),
    ("d", 6, 4, 16, "windows2008r2", 'cpu = 0.3, memory = 0.6, disk_mbps = 10, '
                                     'dirty_mbps = 30, profile = "diurnal"'),
    ("b", 6, 2, 8, "ubuntu", 'cpu = 0.2, memory = 0.4, disk_mbps = 5, dirty_mbps = 15, '
                             'profile = "bursty"'),
)


def host_name(i: int) -> str:
    return f"h{i:02d}"  # what `count` makes of name "h": h01 .. h99, h100 .. h1000


def large_cluster_toml(hosts: int = HOSTS) -> str:
    parts = ['[cluster]\nname = "bench"\ndescription = "generated by bench/engine_bench.py"\n',
             "[quorum]\nisolation_response = \"power_off\"\n",
             "[ha]\nhost_failures_to_tolerate = 1\ncpu_overcommit = 4.0\n",
             NODE_ENTRY.format(hosts=hosts)]
    for i in range(1, hosts + 1):
        host = host_name(i)
        hot = i % 10 == 0  # one host in ten runs hot steady VMs
        for suffix, count, vcpus, memory, guest, workload in VM_ENTRIES:
            parts.append(
                f'[[vms]]\nname = "{host}{suffix}"\nhost = "{host}"\ncount = {count}\n'
                f'guest_os = "{guest}"\nvcpus = {vcpus}\nmemory_gb = {memory}\n'
                f"workload = {{ {workload.format(cpu=0.95 if hot else 0.3)} }}\n")
    return "\n".join(parts)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


#: CPU ms spent so far in the functions `watch` wraps, by name; `step_seconds` notes each
#: second's share in `BREAKDOWN` (what the churn's worst seconds went on).
SPENT: collections.Counter[str] = collections.Counter()
BREAKDOWN: dict[tuple[int, int], collections.Counter[str]] = {}


def watch(owner: object, name: str, label: str) -> None:
    """Count the CPU of `owner.name` (a module's function or an object's method) in SPENT."""
    function = getattr(owner, name)

    def timed(*args: object, **kwargs: object) -> object:
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[label] += (time.process_time() - start) * 1000

    setattr(owner, name, timed)


def watch_churn(engine: Engine) -> None:
    """Watch what a churn second may go on (none calls another of them): HA placing restarts,
    the evacuation's target choice and failover check, the quorum asked, history samples."""
    watch(placement, "best_host", "placement.best_host")
    watch(engine.balancer, "choose_target", "Balancer.choose_target")
    watch(engine.maintenance, "failover_shortfall", "MaintenanceMode.failover_shortfall")
    watch(engine.membership, "has_quorum", "Membership.has_quorum")
    watch(engine.membership, "observed_partition", "Membership.observed_partition")
    watch(engine.history, "record", "History.record")


def step_seconds(engine: Engine, seconds: int, samples: list[float]) -> None:
    clock = time.process_time
    for _ in range(seconds):
        spent = SPENT.copy()
        start = clock()
        engine.advance(1.0)
        samples.append((clock() - start) * 1000)
        if spent != SPENT:
            BREAKDOWN[id(samples), len(samples) - 1] = SPENT - spent


def time_history_samples(engine: Engine) -> list[float]:
    """The CPU (ms) of each history sample from now on (`History.record`, which the engine's
    sampling timer calls), collected in the returned list."""
    history, costs = engine.history, []
    record = history.record

    def timed() -> None:
        start = time.process_time()
        record()
        costs.append((time.process_time() - start) * 1000)

    history.record = timed  # type: ignore[method-assign]
    return costs


def describe(label: str, samples: list[float]) -> str:
    """One line of figures for `samples` (CPU ms per simulated second) and the verdict: every
    second within the budget, the worst included."""
    mean = sum(samples) / len(samples)
    verdict = "ok" if max(samples) <= BUDGET_MS else "OVER BUDGET"
    return (f"{label:<34} {len(samples):>5} s  mean {mean:7.3f} ms  median "
            f"{statistics.median(samples):7.3f}  p99 {percentile(samples, 99):7.3f}  max "
            f"{max(samples):7.2f} ms  [{verdict}: max <= {BUDGET_MS:g} ms]")


def submit_timed(engine: Engine, line: str, samples: list[float]) -> None:
    """Submit the command `line` and step one simulated second; the command's CPU counts in
    that second."""
    before = SPENT.copy()
    start = time.process_time()
    outcome = engine.submit(parse(line))
    spent = (time.process_time() - start) * 1000
    assert outcome.accepted, f"{line}: {outcome.reason}"
    command = SPENT - before
    step_seconds(engine, 1, samples)
    samples[-1] += spent
    key = (id(samples), len(samples) - 1)
    BREAKDOWN[key] = BREAKDOWN.get(key, collections.Counter()) + command


def settled(cluster: Cluster) -> bool:
    """No VM is restarting, failed or waiting for a host."""
    return not any(vm.state in (VmState.RESTARTING, VmState.FAILED, VmState.PENDING_RESTART)
                   for vm in cluster.vms.values())


def churn(engine: Engine, host_name: Callable[[int], str] = host_name
          ) -> dict[str, list[float]]:
    """The churn episode, its seconds (CPU ms) by phase: a crash with HA restarts; 30 s later a
    maintenance evacuation, stepped until the host is in maintenance and nothing restarts; then
    a network partition (`PARTITIONED` hosts cut off the heartbeat network) held past failure
    detection, and healed, stepped until every host is online again. `host_name`: host number
    to name."""
    cluster = engine.cluster
    crashed, drained = host_name(CRASHED), host_name(DRAINED)
    phases: dict[str, list[float]] = {"crash + HA restart": [], "maintenance evacuation": [],
                                      "partition + heal": []}
    crash = phases["crash + HA restart"]
    submit_timed(engine, f"fail-node {crashed}", crash)
    step_seconds(engine, 29, crash)
    evacuation = phases["maintenance evacuation"]
    submit_timed(engine, f"maintenance {drained} on", evacuation)
    while len(evacuation) < 900:
        step_seconds(engine, 10, evacuation)
        if cluster.nodes[drained].state is NodeState.MAINTENANCE and settled(cluster):
            break
    partition = phases["partition + heal"]
    cut = [host_name(i) for i in PARTITIONED]
    for name in cut:
        submit_timed(engine, f"isolate {name}", partition)
    step_seconds(engine, 30, partition)
    for name in cut:
        submit_timed(engine, f"reconnect {name}", partition)
    while len(partition) < 300:
        step_seconds(engine, 10, partition)
        if all(cluster.nodes[name].state is NodeState.ONLINE for name in cut) and settled(
                cluster):
            break
    return phases


def large(hosts: int = HOSTS, profiler: cProfile.Profile | None = None) -> None:
    print(f"== {hosts:,} hosts / {hosts * VMS_PER_HOST:,} VMs ==")
    rss0 = rss_mb()
    text = large_cluster_toml(hosts)
    gc.collect()
    collector.hold()  # the console's policy (console.collector): held while it starts ...
    wall, cpu = time.perf_counter(), time.process_time()
    cluster = parse_cluster(text, "bench-large.toml")
    engine = Engine(cluster, seed=1)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"load (TOML {len(text) / 1e6:.1f} MB -> Cluster -> Engine): {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU; max RSS {rss_mb():.0f} MB (+{rss_mb() - rss0:.0f} MB)")
    assert len(cluster.vms) == hosts * VMS_PER_HOST
    # ... and what exists at its first frame frozen: the model out of the collector's full
    # passes, which would walk its 100,000 VM and workload objects (some 80 ms) in whichever
    # second one falls.
    collector.release(freeze=True)
    if profiler is not None:  # profile the simulation, not the loader
        profiler.enable()

    samples = time_history_samples(engine)
    steady: list[float] = []
    step_seconds(engine, 900, steady)
    balancer = engine.balancer
    print(describe("steady state (900 s, 3 passes)", steady))
    print(f"  balancer passes: slowest seconds {sorted(steady)[-3:][::-1]!s:.60} ms; "
          f"migrations started so far {engine.migrations.completed + len(engine.migrations.active)}"
          f", imbalance {balancer.imbalance:.3f}")

    watch_churn(engine)
    phases = churn(engine)
    print_churn(engine, phases)
    print(describe("all seconds", steady + [s for seconds in phases.values() for s in seconds]))
    print(f"max RSS {rss_mb():.0f} MB; events logged {len(engine.log):,}")
    history = engine.history
    print(f"history samples (every {SAMPLE_S:g} s, in the figures above): {len(samples)} taken, "
          f"mean {statistics.mean(samples):.2f} ms, max {max(samples):.2f} ms; "
          f"{history.stored_records():,} records held")


def print_worst_second(seconds: list[float]) -> None:
    """The worst of `seconds` (ms of CPU each) and the three watched functions most of it went
    to."""
    worst = max(range(len(seconds)), key=seconds.__getitem__)
    parts = BREAKDOWN.get((id(seconds), worst), collections.Counter())
    print(f"  worst second ({seconds[worst]:.1f} ms), of which: " + (", ".join(
        f"{name} {ms:.1f}" for name, ms in parts.most_common(3)) or "none watched"))


def print_churn(engine: Engine, phases: dict[str, list[float]],
                host_name: Callable[[int], str] = host_name) -> None:
    """The churn's figures by phase, each phase's worst second's share, and the end state."""
    cluster = engine.cluster
    for label, seconds in phases.items():
        print(describe(f"churn: {label}", seconds))
        print_worst_second(seconds)
    print("  whole churn, CPU ms in: " + ", ".join(f"{name} {ms:.1f}"
                                                 for name, ms in SPENT.most_common()))
    crashed, drained = host_name(CRASHED), host_name(DRAINED)
    restarted = sum(1 for e in engine.log.events if e.kind == "vm_running")
    every = [second for seconds in phases.values() for second in seconds]
    cut = ", ".join(host_name(i) for i in PARTITIONED)
    print(f"  {crashed}: {cluster.nodes[crashed].state.value}; {restarted} VMs restarted by HA "
          "over the whole churn (the crash's and the partition's); "
          f"{drained}: {cluster.nodes[drained].state.value}; {cut} cut off and back: "
          f"{', '.join(sorted({cluster.nodes[host_name(i)].state.value for i in PARTITIONED}))}"
          f"; migrations completed {engine.migrations.completed}, failed "
          f"{engine.migrations.failed}")
    problems = violations(cluster)
    print(f"  invariants: {'ok' if not problems else problems[:3]}")
    print(describe("churn (all phases)", every))


# -- part 3: loading a flat export -----------------------------------------------------------

LOAD_HOSTS = 2000
LOAD_VMS_PER_HOST = 20
LOAD_BUDGET_S = 1.0

# Host shapes of a mixed estate, dealt in turn: (cores per CPU, memory GB).
LOAD_HOST_SHAPES = ((12, 256), (16, 384), (8, 192), (20, 512))
# VM shapes as an export shows them, dealt in turn: (vcpus, memory GB, guest OS, profile).
LOAD_VM_SHAPES = (
    (2, 8, "rhel", "steady"), (4, 16, "windows2008r2", "diurnal"), (1, 4, "ubuntu", "bursty"),
    (2, 4, "centos", "steady"), (8, 32, "windows2012", "diurnal"), (2, 8, "debian", "bursty"),
    (4, 8, "suse", "steady"), (1, 2, "solaris", "steady"),
)
#: VMs per HA group (a group has 4 hosts; one VM in 50 belongs to one): 20 groups at 2,000 hosts.
#: A fixed number of groups put 50 VMs in each at 2,500 hosts, more than a restricted group's
#: 4 hosts could take.
LOAD_GROUP_VMS = 40
LOAD_RULES = 50   # rules of each kind: must anti-affinity pairs, should vm-host


def flat_cluster_toml(hosts: int = LOAD_HOSTS) -> str:
    """A cluster file as an export of a real cluster writes it: one `[[nodes]]` entry per host
    and one `[[vms]]` entry per VM (no `count`), `LOAD_VMS_PER_HOST` VMs per host of which half
    name no host (placement puts them), several host and VM shapes, HA groups, `must`
    anti-affinity and `should` VM-host rules."""
    parts = ['[cluster]\nname = "export"\ndescription = "flat export, engine_bench.py"\n',
             "[ha]\nhost_failures_to_tolerate = 1\ncpu_overcommit = 4.0\n"]
    for i in range(1, hosts + 1):
        cores, memory = LOAD_HOST_SHAPES[i % len(LOAD_HOST_SHAPES)]
        parts.append(f'[[nodes]]\nname = "esx{i:04d}"\nhypervisor = "esxi"\ncpus = 2\n'
                     f"cores_per_cpu = {cores}\nmhz = 2600\nmemory_gb = {memory}\n"
                     "disks_gb = [900, 900]\nnics_gbps = [10, 10, 1, 1]\n")
    groups = min(max(1, hosts * LOAD_VMS_PER_HOST // 50 // LOAD_GROUP_VMS), hosts // 4)
    for g in range(groups):
        members = ", ".join(f'"esx{4 * g + k + 1:04d}:{2 - k // 2}"' for k in range(4))
        parts.append(f'[[groups]]\nname = "g{g:02d}"\nnodes = [{members}]\n'
                     f"restricted = {'true' if g % 2 else 'false'}\n")
    vms = hosts * LOAD_VMS_PER_HOST
    for k in range(vms):
        vcpus, memory, guest, profile = LOAD_VM_SHAPES[k % len(LOAD_VM_SHAPES)]
        lines = [f'[[vms]]\nname = "vm{k:05d}"', f'guest_os = "{guest}"',
                 f"vcpus = {vcpus}", f"memory_gb = {memory}",
                 f'workload = {{ cpu = 0.3, memory = 0.5, profile = "{profile}" }}']
        group = k // 50 % groups if groups and k % 50 == 7 else None
        if group is not None:
            lines.append(f'group = "g{group:02d}"')
        if k % 2 == 0:  # half of them on a host, ten per host
            host = k // 2 // (LOAD_VMS_PER_HOST // 2) + 1
            if group is None or group * 4 < host <= group * 4 + 4 or group % 2 == 0:
                lines.append(f'host = "esx{host:04d}"')
        parts.append("\n".join(lines) + "\n")
    for r in range(min(LOAD_RULES, vms // 400)):
        a, b = 400 * r + 1, 400 * r + 3  # two host-less VMs that must stay apart
        parts.append(f'[[rules]]\nname = "apart{r:02d}"\nkind = "anti-affinity"\n'
                     f'strength = "must"\nvms = ["vm{a:05d}", "vm{b:05d}"]\n')
        parts.append(f'[[rules]]\nname = "prefer{r:02d}"\nkind = "vm-host"\n'
                     f'strength = "should"\nvms = ["vm{400 * r + 5:05d}"]\n'
                     f'hosts = ["esx{2 * r + 1:04d}", "esx{2 * r + 2:04d}"]\n')
    return "\n".join(parts)


def load(hosts: int = LOAD_HOSTS, profiler: cProfile.Profile | None = None) -> None:
    """Time each stage of loading the flat export (TOML text to a running Engine, as the
    console and `validate` do it), in wall and CPU seconds, then `validate` through the CLI."""
    from console.formats.cluster.build import build
    from console.formats.cluster.schema import read_document
    from console.formats.toml import located, parse_and_read

    text = flat_cluster_toml(hosts)
    vms = hosts * LOAD_VMS_PER_HOST
    print(f"== load: flat export, {hosts:,} hosts / {vms:,} VMs ({vms // 2:,} without a host), "
          f"{len(text) / 1e6:.1f} MB of TOML ==")
    stages: list[tuple[str, float, float]] = []

    def stage(label: str, action: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        stages.append((label, time.perf_counter() - wall, time.process_time() - cpu))
        return result

    gc.disable()  # as parse_cluster reads a file (console.collector.paused)
    if profiler is not None:
        profiler.enable()
    def checks(document: dict[str, Any]) -> Any:
        with located(text, "export.toml"):
            return stage("checks (schema, values)",
                         lambda: read_document(document, Path("."), None))

    # As the loader reads a file (console.formats.cluster): the parse, then the checks within
    # it (parse_and_read); the parse's figure is the whole less the checks'.
    draft = stage("parse (TOML)", lambda: parse_and_read(text, "export.toml", checks))
    parse = stages.pop()
    stages.insert(0, (parse[0], parse[1] - stages[0][1], parse[2] - stages[0][2]))
    with located(text, "export.toml"):
        cluster = stage("build + placement", lambda: build(draft))
    engine = stage("Engine()", lambda: Engine(cluster, seed=1))
    if profiler is not None:
        profiler.disable()
    gc.enable()
    assert len(engine.cluster.vms) == vms and not engine.cluster.pending
    total_wall = sum(wall for _, wall, _ in stages)
    total_cpu = sum(cpu for _, _, cpu in stages)
    for label, wall, cpu in stages:
        print(f"  {label:<26} {wall:7.3f} s wall  {cpu:7.3f} s CPU")
    verdict = "ok" if total_cpu <= LOAD_BUDGET_S else "OVER BUDGET"
    print(f"  {'total':<26} {total_wall:7.3f} s wall  {total_cpu:7.3f} s CPU  "
          f"[{verdict}: <= {LOAD_BUDGET_S:g} s]; max RSS {rss_mb():.0f} MB")
    _time_parse_ahead(text)
    _time_validate("validate (CLI, in process)", text)
    bad = text.replace(LATE_ERROR[0], LATE_ERROR[1], 1) if vms > 39_000 else None
    if bad is not None and bad != text:
        _time_validate("validate, one late error", bad)


#: The value made bad for the late error: a VM near the end of a 40,000-VM export.
LATE_ERROR = ('name = "vm39000"\nguest_os = "rhel"\nvcpus = 2\nmemory_gb = 8',
              'name = "vm39000"\nguest_os = "rhel"\nvcpus = 2\nmemory_gb = -8')


def _time_parse_ahead(text: str) -> None:
    """The parse as the console does it for a big file (console.formats.parse_ahead): a child
    forked to parse while the console imports; the loader then only reads its document. Prints
    the child's time (fork to document written, wall) and the loader's (reading it: wall and
    CPU of this process, the collector off as the console has it then), or why there is no
    parse ahead here."""
    from console.formats import parse_ahead

    wall = time.perf_counter()
    if not parse_ahead.start(text):
        print(f"  {'parse ahead (console)':<26} not here (toml_rs, os.fork, one thread needed)")
        return
    with contextlib.suppress(ChildProcessError):  # wait for the child, to time the reading alone
        os.waitid(os.P_PID, parse_ahead._ahead.pid, os.WEXITED | os.WNOWAIT)
    child = time.perf_counter() - wall
    gc.disable()  # as the console reads it (console.collector holds the collector)
    wall, cpu = time.perf_counter(), time.process_time()
    document = parse_ahead.taken(text)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.enable()
    assert document is not None
    print(f"  {'parse ahead (console)':<26} {wall:7.3f} s wall  {cpu:7.3f} s CPU  to read the "
          f"document a child parsed in {child:.3f} s (on another core, while the console "
          "imports)")


def _time_validate(label: str, text: str) -> None:
    """`cluster-console validate` on `text` written to a file, in process: wall and CPU time,
    exit status and what it printed on stderr (the warnings, or the error)."""
    from console.cli import main as cli_main

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.toml"
        path.write_text(text)
        out, err = io.StringIO(), io.StringIO()
        wall, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli_main(["validate", str(path)])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    said = err.getvalue().splitlines()
    what = (f"{len(said)} warning lines" if status == 0
            else (said[0].replace(str(path), "export.toml") if said else "nothing said"))
    print(f"  {label:<26} {wall:7.3f} s wall  {cpu:7.3f} s CPU  exit {status}, {what}")


# -- part 4: the churn right after loading a flat file ----------------------------------------

def flat_churn(hosts: int = LOAD_HOSTS) -> None:
    """Part 4: the churn on the console's big flat file, right after loading it."""
    vms = hosts * LOAD_VMS_PER_HOST
    print(f"== churn after loading: flat file, {hosts:,} hosts / {vms:,} VMs "
          f"(benchlib.flat_cluster_text) ==")
    gc.disable()  # as parse_cluster reads a file and the console loads it
    engine = Engine(parse_cluster(flat_cluster_text(hosts, vms), "flat.toml"), seed=1)
    gc.enable()
    gc.freeze()
    watch_churn(engine)

    def name(number: int) -> str:
        return flat_host_name(number, hosts)

    print_churn(engine, churn(engine, name), name)
    print(f"max RSS {rss_mb():.0f} MB; events logged {len(engine.log):,}")


# -- part 5: evacuations among clustered services ---------------------------------------------

SERVICES = 2000
#: The hosts (by number) put in maintenance at once in part 5.
EVACUATED = (1, 2, 3, 4, 5)


def services_toml(services: int, hosts: int, vms: int) -> str:
    """`services` two-member `[[services]]` entries over `flat_cluster_text(hosts, vms)`'s
    placed VMs: service k has VM 4k+1 (on host 2k+1) and VM 4k+3 (on host 2k+2), hosts counted
    round the cluster; raises ValueError when the file has too few VMs."""
    if 4 * services > vms:
        raise ValueError(f"{services} services need {4 * services} VMs; the file has {vms}")
    width = max(5, len(str(vms)))
    return "\n".join(f'[[services]]\nname = "svc{k + 1:05d}"\nkind = "sql"\n'
                     f'members = ["vm{4 * k + 1:0{width}d}", "vm{4 * k + 3:0{width}d}"]\n'
                     for k in range(services))


def services_churn(hosts: int = LOAD_HOSTS, services: int = SERVICES) -> None:
    """Part 5: five evacuations at once on the flat file with `services` clustered services."""
    vms = hosts * LOAD_VMS_PER_HOST
    print(f"== evacuations among services: flat file, {hosts:,} hosts / {vms:,} VMs, "
          f"{services:,} two-member services ==")
    text = flat_cluster_text(hosts, vms) + "\n" + services_toml(services, hosts, vms)
    gc.disable()
    engine = Engine(parse_cluster(text, "flat-services.toml"), seed=1)
    gc.enable()
    gc.freeze()
    watch_churn(engine)
    watch(engine.services, "reconcile", "ServiceManager.reconcile")
    cluster = engine.cluster
    drained = [flat_host_name(number, hosts) for number in EVACUATED]
    seconds: list[float] = []
    for name in drained:
        submit_timed(engine, f"maintenance {name} on", seconds)
    while len(seconds) < 900:
        step_seconds(engine, 10, seconds)
        if all(cluster.nodes[name].state is NodeState.MAINTENANCE for name in drained) \
                and settled(cluster):
            break
    print(describe("five evacuations at once", seconds))
    print_worst_second(seconds)
    print("  whole run, CPU ms in: " + ", ".join(f"{name} {ms:.1f}"
                                               for name, ms in SPENT.most_common()))
    moved = sum(1 for e in engine.log.events if e.kind == "service_online")
    states = sorted({cluster.nodes[name].state.value for name in drained})
    print(f"  {', '.join(drained)}: {', '.join(states)}; {moved} services brought online "
          f"elsewhere; migrations completed {engine.migrations.completed}")
    problems = violations(cluster)
    print(f"  invariants: {'ok' if not problems else problems[:3]}")


SEED_DAY = [
    # A realistic operator's day on the seed cluster (times in seconds from midnight).
    (1800, "rebalance --dry-run"),
    (3600, "migrate web01 B"),
    (7200, "maintenance B on"),          # patch B in the early morning
    (9000, "maintenance B off"),
    (10800, "failover sql"),             # a DBA tests the SQL failover
    (12600, "failover sql"),             # and back
    (18000, "vm-power mon01 off"),
    (18600, "vm-power mon01 on"),
    (28800, "fail-node C"),              # C crashes at 08:00
    (30600, "power-on C"),               # and is repaired half an hour later
    (36000, "rebalance"),
    (43200, "isolate A"),                # a switch port flaps at noon
    (43230, "reconnect A"),              # A's VMs were powered off by its isolation response
    (46800, "rebalance --dry-run"),
    (54000, "maintenance C on"),
    (57600, "maintenance C off"),
    (64800, "migrate exch02"),
    (72000, "failover exchange"),
    (79200, "power-off B"),              # planned shutdown in the evening
    (81000, "power-on B"),
    (84600, "rebalance"),
]


def seed_day() -> None:
    print("== 24 simulated hours of the seed cluster (seed.toml) ==")
    wall, cpu = time.perf_counter(), time.process_time()
    engine = Engine(load_cluster(SAMPLE_CLUSTERS / "seed.toml"), seed=0)
    accepted = 0
    for t, line in SEED_DAY:
        accepted += engine.submit_at(t, parse(line)).accepted
    engine.run_until(86400.0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    verdict = "ok" if wall <= 10 else "OVER BUDGET"
    print(f"{len(SEED_DAY)} commands ({accepted} accepted), {len(engine.log):,} events, "
          f"{engine.migrations.completed} migrations: {wall:.3f} s wall, {cpu:.3f} s CPU "
          f"[{verdict}: <= 10 s]")
    problems = violations(engine.cluster)
    print(f"  invariants at the end: {'ok' if not problems else problems[:3]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "large", "seed", "load", "flat-churn",
                                                     "services"),
                        default="all")
    parser.add_argument("--hosts", type=int,
                        help=f"hosts (large: {HOSTS:,}; load: {LOAD_HOSTS:,})")
    parser.add_argument("--services", type=int, default=SERVICES,
                        help=f"clustered services in part 5 (default {SERVICES:,})")
    parser.add_argument("--profile", choices=("large", "seed", "load"),
                        help="run one part under cProfile and print the top functions")
    args = parser.parse_args(argv)
    print(machine())
    if args.profile:
        profiler = cProfile.Profile()
        if args.profile == "large":
            large(args.hosts or HOSTS, profiler)
        elif args.profile == "load":
            load(args.hosts or LOAD_HOSTS, profiler)
        else:
            profiler.enable()
            seed_day()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
        return 0
    if args.part in ("all", "large"):
        large(args.hosts or HOSTS)
    if args.part in ("all", "seed"):
        seed_day()
    if args.part in ("all", "load"):
        load(args.hosts or LOAD_HOSTS)
    if args.part in ("all", "flat-churn"):
        flat_churn(args.hosts or LOAD_HOSTS)
    if args.part in ("all", "services"):
        services_churn(args.hosts or LOAD_HOSTS, args.services)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
