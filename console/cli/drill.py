"""`cluster-console drill FILE... [--json] [--junit OUT.xml] [--record REC.jsonl] [--do "T
COMMAND"]...`: drills run headless, a report each (`--do`: the operator's commands, for a drill
whose fix is not in its steps); and `cluster-console drill FILE --interactive [--report OUT.txt]
[--record REC.jsonl]`: the drill in the console, the operator answering with keys.

`--journal PATH` journals the run (console.formats.journal): a headless run only when given,
an interactive drill always (by default a new journal in the journal folder; `--no-journal`:
none)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from console.cli.options import (
    Inputs,
    check_journal,
    check_outputs,
    check_speed,
    cluster_inputs,
    parser,
    refuse_options,
    write_output,
)
from console.cli.say import say
from console.cli.terminal import check_terminal
from console.drills import (
    Drill,
    DrillSession,
    Report,
    junit_xml,
    load_drill,
    render_json,
    render_text,
)
from console.drills.live import default_report_path
from console.errors import InputError
from console.formats.drill import DrillSource, read_drill_source
from console.formats.recording import Recorder
from console.formats.timed import ScheduleError, TimedCommand, parse_timed
from console.model.engine import Engine

if TYPE_CHECKING:  # imported where a journal is written: a plain run does not load SQLite
    from console.formats.journal import JournalWriter

#: Exit status when an expectation failed (or an interactive drill was left before its end).
EXIT_FAILED = 1


def run(argv: Sequence[str]) -> int:
    """Run the sub-command: exit status 0 when every expectation of every drill passed, 1 when
    one failed. Raises `InputError` for a bad option or drill file, before any drill runs."""
    options = parser("drill", "Run drills headless and report on their expectations. Exit "
                              "status 0 when all pass, 1 when one fails, 2 for a bad file.")
    options.add_argument("files", nargs="+", metavar="FILE", help="drill files (TOML)")
    options.add_argument("--json", action="store_true",
                         help="one JSON report per drill, one per line")
    options.add_argument("--junit", metavar="OUT.xml",
                         help="also write a JUnit XML report (one test case per expectation)")
    options.add_argument("--do", action="append", default=[], metavar='"T COMMAND"',
                         help="headless: the operator's command at T simulated seconds (one "
                              "drill; repeatable), scored as if typed in the console: how an "
                              "`interactive = true` drill, whose fix is not in its steps, is "
                              "run without the console")
    options.add_argument("--record", metavar="REC.jsonl",
                         help="record the run (one drill only); replay it with "
                              "`cluster-console replay REC.jsonl [--headless]`")
    options.add_argument("--interactive", action="store_true",
                         help="run the drill in the console (one drill): steps arrive on "
                              "schedule, you answer with keys, the drill panel scores live")
    options.add_argument("--report", metavar="OUT.txt",
                         help="write the text report here (one drill; with --interactive the "
                              "default is NAME.report.txt next to the drill file)")
    options.add_argument("--speed", type=float, default=None, metavar="X",
                         help="with --interactive: simulated seconds per real second "
                              "(default 1)")
    options.add_argument("--paused", action="store_true",
                         help="with --interactive: start with the clock paused")
    options.add_argument("--no-confirm", action="store_true",
                         help="with --interactive: do not ask before destructive keys")
    options.add_argument("--journal", metavar="PATH",
                         help="write the run's journal here (a new file; one drill); with "
                              "--interactive the default is a new one in the journal folder")
    options.add_argument("--no-journal", action="store_true",
                         help="with --interactive: keep no journal of the session")
    args = options.parse_args(argv)
    one = [name for name, given in (("--record", args.record), ("--report", args.report),
                                    ("--interactive", args.interactive), ("--do", args.do),
                                    ("--journal", args.journal))
           if given not in (None, False, [])]
    if one and len(args.files) > 1:
        raise InputError(f"{one[0]} takes one drill at a time")
    if args.interactive and args.json:
        raise InputError("--json is for headless runs; --interactive shows the report on "
                         "screen and saves it as text")
    if not args.interactive:
        refuse_options({"--speed": args.speed, "--paused": args.paused,
                        "--no-confirm": args.no_confirm, "--no-journal": args.no_journal},
                       "goes with --interactive")
    elif args.do:
        raise InputError("--do is for headless runs; with --interactive you are the operator")
    operator = _operator(args.do)
    if args.speed is not None:
        check_speed(args.speed)
    if args.interactive:
        drill = _interactive_drill(args.files[0])
        _check_outputs([drill], args)
        return _interactive(drill, args)
    drills = [load_drill(path) for path in args.files]
    _check_operator(drills[0], operator)
    _check_outputs(drills, args)
    reports = []
    for drill in drills:
        if drill.interactive and not operator:
            say(f"note: drill {drill.name} needs the operator (interactive = true): run it "
                "with --interactive, or give the operator's commands with --do")
        report = _run(drill, args.record, operator, args.journal)
        reports.append(report)
        sys.stdout.write(render_json(report) if args.json else render_text(report))
        if not args.json and drill is not drills[-1]:
            sys.stdout.write("\n")
        if args.report is not None:
            write_output(args.report, render_text(report), "--report")
    if args.junit is not None:
        write_output(args.junit, junit_xml(reports), "--junit")
    return 0 if all(r.passed for r in reports) else EXIT_FAILED


def _interactive_drill(path: str) -> Drill | DrillSource:
    """The drill to open in the console: checked now, or, when its cluster file is big (as
    the console's, console.ui.launch.ASYNC_LOAD_BYTES), read as far as its cluster's text and
    checked behind the loading screen, which then comes first (it came after seconds of
    checking). Raises `InputError` for a problem found now."""
    source = read_drill_source(path)
    from console.ui.launch import ASYNC_LOAD_BYTES  # Textual: see console.cli

    return source if len(source.cluster_text) > ASYNC_LOAD_BYTES else load_drill(path)


def _interactive(drill: Drill | DrillSource, args: argparse.Namespace) -> int:
    """The console on the drill; exit status as headless (0 passed, 1 failed), 1 when the
    operator quit before the drill's end (no report)."""
    from console.ui.launch import load_settings, open_drill_console  # Textual: see console.cli

    themes, keymap = load_settings(None)
    check_terminal("drill --interactive")
    mode = open_drill_console(drill, report=args.report, record=args.record,
                              speed=1.0 if args.speed is None else args.speed,
                              paused=args.paused, confirm=not args.no_confirm,
                              themes=themes, keymap=keymap, journal=args.journal,
                              default_journal=not args.no_journal)
    if mode is None:
        say(f"drill {drill.name} left while its cluster was loading: no report")
        return EXIT_FAILED
    report = mode.report
    if report is None:
        say(f"drill {drill.name} ended at {mode.session.now:.0f} s, before its end "
            f"({mode.drill.duration:g} s): no report")
        return EXIT_FAILED
    verdict = "PASSED" if report.passed else f"FAILED ({report.failures} failed)"
    where = (f"report saved to {mode.saved}" if mode.saved is not None
             else f"report NOT saved: {mode.save_error}")
    print(f"drill {report.drill} {verdict}; {where}")
    if args.junit is not None:
        write_output(args.junit, junit_xml([report]), "--junit")
    return 0 if report.passed else EXIT_FAILED


def _check_outputs(drills: Sequence[Drill | DrillSource], args: argparse.Namespace) -> None:
    """Before any drill runs: `--record`, `--junit` and `--report` (with `--interactive`, the
    report's default place next to the drill file too) name none of the inputs (each drill
    file, the cluster file it names and that file's trace folder) and can be written."""
    inputs: Inputs = []
    for drill in drills:
        inputs.append(drill.path)
        inputs += cluster_inputs(drill.cluster_file, drill.cluster_text)
    report = args.report
    if args.interactive and report is None:
        report = str(default_report_path(drills[0]))
    outputs = {"--record": args.record, "--junit": args.junit, "--report": report}
    check_outputs(outputs, inputs)
    check_journal(args.journal, args.no_journal, inputs, outputs)


def _operator(texts: list[str]) -> list[TimedCommand]:
    """The `--do` options read."""
    try:
        return [parse_timed(text) for text in texts]
    except ScheduleError as error:
        raise InputError(f"--do {error}") from None


def _check_operator(drill: Drill, operator: list[TimedCommand]) -> None:
    """Every `--do` falls within the drill."""
    late = [c for c in operator if c.t > drill.duration]
    if late:
        raise InputError(f"--do {late[0].text()!r} is after the end of the drill "
                         f"(duration_s = {drill.duration:g})")


def _run(drill: Drill, record: str | None, operator: list[TimedCommand],
         journal: str | None = None) -> Report:
    """One headless run with the operator's commands, recorded to `record` and journaled to
    `journal` if given."""
    if record is None and journal is None:
        return DrillSession(drill).run(operator)
    engine = Engine(drill.build_cluster(), drill.seed)
    header = {"seed": drill.seed, "cluster_file": drill.cluster_file,
              "cluster": drill.recorded_cluster_text, "created_by": "drill",
              "drill": drill.name, "traces": engine.cluster.traces,
              "drill_file": drill.self_contained_text()}
    with contextlib.ExitStack() as stack:
        recorder = writer = None
        if record is not None:
            try:
                recorder = Recorder(record, **header)
            except OSError as error:
                raise InputError(f"--record {record}: cannot write: "
                                 f"{error.strerror or error}") from None
            recorder.attach(engine)
            stack.enter_context(recorder)
        if journal is not None:  # what the run did: clock steps, skipped headless, are not
            writer = _journal(journal, engine, header, stack)
        report = DrillSession(drill, engine,
                              on_clock=None if recorder is None else recorder.clock,
                              on_submit=None if writer is None else writer.command
                              ).run(operator)
        if recorder is not None:
            recorder.close(drill.duration)
        if writer is not None:
            writer.close(drill.duration)
            if writer.error is not None:
                raise InputError(f"--journal {writer.error}")
    return report


def _journal(path: str, engine: Engine, header: dict[str, Any],
             stack: contextlib.ExitStack) -> JournalWriter:
    """The headless run's journal at `path` (`JournalError` when it cannot be created), cut
    short (no end line) if the run stops midway."""
    from console.formats.journal import JournalWriter

    writer = JournalWriter(path, events=engine.log.events, header=header)
    stack.callback(lambda: writer.close(engine.now, clean=False))  # nothing once closed
    return writer
