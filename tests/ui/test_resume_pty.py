"""The acceptance test of `resume`: the real console in a terminal (a pseudo-terminal,
tests/ui/terminal_helpers) journaling its session, driven by keys (a crash, a maintenance),
killed with SIGKILL mid-session; `resume --headless --json` then shows the crash and the
maintenance, and prints what a fresh `simulate` prints for the journaled commands. Every wait is
on output or on the journal, with a deadline; nothing sleeps."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from terminal_helpers import WAIT_S, Terminal

from console.cli import main
from console.formats.journal import JournalError, JournalState, is_live, read_journal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals and signals")

ROOT = Path(__file__).resolve().parents[2]


def _journal_holds(terminal: Terminal, path: Path, done, what: str) -> JournalState:
    """Poll the journal until `done(state)`, reading what the console draws meanwhile (a
    console whose terminal is not read blocks); AssertionError naming `what` at the
    deadline."""
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            state = read_journal(path)
            if done(state):
                return state
        except JournalError:  # a live session is still creating it
            pass
        assert time.monotonic() < deadline, f"the journal never held {what}"
        assert terminal.process.poll() is None, f"the console exited before {what}"
        terminal.read(0.05)


def _commands(state: JournalState) -> list[str]:
    return [e.text for e in state.recording.entries if e.kind == "command"]


def _typed(terminal: Terminal, command: str) -> None:
    since = len(terminal.output)
    terminal.send(":")
    terminal.wait_for("tab completes", since=since)
    terminal.send(command + "\r")


def _cli(capsys, *args: str) -> str:
    """What `cluster-console ARGS` prints (a headless sub-command, run in this process)."""
    capsys.readouterr()
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_a_killed_console_resumes_headless_as_simulate_runs_its_commands(tmp_path, capsys) -> None:
    path = tmp_path / "session.journal"
    terminal = Terminal(["--journal", str(path), "--speed", "30"], cwd=ROOT)
    try:
        terminal.wait_for("Cmd")  # the footer: the screen is up and takes keys
        _typed(terminal, "fail-node B")
        _journal_holds(terminal, path, lambda s: _commands(s) == ["fail-node B"], "the crash")
        _typed(terminal, "maintenance A on")
        held = _journal_holds(terminal, path, lambda s: len(_commands(s)) == 2, "the maintenance")
        maintenance = held.recording.entries[-1].t
        _journal_holds(terminal, path, lambda s: s.t > maintenance + 5 and any(
            e.kind == "node_failed" and e.subject == "B" for e in s.events),
            "B declared failed, time after the maintenance")
        assert is_live(path)
    finally:
        terminal.kill()  # SIGKILL: no end line, nothing flushed but what was committed
    assert terminal.process.returncode == -9
    state = read_journal(path)
    assert not state.live and not state.ended
    assert _commands(state) == ["fail-node B", "maintenance A on"]
    resumed = _cli(capsys, "resume", str(path), "--headless", "--json")
    lines = [json.loads(line) for line in resumed.splitlines()]
    summary = lines[-1]
    assert summary["t"] == round(state.t, 3)
    assert summary["nodes"]["B"]["state"] == "failed"
    assert summary["nodes"]["A"]["state"] in ("entering_maintenance", "maintenance")
    assert [e["message"] for e in lines if e["kind"] == "command"][:1] == ["fail-node B"]
    assert resumed == _simulated(capsys, state)
    # the console resumes it, paused where it was, and goes on writing the same journal
    console = Terminal(["resume", str(path)], cwd=ROOT)
    try:
        console.wait_for("PAUSED")
        _typed(console, "power-on B")
        _journal_holds(console, path, lambda s: len(_commands(s)) == 3, "the resumed command")
        console.send("q")
        assert console.wait() == 0
    finally:
        console.kill()
    after = read_journal(path)
    assert after.resumes == 1 and after.ended and not after.live
    assert _commands(after) == ["fail-node B", "maintenance A on", "power-on B"]
    assert after.events[:len(state.events)] == state.events
    assert _cli(capsys, "resume", str(path), "--headless", "--json") == _simulated(capsys, after)


def _simulated(capsys, state: JournalState) -> str:
    """What a fresh `simulate --json` prints for the journal's commands, --for its time."""
    do = [arg for t, command in state.recording.commands()
          for arg in ("--do", f"{t!r} {command.text()}")]
    return _cli(capsys, "simulate", "--seed", str(state.recording.seed), "--for",
                repr(state.t), *do, "--json")
