"""Followers (console.follow): a read-only replay of a journal being written, kept up with the
leader as it commits. Leader and followers run in-process here, driven by hand (paused clocks,
polls called by the test), so nothing waits on real time."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

import pytest
from journal_helpers import drill_leader, journaled_session, run

from console import follow
from console.cli import main
from console.drills.report import ExpectationResult
from console.follow import READ_ONLY, Follower, open_reader
from console.formats.journal import JournalError
from console.model.commands import parse
from console.model.entities import NodeState


def follower(path: Path) -> Follower:
    reader = open_reader(path)
    return Follower(reader)


def caught_up(found: Follower) -> Follower:
    found.poll()
    assert found.play()
    return found


def test_two_followers_mirror_the_leader_and_refuse_every_change(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    first, second = follower(path), follower(path)
    run(session, 10)
    session.submit(parse("fail-node A"))
    run(session, 30)
    journal.sync(session.now)
    for one in (first, second):
        caught_up(one)
        assert one.session.now == session.now == 40.0
        assert one.session.engine.cluster.nodes["A"].state == \
            session.engine.cluster.nodes["A"].state == NodeState.FAILED
        assert one.session.engine.log.events == session.engine.log.events
        assert one.diverged is None and not one.player.ended
        for text in ("maintenance B on", "fail-node C", "pause", "resume", "speed 4"):
            refused = one.session.submit(parse(text))
            assert not refused.accepted and refused.reason.startswith(READ_ONLY), text
        assert one.session.engine.log.events == session.engine.log.events
    session.submit(parse("speed 8"))
    session.submit(parse("maintenance B on"))
    session.submit(parse("pause"))
    journal.sync(session.now)
    caught_up(first)
    assert first.session.clock.speed == 8 and first.session.clock.paused  # the leader's clock
    assert first.session.engine.cluster.nodes["B"].state == \
        session.engine.cluster.nodes["B"].state != NodeState.ONLINE
    session.close()
    for one in (first, second):
        caught_up(one)
        assert one.player.ended and not one.behind
        assert one.session.engine.log.events == session.engine.log.events
        assert not one.poll()  # over: nothing more is read


def test_the_leaders_time_alone_moves_the_model(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    found = caught_up(follower(path))
    found.session.advance(100)  # the follower's own clock (the app's tick)
    assert found.session.now == 0.0
    run(session, 25)
    journal.sync(session.now)
    caught_up(found)
    assert found.session.now == 25.0
    session.close()


def test_a_late_follower_catches_up_in_slices(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    for t, text in ((5, "fail-node B"), (200, "power-on B"), (900, "maintenance C on")):
        run(session, t - int(session.now))
        session.submit(parse(text))
    run(session, 3600 - int(session.now))
    journal.sync(session.now)
    late = follower(path)
    late.poll()
    slices = 0
    while not late.play(budget_s=0.0):  # one chunk at a time
        slices += 1
        assert late.session.now <= session.now
    assert slices >= 3600 / follow.CHUNK_S - 1
    assert late.session.engine.log.events == session.engine.log.events
    assert late.progress == 1.0
    session.close()


def test_a_leader_that_stops_without_an_end_line_is_told(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path, synced=True)
    run(session, 20)
    journal.sync(session.now)
    found = caught_up(follower(path))
    monkeypatch.setattr(follow, "STOPPED_S", 0.0)
    found.poll()
    assert not found.stopped  # still written (the leader holds the lock)
    assert not found.session.clock.paused  # the header says the leader's speed
    journal.close(session.now, clean=False)  # as after kill -9: no end line
    found.poll()
    assert found.stopped and not found.player.ended and found.session.now == 20.0
    assert found.session.clock.paused  # the leader's clock is not running: PAUSED, not x1


def test_a_replay_that_diverges_stops_and_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    session, _journal = journaled_session(path, synced=True)
    run(session, 10)
    session.submit(parse("fail-node A"))
    run(session, 30)
    session.close()
    with sqlite3.connect(path) as connection:  # another program version's events
        connection.execute("UPDATE events SET message = 'something else' WHERE n = 0")
    found = caught_up(follower(path))
    assert found.diverged is not None and found.over and not found.behind
    assert found.diverged.startswith(f"{path}: the replay diverges from the journal at entry "
                                     "1 (10 s command fail-node A): event 0 is ")
    assert "'something else'" in found.diverged and "\n" not in found.diverged
    # back to the last state that agreed: 10 s, just before the command
    assert found.session.now == 10.0 and found.player.index == 0
    assert found.session.engine.cluster.nodes["A"].state == NodeState.ONLINE
    assert found.session.engine.log.events == []
    assert not found.poll() and found.play() and found.session.now == 10.0


def test_a_followed_drill_is_scored_as_the_leaders(tmp_path: Path) -> None:
    path = tmp_path / "d.journal"
    live, journal = drill_leader(path, tmp_path / "report.txt")
    found = follower(path)
    assert found.drill is not None
    live.session.advance(70)
    live.session.journal.time(live.session.now, force=True)  # type: ignore[union-attr]
    journal.sync(live.session.now)
    caught_up(found)
    assert found.session.engine.log.events == live.session.engine.log.events
    while not live.over:
        live.session.advance(50)
    live.session.close()
    caught_up(found)
    assert found.player.ended and found.drill.report is not None

    def verdicts(results: list[ExpectationResult]) -> list[bool | None]:
        return [r.passed for r in results]

    assert verdicts(found.drill.results()) == verdicts(live.results())


def test_a_followed_drill_is_scored_when_the_drill_ends_not_when_the_leader_quits(
        tmp_path: Path) -> None:
    """The leader's drill is scored (and its clock paused) as its time reaches the drill's
    duration, while its console stays open on the report: the follower scores it then too."""
    path = tmp_path / "d.journal"
    live, journal = drill_leader(path, tmp_path / "report.txt")
    found = follower(path)
    while not live.over:
        live.session.advance(50)
    live.session.journal.time(live.session.now, force=True)  # type: ignore[union-attr]
    journal.sync(live.session.now)
    caught_up(found)
    assert not found.player.ended and found.drill is not None  # no end line yet
    assert found.drill.report is not None
    assert [r.passed for r in found.drill.results()] == [r.passed for r in live.results()]
    assert None not in [r.passed for r in found.drill.results()]  # nothing pending
    assert found.session.clock.paused  # as the leader's, paused at the drill's end
    assert found.session.engine.log.events == live.session.engine.log.events
    live.session.close()
    caught_up(found)
    assert found.player.ended and found.diverged is None


def test_a_journal_still_being_created_is_retried(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)  # as a leader's writer holds it before its schema
    fcntl.flock(fd, fcntl.LOCK_EX)
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:  # the leader's schema is written meanwhile
            os.close(fd)
            path.unlink()
            journaled_session(path, synced=True)

    assert open_reader(path, sleep=wait).recording.seed == 7
    assert len(waits) == 3


def test_a_journal_that_stays_starting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.journal"
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(JournalError, match="a live session is starting this journal"):
            open_reader(path, wait_s=0.0, sleep=lambda _s: None)
    finally:
        os.close(fd)


@pytest.mark.parametrize("name, content, said", [
    ("missing.journal", None, "no such journal"),
    ("text.journal", b"not a journal\n", "not a cluster-console journal"),
    ("empty.journal", b"", "not a cluster-console journal (an empty file)"),
])
def test_the_command_line_refuses_what_the_reader_refuses(tmp_path: Path, capsys, name,
                                                          content, said) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["follow", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and str(path) in err
    assert (path.read_bytes() if content is not None else None) == content


@pytest.mark.parametrize(("speed", "paused", "shown"),
                         [(10.0, False, "x10"), (1.0, True, "PAUSED"), (4.0, True, "PAUSED")])
def test_a_follower_shows_the_clock_the_leader_started_with(tmp_path: Path, speed: float,
                                                           paused: bool, shown: str) -> None:
    path = tmp_path / "s.journal"
    session, journal = journaled_session(path)
    session.clock.speed, session.clock.paused = speed, paused  # as --speed, --paused build it
    session.tell_clock()
    journal.sync(0.0)
    found = caught_up(follower(path))
    assert found.session.clock.label() == shown and found.session.clock.speed == speed
    assert found.session.engine.log.events == session.engine.log.events
