"""`cluster-console simulate [CLUSTER | DRILL] [--seed N] [--for SECONDS] [--do "T COMMAND"]...
[--json] [--record REC.jsonl] [--journal PATH]`: a headless run, its event log and a summary of
the final state.

Given a drill file (a TOML file with a `[drill]` table), the run is the drill's: its cluster, its
steps (clock steps skipped, as a headless drill skips them), its seed and its duration; `--seed`
and `--for` given on the command line win over the drill's, and `--do` commands are added to its
steps (at one instant, after them). So `simulate DRILL.toml` prints the log `drill` runs on.

`--journal PATH` writes the run's journal (console.formats.journal) as it goes: each command as
it is submitted, with the events it caused; the end line when the run is complete."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from console.cli.options import (
    Inputs,
    add_journal_options,
    check_journal,
    check_outputs,
    cluster_inputs,
    parser,
    seed_option,
)
from console.drills import parse_drill
from console.errors import InputError
from console.formats.cluster import parse_cluster
from console.formats.drill import is_drill
from console.formats.event_log import render_json, render_text
from console.formats.recording import record_engine
from console.formats.timed import MAX_TIME_S, ScheduleError, TimedCommand, parse_timed
from console.formats.toml import read_file
from console.model.cluster import Cluster
from console.model.engine import Engine
from console.model.kernel import Outcome
from console.paths import DEFAULT_CLUSTER
from console.replay import run as run_steps


def run(argv: Sequence[str]) -> int:
    """Run the sub-command; its output on stdout, exit status 0. Raises `InputError` for a bad
    option, `--do`, cluster file or `--record` path, before anything is printed."""
    options = parser("simulate", "Run a cluster headless and print its event log and summary.")
    options.add_argument("cluster", nargs="?", default=str(DEFAULT_CLUSTER),
                         help="cluster file (default: the seed cluster), or a drill file: its "
                              "cluster, steps, seed and duration")
    options.add_argument("--seed", default=None, metavar="N",
                         help="random seed, 0 to 4294967295 (default: the drill's, else 0)")
    options.add_argument("--for", dest="duration", type=float, default=None,
                         metavar="SECONDS",
                         help="simulated seconds to run (default: the drill's, else 300)")
    options.add_argument("--do", action="append", default=[], metavar='"T COMMAND"',
                         help='a command at simulated time T, e.g. "60 fail-node B"; repeatable')
    options.add_argument("--json", action="store_true",
                         help="one JSON object per event, then the summary")
    options.add_argument("--record", metavar="REC.jsonl",
                         help="record the run; `cluster-console replay REC.jsonl --headless` "
                              "prints the same output")
    add_journal_options(options, default=False)
    args = options.parse_args(argv)
    if args.duration is not None and not 0 <= args.duration <= MAX_TIME_S:  # NaN fails both
        raise InputError(f"--for must be from 0 to {MAX_TIME_S:.0f} seconds (30 days), "
                         f"got {args.duration:g}")
    seed = None if args.seed is None else seed_option(args.seed)
    do = _steps(args.do)
    text = read_file(args.cluster)  # read once: the run and its recording see the same text
    run = (_drill_run(args.cluster, text, seed, args.duration) if is_drill(text, args.cluster)
           else _cluster_run(args.cluster, text, seed, args.duration))
    run.steps += _within(do, run.duration)
    if args.record is not None:
        check_outputs({"--record": args.record}, run.inputs)
    check_journal(args.journal, False, run.inputs, {"--record": args.record})
    engine = Engine(run.build(), run.seed)
    if args.journal is None:
        run_steps(engine, run.duration, run.steps)
    else:
        _journaled(args.journal, engine, run, do)
    if args.record is not None:
        _record(args.record, engine, run.cluster_file, run.cluster_text, run.duration)
    sys.stdout.write(render_json(engine) if args.json else render_text(engine))
    return 0


@dataclass
class _Run:
    """What to run: the cluster (`build`), seed, duration (simulated seconds) and timed steps;
    the cluster file and text a recording embeds; the files read (no output may name them)."""

    build: Callable[[], Cluster]
    seed: int
    duration: float
    steps: list[TimedCommand]
    cluster_file: str
    cluster_text: str
    inputs: Inputs


def _cluster_run(path: str, text: str, seed: int | None, duration: float | None) -> _Run:
    """A cluster file: seed 0 and 300 s unless given."""
    cluster = parse_cluster(text, path)
    return _Run(lambda: cluster, 0 if seed is None else seed,
                300.0 if duration is None else duration, [], path, text,
                cluster_inputs(path, text))


def _drill_run(path: str, text: str, seed: int | None, duration: float | None) -> _Run:
    """A drill file: its cluster and steps (clock steps skipped), its seed and duration unless
    given. A step after the end of the run is refused."""
    drill = parse_drill(text, path)
    end = drill.duration if duration is None else duration
    late = [s for s in drill.steps if s.at > end]
    if late:
        raise InputError(f"{path}: step {late[0].number} ({late[0].command.text()!r} at "
                         f"{late[0].at:g} s) is after the end of the run (--for {end:g})")
    steps = [TimedCommand(s.at, s.command) for s in drill.steps if not s.clock]
    inputs = [drill.path, *cluster_inputs(drill.cluster_file, drill.cluster_text)]
    return _Run(drill.build_cluster, drill.seed if seed is None else seed, end, steps,
                drill.cluster_file, drill.recorded_cluster_text, inputs)


def _journaled(path: str, engine: Engine, run: _Run, do: list[TimedCommand]) -> None:
    """The run, journaled at `path` as it goes (the `--do` commands as the operator's, a
    drill's steps as the drill's). Raises `JournalError` when the journal cannot be created;
    a run stopped midway (a signal) leaves its journal cut short, without its end line."""
    from console.formats.journal import JournalWriter
    from console.session import DRILL, OPERATOR

    journal = JournalWriter(path, events=engine.log.events, header={
        "seed": run.seed, "cluster_file": run.cluster_file, "cluster": run.cluster_text,
        "created_by": "simulate", "traces": engine.cluster.traces})
    operator = {id(step) for step in do}

    def submitted(step: TimedCommand, outcome: Outcome) -> None:
        journal.command(step.t, step.command, outcome,
                        OPERATOR if id(step) in operator else DRILL)

    clean = False
    try:
        run_steps(engine, run.duration, run.steps, on_submit=submitted)
        clean = True
    finally:
        journal.close(run.duration, clean=clean)
    if journal.error is not None:
        raise InputError(f"--journal {journal.error}")


def _steps(texts: list[str]) -> list[TimedCommand]:
    """The `--do` options read."""
    try:
        return [parse_timed(text) for text in texts]
    except ScheduleError as error:
        raise InputError(f"--do {error}") from None


def _within(steps: list[TimedCommand], duration: float) -> list[TimedCommand]:
    """`steps`, each within the run (else InputError)."""
    late = [s for s in steps if s.t > duration]
    if late:
        raise InputError(f"--do {late[0].text()!r} is after the end of the run "
                         f"(--for {duration:g})")
    return steps


def _record(path: str, engine: Engine, cluster_file: str, text: str, duration: float) -> None:
    """Write the finished run's recording (`text`, the cluster file's text as the run read it,
    embedded), atomically."""
    try:
        record_engine(path, engine, cluster_file=cluster_file, cluster=text,
                      created_by="simulate", end=duration)
    except OSError as error:
        raise InputError(f"--record {path}: cannot write: {error.strerror or error}") from None
