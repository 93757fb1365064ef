"""Timed commands, `"T COMMAND"`: a command of the command language at a simulated time, as
`simulate --do` takes them (e.g. `"60 fail-node B"`)."""

from __future__ import annotations

from dataclasses import dataclass

from console.model.commands import Command, CommandError, parse


class ScheduleError(ValueError):
    """A `"T COMMAND"` that cannot be read; `str()` quotes the text and says why. The command
    line turns it into an `InputError` naming its option (`--do`)."""


@dataclass(frozen=True, slots=True)
class TimedCommand:
    """`command` to be submitted at `t` seconds of simulated time (t >= 0)."""

    t: float
    command: Command

    def text(self) -> str:
        """The `"T COMMAND"` form, e.g. `"60 fail-node B"` (T in Python's shortest `g` form)."""
        return f"{self.t:g} {self.command.text()}"


def parse_timed(text: str) -> TimedCommand:
    """Read `"T COMMAND"`, e.g. `"60 fail-node B"`: T in seconds (a float >= 0), then a command
    of the command language. Raises `ScheduleError` for a bad time or command."""
    head, _, rest = text.strip().partition(" ")
    try:
        t = float(head)
    except ValueError:
        raise ScheduleError(f"{text!r}: expected a time in seconds first, got {head!r}") from None
    if not t >= 0:
        raise ScheduleError(f"{text!r}: the time must be zero or more")
    try:
        return TimedCommand(t, parse(rest))
    except CommandError as error:
        raise ScheduleError(f"{text!r}: {error}") from None
