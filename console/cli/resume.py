"""`cluster-console resume JOURNAL [--headless [--for SECONDS] [--json]]`: a journaled session
(console.formats.journal) restored to its last committed command and carried on in the console,
appending to the same journal; or, headless, restored and run on, printing what `simulate`
prints for the same cluster, seed and commands (writing nothing).

Restoring replays the journal and checks the replay against its events (console.journal); a
journal that diverges, is being written by a live session, or is not a good journal is refused
in one line (exit status 2) before anything else, and is left as it was."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from console.cli.options import check_speed, parser, refuse_options
from console.cli.terminal import check_terminal
from console.errors import InputError
from console.formats.event_log import render_json, render_text
from console.formats.timed import MAX_TIME_S
from console.journal import restore_engine, restore_session, resumable


def run(argv: Sequence[str]) -> int:
    """Run the sub-command; exit status 0 (or the console's). Raises `InputError` for a bad
    option or a journal that cannot be resumed, before anything is written."""
    options = parser(
        "resume",
        "Resume a journaled session where its last committed command left it: the console "
        "opens on it, paused at the journaled speed, and goes on writing the same journal. "
        "Restoring replays the journal and checks the replay against its events; a journal "
        "that diverges (another program version, a damaged file) or that a live session is "
        "writing is refused, and left as it was. --headless writes nothing to the journal.")
    options.add_argument("journal", metavar="JOURNAL", help="a journal file")
    options.add_argument("--headless", action="store_true",
                         help="no console, nothing written: print the event log and summary "
                              "as `simulate` prints them for the same cluster, seed and "
                              "commands, run on to the journal's time + --for")
    options.add_argument("--for", dest="duration", type=float, default=None,
                         metavar="SECONDS",
                         help="with --headless: simulated seconds to run on after the "
                              "journal's last committed time (default 0)")
    options.add_argument("--json", action="store_true",
                         help="with --headless: one JSON object per event, then the summary")
    options.add_argument("--speed", type=float, default=None, metavar="X",
                         help="simulated seconds per real second (default: the journaled "
                              "session's last speed)")
    options.add_argument("--theme", metavar="NAME", help="the console's theme (default dark)")
    options.add_argument("--no-confirm", action="store_true",
                         help="do not ask before destructive actions")
    args = options.parse_args(argv)
    _check_mode(args)
    if args.speed is not None:
        check_speed(args.speed)
    state = resumable(args.journal)
    if args.headless:
        more = args.duration or 0.0
        if not 0 <= more <= MAX_TIME_S - state.t:  # NaN fails both
            raise InputError(f"--for must be from 0 to {MAX_TIME_S - state.t:.0f} seconds (the "
                             f"journal is at {state.t:g} s of at most {MAX_TIME_S:.0f}), got "
                             f"{more:g}")
        engine = restore_engine(state, args.journal)
        engine.run_until(state.t + more)
        sys.stdout.write(render_json(engine) if args.json else render_text(engine))
        return 0
    if state.recording.local_node is not None:
        raise InputError(f"{args.journal}: a --local session (node {state.recording.local_node}"
                         "): the machine's readings cannot go on in a resumed console; "
                         f"`cluster-console resume {args.journal} --headless` prints its log")
    from console.ui.launch import load_settings, open_resumed_console  # Textual: see console.cli

    themes, keymap = load_settings(args.theme)
    restored = restore_session(state, args.journal)
    if restored.session.engine.cluster.observed:
        raise InputError(f"{args.journal}: a session of real hosts: they went on without it, so "
                         "it cannot be resumed; open them again with --connect (`cluster-console "
                         f"resume {args.journal} --headless` prints its log, `replay` or "
                         "`follow` shows it)")
    journaled_speed = restored.session.clock.speed
    if args.speed is not None:
        restored.session.clock.speed = args.speed
    check_terminal("resume")
    return open_resumed_console(restored, state, args.journal, confirm=not args.no_confirm,
                                theme=args.theme, themes=themes, keymap=keymap,
                                journaled_speed=journaled_speed)


def _check_mode(args: argparse.Namespace) -> None:
    """The console's options and the headless ones do not mix: one that does not apply to the
    mode asked for is refused, not ignored."""
    if args.headless:
        refuse_options({"--speed": args.speed, "--theme": args.theme,
                        "--no-confirm": args.no_confirm}, "does not apply to --headless")
    else:
        refuse_options({"--for": args.duration, "--json": args.json}, "goes with --headless")
