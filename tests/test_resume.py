"""Resuming a journal (console.journal, `cluster-console resume`): the session restored by
replaying the journal, checked against its events, carried on appending to the same journal;
and every journal that cannot be resumed refused in one line, left byte for byte as it was.
Sessions are driven without a console (a Session and its journal, as the console drives them);
the real console in a terminal is tests/ui/test_resume_pty.py."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from journal_helpers import NODE_CRASH, drill_leader, journaled_session

from console.cli import main
from console.drills import load_drill
from console.drills.live import LiveDrill, drill_session
from console.formats.cluster import parse_cluster
from console.formats.event_log import render_json
from console.formats.journal import JournalWriter, read_journal
from console.formats.timed import TimedCommand
from console.journal import ResumeError, restore_engine, restore_session, resumable
from console.model.commands import parse
from console.model.engine import Engine
from console.replay import run
from console.session import Session


def _tick(session: Session, seconds: float, step: float = 0.7) -> None:
    """Time passing as the console passes it: small steps of uneven size."""
    for _ in range(round(seconds / step)):
        session.run_for(step)


def _killed(session: Session) -> None:
    """The session's process died: what was committed stays, no end line."""
    journal = session.journal
    journal.sync(session.now)  # type: ignore[union-attr]
    journal.close(clean=False)  # type: ignore[union-attr]


def _crash_and_maintenance(path: Path) -> Session:
    session, _ = journaled_session(path, 3)
    _tick(session, 20)
    session.submit(parse("fail-node B"))
    session.submit(parse("speed 4"))
    _tick(session, 30)
    session.submit(parse("maintenance A on"))
    session.mark("evacuating")
    _tick(session, 15)
    _killed(session)
    return session


