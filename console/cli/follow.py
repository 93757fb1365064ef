"""`cluster-console follow JOURNAL [--theme NAME]`: a read-only console that mirrors a live
session from its journal (console.follow), as the leader commits; several may follow one
session at once. A journal the journal reader refuses (missing, not a journal, damaged, of a
newer format) is one line and exit status 2, before the screen is taken over; one whose live
session is only starting it is retried for a few seconds first."""

from __future__ import annotations

from collections.abc import Sequence

from console.cli.options import parser
from console.cli.terminal import check_terminal


def run(argv: Sequence[str]) -> int:
    """Follow the journal in the console; its exit status once it quits. Raises `InputError`
    (a `JournalError`, a `ConfigError`) for a bad option, journal, embedded cluster or drill."""
    options = parser(
        "follow",
        "Follow a live session from its journal: a read-only console showing what the leader "
        "does, within a second (every change is refused: the leader acts, and its clock "
        "rules). A follower that starts late catches up; when the leader ends, it says so and "
        "stays on the final state.")
    options.add_argument("journal", metavar="JOURNAL", help="a session's journal")
    options.add_argument("--theme", metavar="NAME", help="the console's theme (default dark)")
    args = options.parse_args(argv)
    from console.follow import open_reader
    from console.ui.launch import load_settings, open_follow_console  # Textual: see console.cli

    themes, keymap = load_settings(args.theme)
    reader = open_reader(args.journal)
    try:
        check_terminal("follow")
        return open_follow_console(reader, theme=args.theme, themes=themes, keymap=keymap)
    finally:
        reader.close()
