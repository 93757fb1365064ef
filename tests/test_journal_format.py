"""The journal file (console.formats.journal): a session written as it goes, read back whole or
as it grows, and every file that is not a good journal refused without a byte changed."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from journal_helpers import damaged, foreign, journaled_session, newer, not_sqlite

from console.formats.journal import (
    JournalError,
    JournalReader,
    JournalWriter,
    is_live,
    read_journal,
    recording_text,
)
from console.formats.recording import parse_recording
from console.model.commands import parse
from console.replay import replay_headless
from console.session import DRILL


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_session_reads_back_whole_and_replays_to_the_same_events(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path)
    session.run_for(30)
    session.submit(parse("fail-node B"))
    session.submit(parse("migrate web01 C"), source=DRILL)
    for _ in range(60):
        session.run_for(1)
    session.mark("after the crash")
    session.submit(parse("speed 4"))
    journal.sync(session.now)
    live = read_journal(path)
    assert live.live and not live.ended
    assert live.t == session.now == 90.0
    assert live.events == session.engine.log.events
    session.close()
    state = read_journal(path)
    assert not state.live and state.ended
    assert [e.kind for e in state.recording.entries] == ["command", "command", "mark", "clock"]
    assert state.sources == ["operator", "drill", None, "operator"]
    assert state.outcomes[0] == "accepted"
    assert state.events == session.engine.log.events
    replayed = replay_headless(parse_recording(recording_text(state), "exported"))
    assert replayed.log.events == session.engine.log.events


def test_a_follower_polls_what_each_commit_adds(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path)
    journal.sync(0.0)
    with JournalReader(path) as reader:
        first = reader.poll()
        assert first.entries == [] and first.t == 0.0 and not first.ended
        session.submit(parse("fail-node A"))
        session.run_for(20)
        journal.sync(session.now)
        second = reader.poll()
        assert [e.text for e in second.entries] == ["fail-node A"]
        assert second.t == 20.0
        assert second.events == session.engine.log.events
        assert reader.poll().entries == []
        session.close()
        assert reader.poll().ended


def test_a_second_writer_and_an_existing_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path)
    journal.sync(0.0)
    before = _digest(path)
    with pytest.raises(JournalError, match="exists; a journal is never overwritten"):
        journaled_session(path)
    with pytest.raises(JournalError, match="being written by a live session"):
        JournalWriter(path, events=[], resume=read_journal(path))
    assert _digest(path) == before
    session.close()
    assert not is_live(path)


def _bad(tmp_path: Path, name: str) -> Path:
    """A finished journal at tmp_path/name to spoil."""
    path = tmp_path / name
    session, _ = journaled_session(path)
    session.submit(parse("fail-node B"))
    session.run_for(10)
    session.close()
    return path


def _bad_entry(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE entries SET line = '{\"t\": 1, \"command\": \"explode B\"}'")
    connection.close()


@pytest.mark.parametrize(("spoil", "message"), [
    (not_sqlite, "not a cluster-console journal (not an SQLite database)"),
    (foreign, "not a cluster-console journal (an SQLite database of another program)"),
    (newer, "journal format 2 is newer than this program's (1)"),
    (damaged, "damaged journal"),
    (_bad_entry, "damaged journal: entry 1: "),
])
def test_a_bad_journal_is_refused_in_one_line_and_left_as_it_was(tmp_path: Path, spoil,
                                                                  message: str) -> None:
    path = _bad(tmp_path, "s.journal")
    spoil(path)
    before = _digest(path)
    copies = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(JournalError) as caught:
        read_journal(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == copies


def test_a_journal_killed_mid_session_reads_up_to_its_last_commit(tmp_path: Path) -> None:
    """The writer's process died: the WAL holds the commits, no end line, no lock."""
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path)
    session.submit(parse("fail-node C"))
    session.run_for(40)
    journal.sync(session.now)
    # What a killed process leaves: the files as they are now, with nobody holding them.
    copy = tmp_path / "copy.journal"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            shutil.copy(f"{path}{suffix}", f"{copy}{suffix}")
    session.close()
    state = read_journal(copy)
    assert not state.live and not state.ended
    assert state.t == 40.0
    assert [e.text for e in state.recording.entries] == ["fail-node C"]
    # exported, it replays as far as the journal reached (its end line at 40 s), as resume does
    exported = parse_recording(recording_text(state), "exported")
    assert exported.end == 40.0
    assert replay_headless(exported).now == 40.0
