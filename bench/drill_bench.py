"""A 24-hour drill on the seed cluster, headless: how long does it take?

    python bench/drill_bench.py [--repeat N] [--report] [--record REC.jsonl]

Every two hours, on a host taken in turn (A, B, C): a crash and its repair, a maintenance window
(evacuation by live migration and back, forced: with one of the seed's three hosts out, the other
two cannot also keep room for a host failure, so vSphere's DRS would wait), a network partition and
its healing, and a forced SQL failover; 12 cycles, 96 steps, with expectations checked throughout
(no split brain, invariants) and at the end. Prints wall-clock and CPU seconds for loading and
running the drill (the best of N runs), the number of events and whether the drill passed. The
acceptance bound is 10 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from console.drills import DrillSession, parse_drill, render_text  # noqa: E402
from console.paths import SAMPLE_CLUSTERS  # noqa: E402

DAY = 24 * 3600
CYCLE = 2 * 3600
HOSTS = ("A", "B", "C")


def drill_text() -> str:
    steps: list[tuple[float, str]] = []
    for cycle in range(DAY // CYCLE):
        base = cycle * CYCLE
        crash, maint, cut = (HOSTS[(cycle + k) % 3] for k in range(3))
        steps += [
            (base + 300, f"fail-node {crash}"),
            (base + 1800, f"power-on {crash}"),
            (base + 2700, f"maintenance {maint} on --force"),
            (base + 3900, f"maintenance {maint} off"),
            (base + 4800, f"isolate {cut}"),
            (base + 5400, f"reconnect {cut}"),
            (base + 6300, "failover sql"),
            (base + 6900, "rebalance"),
        ]
    lines = ["[drill]", 'name = "day"',
             'description = "24 hours: crashes, maintenance, partitions and failovers"',
             'cluster = "../seed.toml"', "seed = 0", f"duration_s = {DAY}", ""]
    for at, do in steps:
        lines += ["[[steps]]", f"at = {at}", f"do = {json.dumps(do)}", ""]
    # IIS fails over on more than max_failovers (3) unplanned losses in 6 h, so the model
    # leaves it failed for an operator, as it should; SQL and Exchange stay up.
    for that in ("no split brain", "invariants hold", "no VM lost",
                 "service sql is online", "service exchange is online",
                 "event service_failed for iis", "all VMs running",
                 "pending VMs = 0", "node A is online|booting at end",
                 "recovery time after step 1 below 3 min",
                 "event service_online for sql within 1 min after step 7",
                 "max VM downtime below 1 h"):
        lines += ["[[expect]]", f"that = {json.dumps(that)}", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is shown")
    parser.add_argument("--report", action="store_true", help="print the drill's report")
    parser.add_argument("--record", metavar="REC.jsonl", help="record the (last) run")
    args = parser.parse_args()
    text = drill_text()
    name = str(SAMPLE_CLUSTERS / "drills" / "day.toml")  # resolves ../seed.toml
    best = None
    for _ in range(max(1, args.repeat)):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        drill = parse_drill(text, name)
        wall1 = time.perf_counter()
        if args.record:
            from console.formats.recording import Recorder
            from console.model.engine import Engine

            engine = Engine(drill.build_cluster(), drill.seed)
            recorder = Recorder(args.record, seed=drill.seed, cluster_file=drill.cluster_file,
                                cluster=drill.recorded_cluster_text, created_by="drill",
                                drill=drill.name)
            recorder.attach(engine)
            session = DrillSession(drill, engine, on_clock=recorder.clock)
            report = session.run()
            recorder.close(drill.duration)
        else:
            session = DrillSession(drill)
            report = session.run()
        wall2, cpu2 = time.perf_counter(), time.process_time()
        figures = (wall2 - wall0, cpu2 - cpu0, wall1 - wall0, wall2 - wall1)
        if best is None or figures[0] < best[0][0]:
            best = (figures, report, session)
    assert best is not None
    (wall, cpu, load, run), report, session = best
    if args.report:
        sys.stdout.write(render_text(report) + "\n")
    print(f"24-hour drill on the seed cluster: {len(drill.steps)} steps, "
          f"{report.events} events, {len(report.incidents)} incidents, "
          f"{'PASS' if report.passed else 'FAIL'} "
          f"({len(report.expectations) - report.failures} of {len(report.expectations)})")
    print(f"wall {wall:.3f} s (load {load:.3f} s, run {run:.3f} s), CPU {cpu:.3f} s; "
          f"best of {max(1, args.repeat)}; {DAY / wall:,.0f}x real time; bound 10 s: "
          f"{'met' if wall <= 10 else 'MISSED'}")
    return 0 if report.passed and wall <= 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
