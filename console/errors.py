"""The one error type for bad input, and its exit status.

Anything a user gives us (a cluster file, a drill, a recording, keys.toml, a theme, an option)
that cannot be used raises `InputError` with one line naming the file, the line and the key where
known (`seed.toml:41: nodes[2].memory_gb: must be a number above 0, at most 24576 GB, got -16`).
The command line (`console.cli.main`) catches it once, prints that line and exits with
`EXIT_BAD_INPUT`; nothing has been changed or written by then. Checked files raise it as
`console.formats.toml.ConfigError`, a thin subclass that is built from its parts (file, line,
key path, message).
"""

from __future__ import annotations

#: Exit status for bad input (the same as argparse's for a bad option).
EXIT_BAD_INPUT = 2


class InputError(Exception):
    """A user's mistake, as one printable line (no traceback): `str(error)` is that line, e.g.
    `file:line: key.path: message` or `--speed must be above 0 ...`; exit status
    `EXIT_BAD_INPUT`."""
