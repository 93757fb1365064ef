"""`cluster-console journal --list [--json]`: the journals of the journal folder, newest first,
one line each; `cluster-console journal JOURNAL [--json]`: a short summary of one;
`cluster-console journal JOURNAL --recording OUT.jsonl`: the journal exported as a recording
(console.formats.journal.recording_text), to replay, cast or drill like any recording.

A journal is only read, never written (console.formats.journal opens it read-only): one that is
missing, not SQLite, another program's, of a newer format, damaged or being written by a live
session is refused in one line, exit status 2, the file left as it was, and no output written.
The output is checked like every output (console.cli.options.check_outputs: it names no input,
the journal included, and can be written) and written atomically."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from console.cli.options import check_outputs, parser, refuse_options, write_output
from console.errors import InputError
from console.formats.journal import JournalError, JournalState, is_live, read_journal
from console.formats.journal import recording_text as journal_recording
from console.formats.journal_folder import JournalSummary, list_journals
from console.model.names import counted
from console.paths import journals_dir


def run(argv: Sequence[str]) -> int:
    """Run the sub-command: exit status 0. Raises `InputError` for a bad option, a journal that
    cannot be read or an output that cannot be written."""
    options = parser("journal", "List the console's journals, summarize one, or export one as "
                                f"a recording. The journal folder: {_folder()}")
    options.add_argument("journal", nargs="?", metavar="JOURNAL", help="a journal file")
    options.add_argument("--list", action="store_true",
                         help="the journals of the journal folder, newest first, one line each")
    options.add_argument("--recording", metavar="OUT.jsonl",
                         help="export JOURNAL as a recording (`cluster-console replay "
                              "OUT.jsonl`)")
    options.add_argument("--json", action="store_true",
                         help="--list or a summary as JSON, one object per line")
    args = options.parse_args(argv)
    if args.list:
        if args.journal is not None:
            raise InputError("--list takes no JOURNAL (it lists the journal folder)")
        refuse_options({"--recording": args.recording}, "needs a JOURNAL, not --list")
        return _list(args.json)
    if args.journal is None:
        raise InputError("give a JOURNAL, or --list (see cluster-console journal --help)")
    if args.recording is not None:
        refuse_options({"--json": args.json}, "is for --list and summaries, not --recording")
        return _export(args.journal, args.recording)
    state = _read(args.journal)
    sys.stdout.write(_summary_json(args.journal, state) if args.json
                     else _summary_text(args.journal, state))
    return 0


def _folder() -> str:
    try:
        return str(journals_dir())
    except RuntimeError:  # no home folder
        return "(none: no home folder)"


def _read(path: str) -> JournalState:
    """The journal at `path`, read; one being written by a live session is refused (it is
    followed, not read: its end is not written yet). Raises `JournalError`."""
    state = None if is_live(path) else read_journal(path)
    if state is None or state.live:
        raise JournalError(f"{path}: being written by a live session; follow it with "
                           f"`cluster-console follow {path}`")
    return state


def _export(path: str, out: str) -> int:
    """`journal JOURNAL --recording OUT`: checked, read, then written atomically."""
    inputs: list[str | Path] = [path, *(f"{path}{side}" for side in ("-wal", "-shm")
                                        if Path(f"{path}{side}").exists())]
    check_outputs({"--recording": out}, inputs)
    state = _read(path)
    write_output(out, journal_recording(state), "--recording")
    return 0


def _list(as_json: bool) -> int:
    """`journal --list`: one line per journal of the folder, newest first."""
    try:
        folder = journals_dir()
    except RuntimeError as error:
        raise InputError(f"journal --list: no journal folder ({error})") from None
    found = list_journals(folder)
    if not found:
        if not as_json:
            print(f"no journals in {folder}")
        return 0
    if as_json:
        for summary in found:
            print(json.dumps(_summary_fields(summary)))
        return 0
    width = max(len(summary.path.name) for summary in found)
    for summary in found:
        print(_list_line(summary, width))
    return 0


def _summary_fields(summary: JournalSummary) -> dict[str, object]:
    return {"file": summary.path.name, "path": str(summary.path), "started": summary.started,
            "label": summary.label, "t": summary.t, "commands": summary.commands,
            "state": summary.state, "problem": summary.problem}


def _list_line(summary: JournalSummary, width: int) -> str:
    """`NAME  STARTED  LABEL  TIME  N commands  STATE`, or `NAME  bad: PROBLEM`."""
    name = summary.path.name.ljust(width)
    if summary.state == "bad":
        problem = (summary.problem or "").removeprefix(f"{summary.path}: ")
        return f"{name}  bad: {problem}"
    if not summary.started:  # live, its header not written yet
        return f"{name}  {summary.state} (starting)"
    return (f"{name}  {_started(summary.started)}  {summary.label:<20} "
            f"{_clock_time(summary.t):>12}  {counted(summary.commands, 'command'):>12}  "
            f"{summary.state}")


def _started(iso: str) -> str:
    """`2026-11-30T15:31:09+00:00` as `2026-11-30 15:31:09Z`."""
    return iso.replace("T", " ").replace("+00:00", "Z")


def _clock_time(seconds: float) -> str:
    """Simulated seconds as `[Dd ]HH:MM:SS` (`1d 02:03:04`, `00:05:00`)."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {text}" if days else text


def _state(state: JournalState) -> str:
    return "live" if state.live else "ended" if state.ended else "cut short"


def _summary_text(path: str, state: JournalState) -> str:
    recording = state.recording
    commands = [e for e in recording.entries if e.kind == "command"]
    refused = sum(1 for outcome in state.outcomes if outcome and outcome != "accepted")
    marks = sum(1 for e in recording.entries if e.kind == "mark")
    what = (f"drill {recording.drill}" if recording.drill
            else f"cluster {Path(recording.cluster_file).stem}")
    lines = [
        f"journal {path}",
        f"  {what} ({recording.cluster_file}), seed {recording.seed}, written by "
        f"{recording.created_by}",
        f"  started {_started(state.started)}; reached {_clock_time(state.t)} "
        f"({state.t:g} s simulated); {_state(state)}"
        + (f", resumed {counted(state.resumes, 'time')}" if state.resumes else ""),
        f"  {counted(len(commands), 'command')} ({refused} refused), {counted(marks, 'mark')}, "
        f"{counted(len(state.events), 'event')}",
    ]
    if commands:
        last = commands[-1]
        lines.append(f"  last command: {last.text} at {last.t:g} s")
    return "\n".join(lines) + "\n"


def _summary_json(path: str, state: JournalState) -> str:
    recording = state.recording
    return json.dumps({
        "path": path, "cluster_file": recording.cluster_file, "drill": recording.drill,
        "seed": recording.seed, "created_by": recording.created_by, "started": state.started,
        "t": state.t, "state": _state(state), "resumes": state.resumes,
        "commands": sum(1 for e in recording.entries if e.kind == "command"),
        "refused": sum(1 for o in state.outcomes if o and o != "accepted"),
        "marks": sum(1 for e in recording.entries if e.kind == "mark"),
        "events": len(state.events)}) + "\n"
