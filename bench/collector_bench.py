"""Cycle-collector benchmark: how long Python's full collector passes take in the console, and
what freezing the survivors of every full pass would leak (console.collector's policy).

    python bench/collector_bench.py                  # both parts, both policies
    python bench/collector_bench.py --part churn     # 40,000-VM churn only (--hosts, --vms)
    python bench/collector_bench.py --part modals    # modal screens opened and closed only

Each policy runs in a child process of its own (frozen objects are never freed), headless
under Textual's Pilot, with the collector held from the start as the command line holds it:

* `first-frame`: the console's policy. Held until the main screen's first full frame, then what
  exists (the model, the tables) frozen, and the survivors of the first full pass after it;
  nothing frozen after.
* `callback`: the same, and the survivors of every full pass frozen as well (a `gc.callbacks`
  entry), the policy this one replaced.

Part churn: the flat 2,000-host / 40,000-VM cluster (benchlib.flat_cluster_text), then the churn
of bench/console_bench.py one simulated second at a time with a key each second: `fail-node
h0007`, 30 s later `maintenance h0013 on`, until h0013 is in maintenance. Every collector pass
is timed with a `gc.callbacks` entry (CPU time of the thread); last, one
full pass on demand (`gc.collect()`). Part modals: the seed cluster; the details screen and the
help screen each opened and closed `--modals` times; how many objects are frozen afterwards
(`gc.get_freeze_count`), the traced memory grown (tracemalloc), and the objects that were
garbage all along, found once unfrozen (what the policy leaked).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from benchlib import flat_cluster_text, flat_host_name, machine  # noqa: E402

from console import collector  # noqa: E402

POLICIES = ("first-frame", "callback")


def freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """The replaced policy: at the end of a full pass, freeze what survived it."""
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


class PassTimer:
    """A `gc.callbacks` entry recording each pass's generation and milliseconds of this thread's
    CPU (time.thread_time: others' programs on the machine do not count)."""

    def __init__(self) -> None:
        self.passes: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            self.passes.append((info["generation"], (time.thread_time() - self._started) * 1e3))

    def summary(self) -> dict:
        out: dict = {}
        for generation in (0, 1, 2):
            times = sorted(ms for g, ms in self.passes if g == generation)
            out[f"gen{generation}"] = {
                "count": len(times), "max_ms": round(times[-1], 1) if times else None,
                "median_ms": round(times[len(times) // 2], 1) if times else None}
        return out


async def first_frame(app, pilot) -> None:
    """Wait for the main screen's first full frame: the footer has released the collector."""
    from console.ui.screens.main import MainScreen

    while not (isinstance(app.screen, MainScreen) and gc.isenabled()):
        await pilot.pause()


def console_app(session):
    from console.ui.app import ConsoleApp

    app = ConsoleApp(session, confirm=False, theme="dark")
    app.animation_level = "none"
    return app


async def churn(policy: str, hosts: int, vms: int) -> dict:
    from console.formats.cluster import parse_cluster
    from console.model.commands import parse
    from console.model.engine import Engine
    from console.model.entities import NodeState
    from console.session import Session

    text = flat_cluster_text(hosts, vms)
    collector.hold()  # as the command line does
    session = Session(Engine(parse_cluster(text, "flat.toml"), 1), paused=True)
    app = console_app(session)
    timer = PassTimer()
    crash, evacuate = (flat_host_name(n, hosts) for n in (7, 13))
    async with app.run_test(size=(120, 40)) as pilot:
        await first_frame(app, pilot)
        if policy == "callback":
            gc.callbacks.append(freeze_survivors)
        gc.callbacks.insert(0, timer)  # first: an entry may remove itself
        frozen_at_start = gc.get_freeze_count()
        app.run_command(parse(f"fail-node {crash}"), quiet=True)
        seconds = 0
        node = app.engine.cluster.nodes[evacuate]
        while seconds < 300 and node.state is not NodeState.MAINTENANCE:
            if seconds == 30:
                app.run_command(parse(f"maintenance {evacuate} on"), quiet=True)
            app.advance(1.0)
            await pilot.press("down" if seconds % 2 else "up")
            seconds += 1
        gc.callbacks.remove(timer)
        started = time.thread_time()
        gc.collect()
        on_demand = (time.thread_time() - started) * 1e3
    return {"policy": policy, "simulated_s": seconds, "passes": timer.summary(),
            "full_pass_on_demand_ms": round(on_demand, 1), "frozen_at_first_frame":
            frozen_at_start, "frozen_at_end": gc.get_freeze_count()}


async def modals(policy: str, times: int, trace: bool) -> dict:
    from console.formats.cluster import load_cluster
    from console.model.engine import Engine
    from console.paths import SAMPLE_CLUSTERS
    from console.session import Session

    collector.hold()
    app = console_app(Session(Engine(load_cluster(SAMPLE_CLUSTERS / "seed.toml"), 0),
                              paused=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await first_frame(app, pilot)
        if policy == "callback":
            gc.callbacks.append(freeze_survivors)
        for key in ("enter", "escape", "question_mark", "escape"):  # every module imported
            await pilot.press(key)
        gc.collect()
        frozen = gc.get_freeze_count()
        if trace:
            tracemalloc.start()
        traced = tracemalloc.get_traced_memory()[0]
        for _ in range(times):
            await pilot.press("enter")  # the details of the node under the cursor
            await pilot.press("escape")
            await pilot.press("question_mark")
            await pilot.press("escape")
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - traced
        tracemalloc.stop()
        frozen_grown = gc.get_freeze_count() - frozen
        gc.unfreeze()
        leaked = gc.collect()
    return {"policy": policy, "opened": 2 * times, "frozen_grown": frozen_grown,
            "traced_grown_kb": round(grown / 1024) if trace else None,
            "garbage_found_once_unfrozen": leaked}


def child(args: argparse.Namespace) -> None:
    if args.part == "churn":
        result = asyncio.run(churn(args.policy, args.hosts, args.vms))
    else:
        result = asyncio.run(modals(args.policy, args.modals, args.trace))
    print(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("churn", "modals", "all"), default="all")
    parser.add_argument("--policy", choices=POLICIES, help=argparse.SUPPRESS)
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--vms", type=int, default=40000)
    parser.add_argument("--modals", type=int, default=500,
                        help="times each modal screen is opened and closed (500)")
    parser.add_argument("--no-trace", dest="trace", action="store_false",
                        help="modals without tracemalloc (it slows them about threefold)")
    args = parser.parse_args()
    if args.policy is not None:
        child(args)
        return 0
    print(machine())
    parts = ("churn", "modals") if args.part == "all" else (args.part,)
    for part in parts:
        for policy in POLICIES:
            done = subprocess.run(
                [sys.executable, __file__, "--part", part, "--policy", policy, "--hosts",
                 str(args.hosts), "--vms", str(args.vms), "--modals", str(args.modals),
                 *([] if args.trace else ["--no-trace"])],
                cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{part} {policy}: failed\n{done.stderr[-2000:]}")
                continue
            print(f"{part} {policy}: {done.stdout.splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