def _simulated(state_path: Path, until: float) -> Engine:
    """What `simulate` runs for the journal's cluster, seed and commands, `--for until`."""
    state = read_journal(state_path)
    engine = Engine(parse_cluster(state.recording.cluster, "seed.toml"), state.recording.seed)
    run(engine, until, [TimedCommand(t, c) for t, c in state.recording.commands()])
    return engine


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_killed_session_restores_to_its_last_commit(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    session = _crash_and_maintenance(path)
    state = resumable(path)
    restored = restore_session(state, path)
    assert restored.drill is None
    assert restored.session.now == state.t == session.now
    assert restored.session.engine.log.events == session.engine.log.events
    assert restored.session.clock.paused and restored.session.clock.speed == 4.0
    assert restore_engine(state, path).log.events == session.engine.log.events


def test_resume_appends_to_the_same_journal_and_still_equals_simulate(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    _crash_and_maintenance(path)
    state = resumable(path)
    session = restore_session(state, path).session
    session.keep_journal(JournalWriter(path, events=session.engine.log.events, resume=state))
    _tick(session, 10)
    session.submit(parse("power-on B"))
    _tick(session, 20)
    session.close()
    after = read_journal(path)
    texts = [e.text for e in after.recording.entries if e.kind in ("command", "clock")]
    assert texts == ["fail-node B", "speed 4", "maintenance A on", "power-on B"]
    assert after.resumes == 1 and after.ended and after.t == session.now
    assert after.events == session.engine.log.events
    assert after.events == _simulated(path, after.t).log.events
    # and once more, from its clean end: the end's instant completed before it goes on
    state = resumable(path)
    again = restore_session(state, path).session
    assert again.engine.log.events == after.events
    again.keep_journal(JournalWriter(path, events=again.engine.log.events, resume=state))
    _tick(again, 5)
    again.submit(parse("fail-node C"))
    _tick(again, 5)
    _killed(again)
    final = resumable(path)
    assert final.resumes == 2 and final.reopened == [(len(after.recording.entries),
                                                      after.t)]
    assert restore_engine(final, path).log.events == again.engine.log.events
    assert final.events == _simulated(path, final.t).log.events[:len(final.events)]


def test_headless_resume_prints_what_simulate_prints(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.journal"
    _crash_and_maintenance(path)
    state = read_journal(path)
    before = _digest(path)
    assert main(["resume", str(path), "--headless", "--json", "--for", "45"]) == 0
    printed = capsys.readouterr().out
    assert printed == render_json(_simulated(path, state.t + 45))
    summary = json.loads(printed.splitlines()[-1])
    assert summary["nodes"]["B"]["state"] == "failed"
    assert summary["nodes"]["A"]["state"] in ("entering_maintenance", "maintenance")
    assert _digest(path) == before and read_journal(path).resumes == 0  # nothing written


def _edit_event(path: Path, n: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("UPDATE events SET message = message || ' (edited)' WHERE n = ?", (n,))
    connection.commit()
    connection.close()


def test_a_diverging_journal_is_refused_naming_the_command_and_left_as_it_was(
        tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.journal"
    session = _crash_and_maintenance(path)
    events = session.engine.log.events
    failed = next(n for n, e in enumerate(events) if e.kind == "node_failed")
    copy = tmp_path / "edited.journal"
    shutil.copy(path, copy)
    _edit_event(copy, failed)
    before = _digest(copy)
    for mode in ([], ["--headless"]):
        assert main(["resume", str(copy), *mode]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        when = f"{events[failed].t:.3f}".rstrip("0").rstrip(".")
        assert f"at event {failed + 1} ({when} s, after command 1 `fail-node B` at" in err
        assert "(edited)" in err and "not resumed" in err
        assert _digest(copy) == before
    assert read_journal(copy).resumes == 0


def test_a_replay_that_gives_more_events_than_the_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    _crash_and_maintenance(path)
    connection = sqlite3.connect(path)
    connection.execute("DELETE FROM events WHERE n = (SELECT MAX(n) FROM events)")
    connection.commit()
    connection.close()
    with pytest.raises(ResumeError, match="the journal has no event, the replay gave"):
        restore_engine(read_journal(path), path)


def test_a_live_journal_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, 3)
    session.submit(parse("fail-node B"))
    journal.sync(session.now)
    before = len(read_journal(path).recording.entries)
    for mode in ([], ["--headless"]):
        assert main(["resume", str(path), *mode]) == 2
        err = capsys.readouterr().err
        assert "being written by a live session (process " in err
        assert f"follow it with `cluster-console follow {path}`" in err
    session.close()
    assert len(read_journal(path).recording.entries) == before


def test_a_missing_or_bad_journal_and_bad_options_are_refused(tmp_path: Path, capsys) -> None:
    not_sqlite = tmp_path / "text.journal"
    not_sqlite.write_text("hello\n")
    for argv in (["resume", str(tmp_path / "none.journal")], ["resume", str(not_sqlite)],
                 ["resume", str(not_sqlite), "--json"],
                 ["resume", str(not_sqlite), "--headless", "--speed", "2"]):
        assert main(argv) == 2
        assert capsys.readouterr().err.count("\n") == 1
    assert not_sqlite.read_text() == "hello\n"
    path = tmp_path / "s.journal"
    _crash_and_maintenance(path)
    assert main(["resume", str(path), "--headless", "--for", "-1"]) == 2
    assert "--for must be from 0 to" in capsys.readouterr().err


def test_a_local_sessions_journal_resumes_headless_but_not_in_the_console(
        tmp_path: Path, capsys) -> None:
    path = tmp_path / "local.journal"
    session, _ = journaled_session(path, 3, local_node="A")  # a --local session's header
    session.submit(parse("fail-node B"))
    _tick(session, 5)
    _killed(session)
    assert main(["resume", str(path)]) == 2
    assert "a --local session (node A): the machine's readings cannot go on" in \
        capsys.readouterr().err
    assert main(["resume", str(path), "--headless"]) == 0


def _drill_journal(path: Path, tmp_path: Path, until: float,
                   operator: list[tuple[float, str]]) -> Session:
    """An interactive node-crash drill journaled as the console journals one, left at
    `until` simulated seconds (killed), the operator's commands given at their times."""
    session = drill_leader(path, tmp_path / "live.report.txt")[0].session
    for t, text in operator:
        session.run_for(t - session.now)
        session.submit(parse(text))
    _tick(session, until - session.now, 1.3)
    _killed(session)
    return session


def test_an_interactive_drill_resumes_as_the_drill(tmp_path: Path) -> None:
    path = tmp_path / "drill.journal"
    _drill_journal(path, tmp_path, 80, [(70.0, "maintenance C on")])
    state = resumable(path)
    restored = restore_session(state, path, report=tmp_path / "resumed.report.txt")
    live = restored.drill
    assert live is not None and not live.over
    session = restored.session
    session.keep_journal(JournalWriter(path, events=session.engine.log.events, resume=state))
    while not live.over:
        session.run_for(7.0)
    session.close()
    assert (tmp_path / "resumed.report.txt").exists()
    # the same drill never interrupted: the same log and the same verdicts
    whole = tmp_path / "whole.journal"
    _drill_journal(whole, tmp_path, load_drill(NODE_CRASH).duration,
                   [(70.0, "maintenance C on")])
    assert read_journal(path).events == read_journal(whole).events
    assert live.report is not None
    uninterrupted = load_drill(NODE_CRASH)
    assert [r.passed for r in live.results()] == [
        r.passed for r in _finished_drill(uninterrupted, tmp_path).results()]


def _finished_drill(drill, tmp_path: Path) -> LiveDrill:
    session = drill_session(drill, paused=True)
    live = LiveDrill(session, drill, tmp_path / "u.report.txt")
    live.start()
    session.advance(70.0)
    session.submit(parse("maintenance C on"))
    while not live.over:
        session.advance(7.0)
    return live


def test_an_over_drill_is_refused_in_the_console_and_resumes_headless(tmp_path: Path,
                                                                      capsys) -> None:
    path = tmp_path / "drill.journal"
    session = _drill_journal(path, tmp_path, load_drill(NODE_CRASH).duration, [])
    assert main(["resume", str(path)]) == 2
    assert "the drill node-crash ended at" in capsys.readouterr().err
    state = resumable(path)
    assert restore_engine(state, path).log.events == session.engine.log.events


def _set_program(path: Path, program: str) -> None:
    connection = sqlite3.connect(path)
    header = json.loads(connection.execute(
        "SELECT value FROM meta WHERE key = 'header'").fetchone()[0])
    header["program"] = program
    connection.execute("UPDATE meta SET value = ? WHERE key = 'header'", (json.dumps(header),))
    connection.commit()
    connection.close()


def test_another_program_versions_journal_resumes_when_its_replay_matches(tmp_path: Path,
                                                                         capsys) -> None:
    path = tmp_path / "s.journal"
    session = _crash_and_maintenance(path)
    _set_program(path, "0.0.1")
    state = resumable(path)
    assert state.recording.program == "0.0.1"
    assert restore_session(state, path).session.engine.log.events == session.engine.log.events
    _edit_event(path, len(session.engine.log.events) - 1)
    assert main(["resume", str(path), "--headless"]) == 2
    assert "(it was written by cluster-console 0.0.1, this is " in capsys.readouterr().err
