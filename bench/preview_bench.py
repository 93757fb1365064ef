"""What asking the model first costs: a fork of the engine, `Engine.check` and a preview.

    python bench/preview_bench.py                # datacenter sample, then 2,000 generated hosts
    python bench/preview_bench.py --hosts 250    # another generated size (20 VMs per host)

For each cluster (run 600 simulated seconds first): the time of one fork (a deep copy of the
engine, closures included), of `Engine.check("fail-node ...")` (a fork and the command on it),
and of `preview(...)` for a host crash and for a maintenance (a fork, the command, and the fork
run ahead until the consequences settle). Above `FORK_LIMIT_VMS` the check answers the door's
refusals only and there is no preview; the fork is timed all the same, to show why. Medians of
3 runs, wall-clock seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchlib import machine  # noqa: E402
from engine_bench import host_name, large_cluster_toml  # noqa: E402

from console.formats.cluster import load_cluster, parse_cluster  # noqa: E402
from console.model.commands import parse  # noqa: E402
from console.model.engine import Engine  # noqa: E402
from console.model.fork import FORK_LIMIT_VMS, fork  # noqa: E402
from console.model.preview import preview  # noqa: E402
from console.paths import SAMPLE_CLUSTERS  # noqa: E402


def timed(action, runs: int = 3) -> float:
    found = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        found.append(time.perf_counter() - start)
    return statistics.median(found)


def measure(label: str, engine: Engine, crash: str, drain: str) -> None:
    engine.run_before(600)
    vms = len(engine.cluster.vms)
    print(f"== {label}: {len(engine.cluster.nodes):,} hosts, {vms:,} VMs ==")
    runs = 3 if vms <= FORK_LIMIT_VMS else 1
    print(f"fork                      {timed(lambda: fork(engine), runs):7.3f} s")
    command = parse(f"fail-node {crash}")
    print(f"check fail-node {crash:<9} {timed(lambda: engine.check(command), runs):7.3f} s")
    if vms > FORK_LIMIT_VMS:
        print(f"preview: none above {FORK_LIMIT_VMS:,} VMs (the dialog says so)")
        return
    for text in (f"fail-node {crash}", f"maintenance {drain} on"):
        seen = preview(engine, [parse(text)])
        cost = timed(lambda text=text: preview(engine, [parse(text)]))
        print(f"preview {text:<17} {cost:7.3f} s  ({seen.ahead_s:.0f} s ahead, "
              f"{len(seen.lines)} lines)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=2000)
    args = parser.parse_args()
    print(machine())
    datacenter = Engine(load_cluster(SAMPLE_CLUSTERS / "datacenter.toml"), 0)
    measure("datacenter", datacenter, "esx03", "esx05")
    large = Engine(parse_cluster(large_cluster_toml(args.hosts), "bench.toml"), 1)
    measure(f"generated {args.hosts}", large, host_name(7), host_name(13))


if __name__ == "__main__":
    main()
