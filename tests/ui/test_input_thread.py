"""The console's input thread (console.ui.driver.ConsoleDriver) waits for a key without waking
while none comes: it is Textual's loop with another wait, so it must still time a lone Escape
out and let the console quit; and it is a copy of Textual's, so a Textual whose loop changed
fails here first. Waits on output and on the process, never on time."""

from __future__ import annotations

import hashlib
import inspect
import sys
from pathlib import Path

import pytest
from terminal_helpers import Terminal
from textual import constants
from textual.drivers.linux_driver import LinuxDriver

from console.ui import driver

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals")

ROOT = Path(__file__).resolve().parents[2]

#: sha256 of `LinuxDriver.run_input_thread`'s source in textual 8.2.8, which
#: `ConsoleDriver.run_input_thread` copies with another wait.
TEXTUAL_INPUT_LOOP = "d796af6d69db337d6fa6bd463984f7d17188d991dbb22f60efb92a8a9619507c"


def test_the_input_loop_copied_is_textuals_own() -> None:
    """ConsoleDriver.run_input_thread is Textual's with another wait (and reads the private
    `_debug`, `textual._xterm_parser` and `textual._loop`): when Textual's loop changes, the
    copy must be made again from it."""
    source = inspect.getsource(LinuxDriver.run_input_thread)
    assert hashlib.sha256(source.encode()).hexdigest() == TEXTUAL_INPUT_LOOP
    assert "selector.select(0.1)" in source  # the wait the copy replaces


def test_the_input_thread_waits_without_end_only_once_no_sequence_can_be_pending(
        monkeypatch) -> None:
    """Polls (Textual's 0.1 s) within the Escape delay of the last input, after that no wake-up
    until a key or the way out."""
    now = 1000.0
    monkeypatch.setattr(driver.time, "monotonic", lambda: now)
    console_driver = driver.ConsoleDriver.__new__(driver.ConsoleDriver)
    assert console_driver.input_timeout(now) == driver.POLL_S
    assert console_driver.input_timeout(now - constants.ESCAPE_DELAY) == driver.POLL_S
    assert console_driver.input_timeout(now - constants.ESCAPE_DELAY - 2 * driver.POLL_S) is None
    assert console_driver.input_timeout(-1e9) is None


def test_setting_the_way_out_wakes_the_waiting_thread() -> None:
    woken: list[bool] = []
    event = driver.WakingEvent(lambda: woken.append(True))
    event.set()
    assert event.is_set() and woken == [True]


def test_a_lone_escape_still_times_out_and_q_still_quits() -> None:
    """In a real terminal: `:` opens the command line and a lone Escape (no key after it: the
    parser's timeout makes it a key) closes it again; `q` then quits with status 0 (the input
    thread, blocked in its wait, is woken to end)."""
    terminal = Terminal(["--paused"], cwd=ROOT)
    try:
        terminal.wait_for("Pause|Resume")
        mark = len(terminal.output)
        terminal.send(":")
        terminal.wait_for("tab completes", since=mark)
        mark = len(terminal.output)
        terminal.send("\x1b")
        terminal.wait_for("Resume", since=mark)  # the footer is back: the bar closed
        terminal.send("q")
        assert terminal.wait() == 0  # within WAIT_S: not hung in the input thread's wait
    finally:
        terminal.kill()


def keys_of(parser, monkeypatch, *chunks: str) -> list[str]:
    """The keys `parser` reads from `chunks`, fed one after another as separate reads within
    the escape delay, then once the delay is over (the parser's clock moved, not waited on)."""
    from textual import _parser

    now = [0.0]
    monkeypatch.setattr(_parser, "get_time", lambda: now[0])  # private: raises if renamed
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    now[0] += 1.0
    events += parser.tick()
    return [event.key for event in events if hasattr(event, "key")]


def test_escape_then_a_quick_enter_are_two_keys_not_enter(monkeypatch) -> None:
    """Esc on a "Crash node A?" question, then Enter within the escape delay, was read as one
    `enter` (Textual's Alt+Enter without its Alt) and crashed A. The hook is private: this
    test fails if Textual stops calling it."""
    from console.ui.driver import EscapeThenEnterParser

    for chunks in (["\x1b\r"], ["\x1b", "\r"]):
        assert keys_of(EscapeThenEnterParser(), monkeypatch, *chunks) == ["escape", "enter"]
    assert keys_of(EscapeThenEnterParser(), monkeypatch, "\r", "j", "\x1bj") == [
        "enter", "j", "alt+j"]
