"""`cluster-console simulate [CLUSTER] [--seed N] [--for SECONDS] [--do "T COMMAND"]... [--json]
[--record REC.jsonl]`: a headless run, its event log and a summary of the final state."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from console.cli.options import check_outputs, cluster_inputs, parser, seed_option
from console.errors import InputError
from console.formats.cluster import parse_cluster
from console.formats.event_log import render_json, render_text
from console.formats.recording import record_engine
from console.formats.timed import MAX_TIME_S, ScheduleError, TimedCommand, parse_timed
from console.formats.toml import read_file
from console.model.engine import Engine
from console.paths import DEFAULT_CLUSTER
from console.replay import run as run_steps


def run(argv: Sequence[str]) -> int:
    """Run the sub-command; its output on stdout, exit status 0. Raises `InputError` for a bad
    option, `--do`, cluster file or `--record` path, before anything is printed."""
    options = parser("simulate", "Run a cluster headless and print its event log and summary.")
    options.add_argument("cluster", nargs="?", default=str(DEFAULT_CLUSTER),
                         help="cluster file (default: the seed cluster)")
    options.add_argument("--seed", default="0", metavar="N",
                         help="random seed, 0 to 4294967295 (default 0)")
    options.add_argument("--for", dest="duration", type=float, default=300.0,
                         metavar="SECONDS", help="simulated seconds to run (default 300)")
    options.add_argument("--do", action="append", default=[], metavar='"T COMMAND"',
                         help='a command at simulated time T, e.g. "60 fail-node B"; repeatable')
    options.add_argument("--json", action="store_true",
                         help="one JSON object per event, then the summary")
    options.add_argument("--record", metavar="REC.jsonl",
                         help="record the run; `cluster-console replay REC.jsonl --headless` "
                              "prints the same output")
    args = options.parse_args(argv)
    if not 0 <= args.duration <= MAX_TIME_S:  # NaN fails both
        raise InputError(f"--for must be from 0 to {MAX_TIME_S:.0f} seconds (30 days), "
                         f"got {args.duration:g}")
    seed = seed_option(args.seed)
    steps = _steps(args.do, args.duration)
    text = read_file(args.cluster)  # read once: the run and its recording see the same text
    engine = Engine(parse_cluster(text, args.cluster), seed)
    if args.record is not None:
        check_outputs({"--record": args.record}, cluster_inputs(args.cluster, text))
    run_steps(engine, args.duration, steps)
    if args.record is not None:
        _record(args.record, engine, args.cluster, text, args.duration)
    sys.stdout.write(render_json(engine) if args.json else render_text(engine))
    return 0


def _steps(texts: list[str], duration: float) -> list[TimedCommand]:
    """The `--do` options read, each within the run."""
    try:
        steps = [parse_timed(text) for text in texts]
    except ScheduleError as error:
        raise InputError(f"--do {error}") from None
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
