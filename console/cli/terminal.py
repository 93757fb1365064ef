"""The console's screens need a terminal: `check_terminal` refuses, in one line, to open one on
standard input, output or error that is not a terminal (`cluster-console < /dev/null` would
start a console nobody can quit, spinning on the closed input; `cluster-console > out` would draw
a broken frame) or on `TERM=dumb` (or no TERM at all), pointing at the headless sub-commands.

Textual's own ways of running an app elsewhere are left alone: with `TEXTUAL_DRIVER` set (how
textual-serve runs the console in a browser, through a pipe, and how a test picks a driver) or
`TEXTUAL=headless`, the check is skipped. It lives here, in the command line, and not in the
app: `ConsoleApp` itself runs wherever Textual runs it (`run_test`, textual-serve).
"""

from __future__ import annotations

import os
import sys

from console.errors import InputError

#: What to use instead, said with every refusal.
HEADLESS = ("for a run without a screen use `cluster-console simulate`, `replay REC.jsonl "
            "--headless` or `drill FILE`")


def check_terminal(what: str) -> None:
    """Before `what` (e.g. "the console") takes the screen over: stdin, stdout and stderr are
    terminals (Textual draws on stderr) and TERM names one that can draw. Raises `InputError`
    saying what is missing and what to use instead; nothing when Textual is told to run
    elsewhere (see the module)."""
    if os.environ.get("TEXTUAL_DRIVER") or "headless" in os.environ.get("TEXTUAL", "").split(","):
        return
    term = os.environ.get("TERM", "")
    if os.name == "posix" and term in ("", "dumb"):
        said = f"TERM={term}" if term else "TERM is not set"
        raise InputError(f"{what} needs a terminal that can draw full-screen, and {said}; "
                         f"{HEADLESS}")
    for name, stream in (("input", sys.stdin), ("output", sys.stdout), ("error", sys.stderr)):
        if stream is None or not _is_terminal(stream):
            raise InputError(f"{what} needs a terminal, and standard {name} is not one; "
                             f"{HEADLESS}")


def _is_terminal(stream: object) -> bool:
    try:
        return os.isatty(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False
