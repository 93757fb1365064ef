"""Command-line entry point: `cluster-console [CLUSTER] [options]` and its sub-commands.

Bad input (a broken cluster file, an unreadable `--do`) prints one line naming what is wrong and
exits with status 2; nothing here lets a traceback reach the user for a mistake in their input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from console import __version__
from console.errors import EXIT_BAD_INPUT, InputError
from console.paths import DEFAULT_CLUSTER


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args and args[0] in SUBCOMMANDS:
            return SUBCOMMANDS[args[0]](args[1:])
        return run_console(args)
    except InputError as error:
        print(f"cluster-console: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


def run_console(argv: Sequence[str]) -> int:
    """The console itself: what `cluster-console [CLUSTER] [options]` opens."""
    from console.ui.launch import launch

    return launch(argv)


def _load(path: str, seed: int):
    """Build an engine on a cluster file; a bad file becomes an InputError."""
    from console.config import ConfigError, load_cluster
    from console.model.engine import Engine

    try:
        cluster = load_cluster(path)
    except ConfigError as error:
        raise InputError(str(error)) from None
    return Engine(cluster, seed)


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"cluster-console {prog}".strip(),
                                     description=description)
    parser.add_argument("--version", action="version", version=f"cluster-console {__version__}")
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """argparse exits with status 2 on bad arguments already; keep that, it matches ours."""
    return parser.parse_args(argv)


def simulate(argv: Sequence[str]) -> int:
    from console.simulation import ScheduleError, parse_timed, render_json, render_text, run

    parser = _parser("simulate", "Run a cluster headless and print its event log and summary.")
    parser.add_argument("cluster", nargs="?", default=str(DEFAULT_CLUSTER),
                        help="cluster file (default: the seed cluster)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--for", dest="duration", type=float, default=300.0,
                        metavar="SECONDS", help="simulated seconds to run (default 300)")
    parser.add_argument("--do", action="append", default=[], metavar='"T COMMAND"',
                        help='a command at simulated time T, e.g. "60 fail-node B"; repeatable')
    parser.add_argument("--json", action="store_true",
                        help="one JSON object per event, then the summary")
    parser.add_argument("--record", metavar="REC.jsonl",
                        help="record the run; `cluster-console replay REC.jsonl --headless` "
                             "prints the same output")
    args = _parse(parser, argv)
    if args.duration < 0:
        raise InputError(f"--for must be zero or more, got {args.duration:g}")
    try:
        steps = [parse_timed(text) for text in args.do]
    except ScheduleError as error:
        raise InputError(f"--do {error}") from None
    late = [s for s in steps if s.t > args.duration]
    if late:
        raise InputError(f"--do {late[0].text()!r} is after the end of the run "
                         f"(--for {args.duration:g})")
    engine = _load(args.cluster, args.seed)
    run(engine, args.duration, steps)
    if args.record:
        _record(args.record, engine, args.cluster, args.duration)
    sys.stdout.write(render_json(engine) if args.json else render_text(engine))
    return 0


def validate(argv: Sequence[str]) -> int:
    from console.config import ConfigError, load_cluster, summarize

    parser = _parser("validate", "Check cluster files; exit 0 if all are good, else 2.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = _parse(parser, argv)
    status = 0
    for path in args.files:
        try:
            print(f"{path}: ok: {summarize(load_cluster(path))}")
        except ConfigError as error:
            print(str(error), file=sys.stderr)
            status = EXIT_BAD_INPUT
    return status


def _record(path: str, engine, cluster_file: str, duration: float) -> None:
    from pathlib import Path

    from console.recording import record_engine

    try:
        record_engine(path, engine, cluster_file=cluster_file,
                      cluster=Path(cluster_file).read_text(encoding="utf-8"),
                      created_by="simulate", end=duration)
    except OSError as error:
        raise InputError(f"--record {path}: cannot write: {error.strerror or error}") from None


def drill(argv: Sequence[str]) -> int:
    from console.drills.cli import drill_main

    return drill_main(argv)


def replay(argv: Sequence[str]) -> int:
    from console.recording import replay_main

    return replay_main(argv)


SUBCOMMANDS = {"simulate": simulate, "validate": validate, "drill": drill, "replay": replay}
