"""The console's terminal driver on Linux and macOS: Textual's `LinuxDriver`, writing through a
file that outlives its terminal, and reading keys without waking while none come.

When the terminal goes away (SIGHUP: it was closed, an SSH session dropped) a write to it fails
with EIO. Textual's writer thread dies on that error with its queue full, and the next write
of the shutdown (or a resume: a hang-up also sends SIGCONT) waits on that queue forever: the
console never quit and its recording never got its end line. Here a failed write marks the
terminal gone and every later write is dropped, so the console leaves as after any signal.

Textual's input thread waits for a key 0.1 s at a time, to see its way out (`exit_event`) and
to time a lone Escape out: ten wake-ups a second, about 1.5 ms of CPU a second here while the
console is idle, nearly a third of what the whole idle seed console cost. Here it waits for a
key, or for a byte on a pipe that setting `exit_event` writes, and polls every 0.1 s only while
a key sequence may be pending (within the Escape delay of the last input), as Textual's does.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import time
from codecs import getincrementaldecoder
from collections.abc import Callable
from threading import Event
from typing import IO

from textual import constants, events
from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

#: Real seconds between the input thread's polls while a key sequence may be pending (Textual's
#: one wait).
POLL_S = 0.1



class EscapeThenEnterParser(XTermParser):
    """Textual's parser, but Escape and then Enter typed within its escape delay (100 ms: over
    SSH they can arrive together) are the two keys, not `enter`: Textual reads an Escape
    followed by a key as that key with Alt, and drops the Alt from `enter`, so Esc on a "Crash
    node A?" question and a quick Enter crashed A (found by a tester)."""

    def _sequence_to_key_events(self, sequence: str, alt: bool = False):  # type: ignore[override]
        if alt and sequence == "\r":
            yield events.Key("escape", "\x1b")
            yield events.Key("enter", "\r")
            return
        yield from super()._sequence_to_key_events(sequence, alt)

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


class WakingEvent(Event):
    """An Event whose `set` also calls `wake` (writes to the pipe the input thread waits on)."""

    def __init__(self, wake: Callable[[], None]) -> None:
        super().__init__()
        self._wake = wake

    def set(self) -> None:
        """Set the flag, then wake whoever waits on the pipe."""
        super().set()
        self._wake()


class ConsoleDriver(LinuxDriver):
    """`LinuxDriver` whose output outlives its terminal and whose input thread sleeps while no
    key comes (see the module)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._file = OutlivingFile(self._file)  # type: ignore[assignment]
        self._wake_write: int | None = None  # the input thread's wake-up pipe, while it runs
        self.exit_event = WakingEvent(self._wake_input)

    def _wake_input(self) -> None:
        wake = self._wake_write
        if wake is not None:
            with contextlib.suppress(OSError):  # full: the thread is woken already
                os.write(wake, b"x")

    def input_timeout(self, last_input: float) -> float | None:
        """How long the input thread may wait for a key: POLL_S while a sequence read at
        `last_input` (time.monotonic()) may be pending (the parser times a lone Escape out
        after constants.ESCAPE_DELAY), else without end (a key or the way out wakes it)."""
        if time.monotonic() - last_input <= constants.ESCAPE_DELAY + POLL_S:
            return POLL_S
        return None

    def run_input_thread(self) -> None:
        """Textual's `LinuxDriver.run_input_thread` (textual 8.2.8), waiting `input_timeout`
        instead of 0.1 s at a time; the wake-up pipe is drained, never parsed."""
        # A pipe of this run (a suspended console's thread ends, a resumed one's starts), made
        # before `exit_event` is first looked at: a way out set before it is seen there.
        wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(wake_read, selectors.EVENT_READ)
        fileno = self.fileno
        parser = EscapeThenEnterParser(self._debug)
        feed = parser.feed
        tick = parser.tick
        decode = getincrementaldecoder("utf-8")().decode
        read = os.read
        last_input = -1e9

        def process(selector_events: list[tuple[selectors.SelectorKey, int]],
                    final: bool = False) -> None:
            for last, (selector_key, mask) in loop_last(selector_events):
                if selector_key.fd != fileno:
                    read(wake_read, 64)
                    continue
                if mask & selectors.EVENT_READ:
                    unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:  # This can occur if the stdin is piped
                        break
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                found = selector.select(self.input_timeout(last_input))
                if any(key.fd == fileno for key, _mask in found):
                    last_input = time.monotonic()
                process(found)
            selector.unregister(self.fileno)
            selector.unregister(wake_read)
            process(selector.select(POLL_S), final=True)
        finally:
            selector.close()
            wake_write, self._wake_write = self._wake_write, None
            for fd in (wake_read, wake_write):
                os.close(fd)  # type: ignore[arg-type]
            with contextlib.suppress(EOFError, ParseError):
                for _event in feed(""):
                    pass

