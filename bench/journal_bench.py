"""The journal's cost: a simulated day of the seed cluster, journaled as the console journals it.

    python bench/journal_bench.py [--every SECONDS] [--time-commits console|limited] [--keep DIR]

A Session on the seed cluster (seed 0) runs 86,400 simulated seconds a second at a time, as the
console's clock steps it, with an operator's command every `--every` simulated seconds (default
300: 288 commands) from a fixed script (crashes and power-ons, live migrations, maintenance on
and off, VM power, isolation, a forced failover, a rebalance, a mark), each through the
session's one door, so the journal (console.formats.journal.JournalWriter) hears it as it hears
a key. Time commits: `console` (default) commits the time after every simulated second, as a
console at x1 does (its tick is a second, longer than TIME_COMMIT_S); `limited` only as often
as TIME_COMMIT_S allows in real time (a run as fast as the machine goes: a handful).

Prints the machine, then:
* size: the journal file and its WAL at the end of the day (the session still open), and the
  file after `close` (the WAL checkpointed into it and removed);
* the session's thread: what `JournalWriter.command()` costs per command (p50, p99, max, in
  µs: formatting the line, taking the events since the last one, queueing), and `time()` per
  call, in wall time and in the thread's own CPU time (the difference: waiting for the
  interpreter lock while the writer thread runs Python, and for the machine);
* the writer thread: the commit time per transaction (`BEGIN` .. `COMMIT`: the entry, its events,
  the progress), for commands and for time commits apart; and how long `close` waited for the
  queue to drain;
* the day's CPU time with the journal and, on a fresh run, without (the journal's total cost
  to the process, both threads).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import machine  # noqa: E402

from console.formats import journal as journal_format  # noqa: E402
from console.formats.cluster import parse_cluster  # noqa: E402
from console.formats.toml import read_file  # noqa: E402
from console.model.commands import parse  # noqa: E402
from console.model.engine import Engine  # noqa: E402
from console.paths import DEFAULT_CLUSTER  # noqa: E402
from console.session import Session  # noqa: E402

DAY = 86400
#: The operator's script, taken in turn (a mark every cycle too).
SCRIPT = (
    "fail-node A", "power-on A", "migrate web01 B", "maintenance C on", "maintenance C off",
    "vm-power app01 off", "vm-power app01 on", "isolate B", "reconnect B", "failover sql",
    "migrate sql02 C", "rebalance",
)


def percentile(values: list[float], share: float) -> float:
    """The `share` (0..1) percentile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def spread_us(values: list[float]) -> str:
    """p50 / p99 / max of `values` (seconds) in µs."""
    if not values:
        return "none"
    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
    return (f"p50 {p50 * 1e6:,.0f} µs, p99 {p99 * 1e6:,.0f} µs, max {max(values) * 1e6:,.0f} µs "
            f"(n = {len(values):,})")


def timed(calls: list[float], cpu: list[float], function: Callable[..., None]
          ) -> Callable[..., None]:
    """`function`, each call's wall time appended to `calls` and its CPU time on the calling
    thread (`time.thread_time`: without the waits for the interpreter lock the writer thread
    holds, or for the machine's other processes) to `cpu`."""
    def wrapper(*args: object, **kwargs: object) -> None:
        started, started_cpu = time.perf_counter(), time.thread_time()
        function(*args, **kwargs)
        calls.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    return wrapper


def session() -> Session:
    text = read_file(DEFAULT_CLUSTER)
    return Session(Engine(parse_cluster(text, str(DEFAULT_CLUSTER)), 0), paused=True)


def run_day(session: Session, every: float) -> int:
    """The day, a simulated second at a time, a command every `every` seconds; the commands
    given."""
    given = 0
    next_command = every
    for second in range(1, DAY + 1):
        session.run_for(1.0)
        if second >= next_command:
            session.submit(parse(SCRIPT[given % len(SCRIPT)]))
            if given % len(SCRIPT) == 0:
                session.mark(f"cycle {given // len(SCRIPT)}")
            given += 1
            next_command += every
    return given


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=300.0, metavar="SECONDS",
                        help="simulated seconds between the operator's commands (default 300)")
    parser.add_argument("--time-commits", choices=("console", "limited"), default="console",
                        help="console: a time commit per simulated second (x1); limited: as "
                             "TIME_COMMIT_S allows in real time")
    parser.add_argument("--keep", metavar="DIR", help="write the journal into DIR and keep it")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    if args.time_commits == "console":
        journal_format.TIME_COMMIT_S = 0.0

    # the day without a journal: the baseline CPU
    bare = session()
    cpu0 = time.process_time()
    run_day(bare, args.every)
    bare.close()
    bare_cpu = time.process_time() - cpu0

    commits: dict[str, list[float]] = {"command": [], "time": [], "other": []}
    commit = journal_format._commit

    def timed_commit(connection, item) -> None:  # the writer thread's transactions
        started = time.perf_counter()
        commit(connection, item)
        kind = ("command" if item.kind in ("command", "clock") else
                "time" if item.kind is None else "other")
        commits[kind].append(time.perf_counter() - started)

    journal_format._commit = timed_commit
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="journal-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"day-{os.getpid()}.journal"
    text = read_file(DEFAULT_CLUSTER)
    journaled = session()
    writer = journal_format.JournalWriter(
        path, events=journaled.engine.log.events,
        header={"seed": 0, "cluster_file": str(DEFAULT_CLUSTER), "cluster": text,
                "created_by": "console"})
    command_calls: list[float] = []
    command_cpu: list[float] = []
    time_calls: list[float] = []
    time_cpu: list[float] = []
    writer.command = timed(command_calls, command_cpu,  # type: ignore[method-assign]
                           writer.command)
    writer.time = timed(time_calls, time_cpu, writer.time)  # type: ignore[method-assign]
    journaled.keep_journal(writer)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    given = run_day(journaled, args.every)
    writer.sync(journaled.now)
    day_wall = time.perf_counter() - wall0
    open_size = size(path) + size(Path(f"{path}-wal"))
    wal = size(Path(f"{path}-wal"))
    drained = time.perf_counter()
    journaled.close()
    close_wait = time.perf_counter() - drained
    journal_cpu = time.process_time() - cpu0
    closed_size = size(path)
    events = len(journaled.engine.log.events)

    print(f"seed cluster, one simulated day ({DAY:,} s) a second at a time, {given} commands "
          f"(one every {args.every:g} s), {events:,} events; time commits: {args.time_commits}")
    print(f"size at the end, still open: {open_size:,} bytes (file {open_size - wal:,} + WAL "
          f"{wal:,}); after close: {closed_size:,} bytes "
          f"({closed_size / max(1, given):,.0f} bytes per command)")
    print(f"session's thread, command() wall: {spread_us(command_calls)}")
    print(f"session's thread, command() CPU:  {spread_us(command_cpu)}")
    print(f"session's thread, time() wall:    {spread_us(time_calls)}")
    print(f"session's thread, time() CPU:     {spread_us(time_cpu)}")
    print(f"writer thread, command commits: {spread_us(commits['command'])}")
    print(f"writer thread, time commits:    {spread_us(commits['time'])}; "
          f"{sum(commits['time']):.2f} s in all (the writer merges the time items queued "
          f"meanwhile: {len(time_calls):,} time() calls)")
    print(f"close waited {close_wait * 1e3:,.1f} ms for the queue; the day took "
          f"{day_wall:.2f} s wall with the journal")
    print(f"CPU for the day: {bare_cpu:.2f} s without a journal, {journal_cpu:.2f} s with it "
          f"(both threads; +{journal_cpu - bare_cpu:.2f} s)")
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        folder.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
