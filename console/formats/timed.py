"""Timed commands, `"T COMMAND"`: a command of the command language at a simulated time, as
`simulate --do` takes them (e.g. `"60 fail-node B"`)."""

from __future__ import annotations

from dataclasses import dataclass

from console.model.commands import Command, CommandError, parse

#: The longest simulated time any input may name, in seconds: 30 days. `simulate --for`, `--do`
#: times, a drill's `duration_s` and step times, and a recording's times stay within it. A
#: month of simulated time is far more than any drill or replayed session needs (the sample
#: traces cover a day), yet a run to it ends: the clock never meets a time too large to add a
#: step to, and no loop runs for ever on a typo of a few zeros.
MAX_TIME_S = 30 * 24 * 3600.0


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
    """Read `"T COMMAND"`, e.g. `"60 fail-node B"`: T in seconds (a number from 0 to
    `MAX_TIME_S`), then a command of the command language. Raises `ScheduleError` for a bad
    time or command."""
    head, _, rest = text.strip().partition(" ")
    try:
        t = float(head)
    except ValueError:
        raise ScheduleError(f"{text!r}: expected a time in seconds first, got {head!r}") from None
    if not 0 <= t <= MAX_TIME_S:  # NaN fails both
        raise ScheduleError(f"{text!r}: the time must be a number of seconds from 0 to "
                            f"{MAX_TIME_S:.0f} (30 days)")
    try:
        return TimedCommand(t, parse(rest))
    except CommandError as error:
        raise ScheduleError(f"{text!r}: {error}") from None
