"""`cluster-console drill FILE... [--json] [--junit OUT.xml] [--record REC.jsonl]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from console import __version__

EXIT_FAILED = 1


def drill_main(argv: Sequence[str]) -> int:
    from console.cli import InputError
    from console.drills.loader import load_drill
    from console.drills.report import junit_xml, render_json, render_text
    from console.tomlcheck import ConfigError

    parser = argparse.ArgumentParser(
        prog="cluster-console drill",
        description="Run drills headless and report on their expectations. Exit status 0 when "
                    "all pass, 1 when one fails, 2 for a bad file.")
    parser.add_argument("--version", action="version", version=f"cluster-console {__version__}")
    parser.add_argument("files", nargs="+", metavar="FILE", help="drill files (TOML)")
    parser.add_argument("--json", action="store_true",
                        help="one JSON report per drill, one per line")
    parser.add_argument("--junit", metavar="OUT.xml",
                        help="also write a JUnit XML report (one test case per expectation)")
    parser.add_argument("--record", metavar="REC.jsonl",
                        help="record the run (one drill only); replay it with "
                             "`cluster-console replay REC.jsonl --headless`")
    args = parser.parse_args(argv)
    if args.record and len(args.files) > 1:
        raise InputError("--record takes one drill at a time")
    try:
        drills = [load_drill(path) for path in args.files]
    except ConfigError as error:
        raise InputError(str(error)) from None
    reports = []
    for drill in drills:
        report = _run(drill, args.record)
        reports.append(report)
        sys.stdout.write(render_json(report) if args.json else render_text(report))
        if not args.json and drill is not drills[-1]:
            sys.stdout.write("\n")
    if args.junit:
        try:
            Path(args.junit).write_bytes(junit_xml(reports))
        except OSError as error:
            raise InputError(f"--junit {args.junit}: cannot write: "
                             f"{error.strerror or error}") from None
    return 0 if all(r.passed for r in reports) else EXIT_FAILED


def _run(drill, record: str | None):
    from console.cli import InputError
    from console.drills.runner import DrillSession
    from console.model.engine import Engine
    from console.recording import Recorder

    if record is None:
        return DrillSession(drill).run()
    engine = Engine(drill.build_cluster(), drill.seed)
    try:
        recorder = Recorder(record, seed=drill.seed, cluster_file=drill.cluster_file,
                            cluster=drill.recorded_cluster_text, created_by="drill",
                            drill=drill.name)
    except OSError as error:
        raise InputError(f"--record {record}: cannot write: {error.strerror or error}") from None
    recorder.attach(engine)
    with recorder:
        report = DrillSession(drill, engine, on_clock=recorder.clock).run()
        recorder.close(drill.duration)
    return report
