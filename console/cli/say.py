"""The one way a sub-command writes a line for the user on stderr: an error, a warning or a
note, each named by the program (`cluster-console: seed.toml:41: nodes[2].memory_gb: ...`), so
that every sub-command's lines look alike and a script's log says whose line it is."""

from __future__ import annotations

import sys

#: The name each line starts with: the command the user typed.
PROGRAM = "cluster-console"


def say(line: str) -> None:
    """Write `cluster-console: LINE` on stderr, flushed (it may come before a long run, as
    `serve`'s warning before it serves)."""
    print(f"{PROGRAM}: {line}", file=sys.stderr, flush=True)
