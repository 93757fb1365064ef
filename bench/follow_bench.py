"""Followers (console.follow): how far behind the leader, and how long a late one takes to catch up.

    python bench/follow_bench.py [--commands N] [--followers K] [--part lag|catch-up|both]

**Lag.** A leader Session on the seed cluster journals to a file (console.formats.journal, its
writer thread) in this process; K followers (default 2) follow it, each in a process of its
own, polling every `console.follow.POLL_S` real seconds as the console does, headless. The
leader gives N commands (default 200: maintenance on and off, migrations, VM power, crashes and
repairs, accepted or refused as the model decides), each after 0 to 0.25 real seconds and 1 to
10 simulated seconds of time passing, and notes when each command's transaction is committed
(`JournalWriter.sync` returns). A follower notes when its model has played that command (after
the `play` that applied it). The lag is the difference (both clocks are the system's monotonic
clock); printed per follower: median, p90 and max, the CPU a follower spends per poll, and
whether its model ended with the leader's event log. The poll period is the floor of the
median: a commit waits for the next poll, `POLL_S / 2` on average.

**Catch-up.** A day-long seed journal (every two hours a crash and its repair, a maintenance
window, a partition and its healing, a failover, a rebalance: 96 commands) is written at full
speed, then a late follower opens it: reader, the first poll (every entry and event) and the
replay, wall and CPU seconds (`time.process_time`). The issue asks that a day-long seed journal
opens in about a second.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import machine  # noqa: E402

from console.follow import POLL_S, Follower, open_reader  # noqa: E402
from console.formats.cluster import parse_cluster  # noqa: E402
from console.formats.journal import JournalWriter  # noqa: E402
from console.formats.toml import read_file  # noqa: E402
from console.model.commands import parse  # noqa: E402
from console.model.engine import Engine  # noqa: E402
from console.paths import DEFAULT_CLUSTER  # noqa: E402
from console.session import Session  # noqa: E402

SEED_TEXT = read_file(DEFAULT_CLUSTER)
COMMANDS = ("maintenance B on", "maintenance B off", "migrate web01", "vm-power app01 off",
            "vm-power app01 on", "fail-node C", "power-on C", "failover sql", "rebalance",
            "isolate A", "reconnect A")
DAY = 24 * 3600
CYCLE = 2 * 3600
HOSTS = ("A", "B", "C")


def leader(path: Path) -> tuple[Session, JournalWriter]:
    """A seed-cluster session journaling to `path`, paused (the benchmark moves its time)."""
    session = Session(Engine(parse_cluster(SEED_TEXT, "seed.toml"), 0), paused=True)
    journal = JournalWriter(path, events=session.engine.log.events,
                            header={"seed": 0, "cluster_file": "seed.toml",
                                    "cluster": SEED_TEXT, "created_by": "console"})
    session.keep_journal(journal)
    journal.sync(0.0)
    return session, journal


def follow(path: str, results: multiprocessing.Queue) -> None:
    """A follower process: poll every POLL_S until the leader's end is played; put (when each
    command was played, CPU per poll, the event log) on `results`."""
    follower = Follower(open_reader(path))
    played: list[float] = []
    polls = 0
    cpu = time.process_time()
    while not follower.over:
        follower.poll()
        follower.play()
        polls += 1
        now = time.monotonic()
        while len(played) < follower.player.applied:
            played.append(now)
        time.sleep(POLL_S)
    results.put((played, (time.process_time() - cpu) / max(1, polls),
                 [e.as_dict() for e in follower.session.engine.log.events]))


def lag(commands: int, followers: int, folder: Path) -> None:
    path = folder / "lag.journal"
    session, journal = leader(path)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    workers = [context.Process(target=follow, args=(str(path), results))
               for _ in range(followers)]
    for worker in workers:
        worker.start()
    time.sleep(2.0)  # the followers are up and polling (spawned interpreters import first)
    pick = random.Random(13)
    committed: list[float] = []
    for n in range(commands):
        time.sleep(pick.uniform(0.0, 0.25))
        for _ in range(pick.randint(1, 10)):
            session.run_for(1)
        session.submit(parse(COMMANDS[n % len(COMMANDS)]))
        journal.sync(session.now)
        committed.append(time.monotonic())
    session.close()
    events = [e.as_dict() for e in session.engine.log.events]
    print(f"lag: {commands} commands over {session.now:g} simulated s, {followers} followers "
          f"polling every {POLL_S:g} s")
    for number in range(followers):
        played, cpu, log = results.get(timeout=60)
        lags = [(p - c) * 1000 for p, c in zip(played, committed, strict=True)]
        lags.sort()
        print(f"  follower {number + 1}: lag median {statistics.median(lags):.0f} ms, p90 "
              f"{lags[int(len(lags) * 0.9)]:.0f} ms, max {lags[-1]:.0f} ms; CPU per poll "
              f"{cpu * 1000:.2f} ms; event log equal to the leader's: {log == events}")
    for worker in workers:
        worker.join()


def day_steps() -> list[tuple[float, str]]:
    """The day's commands: every two hours, on a host taken in turn, as bench/drill_bench.py."""
    steps: list[tuple[float, str]] = []
    for cycle in range(DAY // CYCLE):
        base = cycle * CYCLE
        crash, maint, cut = (HOSTS[(cycle + k) % 3] for k in range(3))
        steps += [(base + 300, f"fail-node {crash}"), (base + 1800, f"power-on {crash}"),
                  (base + 2700, f"maintenance {maint} on --force"),
                  (base + 3900, f"maintenance {maint} off"), (base + 4800, f"isolate {cut}"),
                  (base + 5400, f"reconnect {cut}"), (base + 6300, "failover sql"),
                  (base + 6900, "rebalance")]
    return steps


def catch_up(folder: Path) -> None:
    path = folder / "day.journal"
    session, journal = leader(path)
    for at, text in day_steps():
        session.run_for(at - session.now)
        session.submit(parse(text))
    session.run_for(DAY - session.now)
    journal.sync(session.now)  # still live: the follower comes late to a running session
    wall, cpu = time.perf_counter(), time.process_time()
    follower = Follower(open_reader(path))
    follower.poll()
    follower.play()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    equal = follower.session.engine.log.events == session.engine.log.events
    print(f"catch-up: a day-long seed journal ({len(day_steps())} commands, "
          f"{len(session.engine.log.events)} events) opened by a late follower in "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU; event log equal: {equal}")
    session.close()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--commands", type=int, default=200)
    options.add_argument("--followers", type=int, default=2)
    options.add_argument("--part", choices=("lag", "catch-up", "both"), default="both")
    args = options.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="follow-bench-") as folder:
        if args.part in ("lag", "both"):
            lag(args.commands, args.followers, Path(folder))
        if args.part in ("catch-up", "both"):
            catch_up(Path(folder))


if __name__ == "__main__":
    main()
