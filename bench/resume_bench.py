"""Resuming a day-long journal of the seed cluster: how long does `cluster-console resume` take?

    python bench/resume_bench.py [--repeat N] [--keep JOURNAL]

A console-like session (a Session journaling to SQLite, as the console journals, time passing
in one-second steps) runs 86,400 simulated seconds of the seed cluster with an operator's
command every 5 minutes (287 commands: a crash and its repair, a forced maintenance and its end,
a partition and its healing, a forced SQL failover, a rebalance, in turn on hosts A, B, C), and
ends without its end line, as a killed session does. Then, the best of N runs each:

* read: `read_journal` (the header, every entry and every event, read-only);
* restore, headless: `restore_engine` (the replay of the 287 commands to the committed time and
  its check against every journaled event), what `resume --headless` does before printing;
* restore, console: `restore_session` (the same through a Session), what `resume` does before
  the screen opens;
* the plain replay without the check (`console.replay.run` of the same commands: what
  `simulate` runs), for the cost of the check.

CPU seconds with `time.process_time` (the restore runs in one thread), wall seconds beside them.
Also printed: the journal's size, its entries and events, and the CPU the session's thread and
the journal's writer thread took to write it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import machine  # noqa: E402

from console.formats.cluster import parse_cluster  # noqa: E402
from console.formats.journal import JournalWriter, read_journal  # noqa: E402
from console.formats.timed import TimedCommand  # noqa: E402
from console.formats.toml import read_file  # noqa: E402
from console.journal import restore_engine, restore_session  # noqa: E402
from console.model.commands import parse  # noqa: E402
from console.model.engine import Engine  # noqa: E402
from console.paths import DEFAULT_CLUSTER  # noqa: E402
from console.replay import run  # noqa: E402
from console.session import Session  # noqa: E402

DAY = 24 * 3600
EVERY = 300
HOSTS = ("A", "B", "C")


def operator_commands() -> list[tuple[float, str]]:
    """A command every `EVERY` simulated seconds over a day, in cycles of eight."""
    commands: list[tuple[float, str]] = []
    for number, t in enumerate(range(EVERY, DAY, EVERY)):
        cycle, step = divmod(number, 8)
        crash, maint, cut = (HOSTS[(cycle + k) % 3] for k in range(3))
        commands.append((float(t), (f"fail-node {crash}", f"power-on {crash}",
                                    f"maintenance {maint} on --force", f"maintenance {maint} off",
                                    f"isolate {cut}", f"reconnect {cut}", "failover sql",
                                    "rebalance")[step]))
    return commands


def write_journal(path: Path) -> tuple[float, int]:
    """The day-long session journaled at `path`, killed at its end; (CPU seconds, commands)."""
    text = read_file(DEFAULT_CLUSTER)
    session = Session(Engine(parse_cluster(text, str(DEFAULT_CLUSTER)), 0), paused=True)
    journal = JournalWriter(path, events=session.engine.log.events, header={
        "seed": 0, "cluster_file": str(DEFAULT_CLUSTER), "cluster": text,
        "created_by": "console"})
    session.keep_journal(journal)
    commands = operator_commands()
    start = time.process_time()
    due = 0
    while session.now < DAY:
        session.run_for(1.0)
        while due < len(commands) and commands[due][0] <= session.now:
            session.submit(parse(commands[due][1]))
            due += 1
    journal.sync(session.now)
    journal.close(clean=False)  # killed: no end line
    return time.process_time() - start, len(commands)


def best(repeat: int, action: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the fastest of `repeat` runs of `action`."""
    found: list[tuple[float, float]] = []
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        action()
        found.append((time.process_time() - cpu, time.perf_counter() - wall))
    return min(found)


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    options.add_argument("--repeat", type=int, default=3)
    options.add_argument("--keep", type=Path, help="write the journal here and keep it")
    args = options.parse_args()
    print(machine())
    folder = tempfile.TemporaryDirectory()
    path = args.keep or Path(folder.name) / "day.journal"
    written_cpu, commands = write_journal(path)
    state = read_journal(path)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(f"journal: {commands} commands over {state.t:,.0f} simulated s, "
          f"{len(state.recording.entries)} entries, {len(state.events):,} events, "
          f"{size / 1e6:.2f} MB (with its -wal); written in {written_cpu:.2f} s CPU "
          "(session and writer threads)")
    steps = [TimedCommand(t, c) for t, c in state.recording.commands()]

    def plain() -> None:
        run(state.recording.build_engine(), state.t, steps)

    for label, action in (("read_journal", lambda: read_journal(path)),
                          ("restore headless (replay + check)",
                           lambda: restore_engine(read_journal(path), path)),
                          ("restore for the console (replay + check)",
                           lambda: restore_session(read_journal(path), path)),
                          ("plain replay, no check (simulate)", plain)):
        cpu, wall = best(args.repeat, action)
        print(f"{label:<42} {cpu:6.2f} s CPU  {wall:6.2f} s wall  (best of {args.repeat})")
    folder.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
