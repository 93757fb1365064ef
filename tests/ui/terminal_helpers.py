"""A real terminal for tests of the console as a process: `cluster-console` run in a pseudo-
terminal (its controlling terminal, so closing it hangs the program up as an SSH disconnect
does), its output read with timeouts and waited on, never slept on."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

#: Real seconds a test waits for something the program should show (a generous bound: the
#: machine may be busy; a pass takes a fraction of it).
WAIT_S = 60.0

#: Escape sequences the console turns on and must turn off again: (on, off).
ALT_SCREEN = ("\x1b[?1049h", "\x1b[?1049l")
MOUSE = ("\x1b[?1000h", "\x1b[?1000l")
CURSOR = ("\x1b[?25l", "\x1b[?25h")
AUTOWRAP = ("\x1b[?7l", "\x1b[?7h")
MODES = {"alternate screen": ALT_SCREEN, "mouse tracking": MOUSE, "hidden cursor": CURSOR,
         "autowrap off": AUTOWRAP}


def _controlling_terminal() -> None:
    """In the child: a new session whose controlling terminal is its stdin (the pty)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """`python -m console ARGS` in a `width` x `height` pseudo-terminal, from `cwd` (or
    `python ARGS` with `module=False`)."""

    def __init__(self, args: list[str], *, cwd: Path, width: int = 120, height: int = 40,
                 env: dict[str, str] | None = None, module: bool = True) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
        environment.update({"TERM": "xterm-256color", "COLUMNS": str(width),
                            "LINES": str(height)})
        environment.update(env or {})
        self.process = subprocess.Popen(
            [sys.executable, *(["-m", "console"] if module else []), *args], stdin=slave,
            stdout=slave, stderr=slave, cwd=cwd, env=environment,
            preexec_fn=_controlling_terminal, close_fds=True)
        os.close(slave)
        self.output = ""
        self.closed = False

    def read(self, timeout: float = 0.1) -> str:
        """What the program wrote within `timeout` seconds (appended to `output` too)."""
        if self.closed:
            return ""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return ""
        try:
            data = os.read(self.master, 65536).decode("utf-8", "replace")
        except OSError:  # the program closed its side
            return ""
        self.output += data
        return data

    def wait_for(self, pattern: str, *, since: int = 0, timeout: float = WAIT_S) -> None:
        """Until `pattern` (a regular expression) appears in the output after offset `since`;
        AssertionError with the output's tail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.output[since:]):
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} within {timeout:g} s; output ends "
                                     f"{self.output[-600:]!r}")
            if self.process.poll() is not None and not self.read(0.2):
                raise AssertionError(f"exited {self.process.returncode} without {pattern!r}; "
                                     f"output ends {self.output[-600:]!r}")
            self.read(0.2)

    def send(self, keys: str) -> None:
        """Type `keys`."""
        os.write(self.master, keys.encode())

    def signal(self, number: int) -> None:
        """Send signal `number` to the program."""
        self.process.send_signal(number)

    def hang_up(self) -> None:
        """Close the terminal, as an SSH disconnect does: the program gets SIGHUP."""
        os.close(self.master)
        self.closed = True

    def wait(self, timeout: float = WAIT_S) -> int:
        """The program's exit status once it has ended, reading what it writes meanwhile
        (a program blocked on a full terminal would never end)."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"still running after {timeout:g} s; output ends "
                                     f"{self.output[-600:]!r}")
            if self.closed:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(0.1)
            else:
                self.read(0.1)
        drained = self.read(0.05)  # what it wrote last (the screen it restored) into `output`
        while drained:
            drained = self.read(0.05)
        return self.process.returncode

    def kill(self) -> None:
        """End the program if still running, and close the terminal."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(WAIT_S)
        if not self.closed:
            os.close(self.master)
            self.closed = True

    def left_on(self) -> list[str]:
        """The modes the program turned on and left on (last switch was 'on')."""
        left = []
        for name, (on, off) in MODES.items():
            if self.output.rfind(on) > self.output.rfind(off):
                left.append(name)
        return left
