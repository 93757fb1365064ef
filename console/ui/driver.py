"""The console's terminal driver on Linux and macOS: Textual's `LinuxDriver`, writing through a
file that outlives its terminal.

When the terminal goes away (SIGHUP: it was closed, an SSH session dropped) a write to it fails
with EIO. Textual's writer thread dies on that error with its queue full, and the next write
of the shutdown (or a resume: a hang-up also sends SIGCONT) waits on that queue forever: the
console never quit and its recording never got its end line. Here a failed write marks the
terminal gone and every later write is dropped, so the console leaves as after any signal.
"""

from __future__ import annotations

from typing import IO

from textual.drivers.linux_driver import LinuxDriver


class OutlivingFile:
    """`file` for Textual's writer thread: `write` and `flush` drop their data once one of them
    has failed with an OSError (`gone` is then True)."""

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self.gone = False

    def write(self, text: str) -> None:
        """Write `text` unless the terminal is gone (then, and when this write fails, drop it)."""
        if not self.gone:
            try:
                self.file.write(text)
            except OSError:
                self.gone = True

    def flush(self) -> None:
        """Flush unless the terminal is gone."""
        if not self.gone:
            try:
                self.file.flush()
            except OSError:
                self.gone = True

    def fileno(self) -> int:
        """The terminal's file descriptor."""
        return self.file.fileno()


class ConsoleDriver(LinuxDriver):
    """`LinuxDriver` whose output outlives its terminal (see the module)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._file = OutlivingFile(self._file)  # type: ignore[assignment]
