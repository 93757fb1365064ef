"""The journal folder (console.formats.journal_folder): the names the console gives its journals,
the listing (`journal --list` reads it), and the pruning rule, tried on files whose last change
is set by hand."""

from __future__ import annotations

import datetime
import os
import re
import time
from pathlib import Path

import pytest
from journal_helpers import journaled_session, seed_header, seed_session

from console.formats.journal_folder import (
    KEEP,
    MAX_AGE_DAYS,
    NAME,
    create_default,
    journal_files,
    journal_name,
    list_journals,
    prune,
)
from console.model.commands import parse
from console.paths import journals_dir

HEADER = seed_header(3)
NOW = 2_000_000_000.0  # the Unix time the pruning tests measure ages from
DAY = 86400.0


def _journal(folder: Path, label: str = "seed", *, end: bool = True,
             command: str = "fail-node B") -> Path:
    """A journal of a short session in `folder`, named as the console names them."""
    session = seed_session(3)
    writer = create_default(label, events=session.engine.log.events, header=HEADER,
                            folder=folder)
    session.keep_journal(writer)
    session.submit(parse(command))
    session.run_for(20)
    session.close(clean=end)
    return Path(writer.path)


def _age(path: Path, days: float, now: float = NOW) -> None:
    stamp = now - days * DAY
    os.utime(path, (stamp, stamp))


def test_names_sort_by_start_and_never_collide(tmp_path: Path) -> None:
    started = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
    name = journal_name("my cluster/é", started=started, pid=42)
    assert name == "2026-03-04T050607Z-my_cluster__-42.journal"
    assert NAME.fullmatch(name)
    assert journal_name("seed", started=started, pid=42, attempt=3).endswith("-42-3.journal")
    first, second = _journal(tmp_path), _journal(tmp_path)
    assert first != second and first.exists() and second.exists()
    assert re.fullmatch(rf".*-seed-{os.getpid()}(-2)?\.journal", second.name)


def test_the_default_folder_follows_the_data_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert journals_dir() == tmp_path / "data" / "cluster-console" / "journals"
    session = seed_session(3)
    writer = create_default("seed", events=session.engine.log.events, header=HEADER)
    writer.close(0.0)
    assert Path(writer.path).parent == journals_dir()


def test_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(Exception, match="cannot make the journal folder") as caught:
        create_default("seed", events=[], header=HEADER, folder=blocker / "journals")
    assert "\n" not in str(caught.value)


def test_the_list_says_live_ended_cut_short_and_bad(tmp_path: Path) -> None:
    ended = _journal(tmp_path)
    cut = _journal(tmp_path, end=False, command="power-off C")
    bad = tmp_path / "2026-01-01T000000Z-seed-1.journal"
    bad.write_text("not a journal\n")
    live_session, live = journaled_session(tmp_path / "live.journal", 3, created_by="drill",
                                           drill="node-crash")
    live_session.submit(parse("fail-node A"))
    live.sync(0.0)
    for path, days in ((ended, 3), (cut, 2), (bad, 1)):
        _age(path, days, time.time())
    (tmp_path / "notes.txt").write_text("not listed")
    try:
        found = {s.path.name: s for s in list_journals(tmp_path)}
        assert [p.name for p in journal_files(tmp_path)] == [
            "live.journal", bad.name, cut.name, ended.name]  # newest first
        assert found["live.journal"].state == "live"
        assert found["live.journal"].label == "node-crash"
        assert found[ended.name].state == "ended" and found[ended.name].t == 20.0
        assert found[ended.name].commands == 1 and found[ended.name].label == "seed"
        assert found[cut.name].state == "cut short"
        assert found[bad.name].state == "bad"
        assert "not a cluster-console journal" in (found[bad.name].problem or "")
    finally:
        live_session.close()
    assert list_journals(tmp_path / "missing") == []


def test_pruning_keeps_the_newest_and_the_recent_and_never_a_live_or_foreign_one(
        tmp_path: Path) -> None:
    assert (KEEP, MAX_AGE_DAYS) == (50, 30)  # the rule README.md states
    keep = 5
    ours = [_journal(tmp_path) for _ in range(keep + 3)]
    for i, path in enumerate(ours):  # ours[0] is the newest
        _age(path, (i + 1) / 24)
    bad = tmp_path / "2020-01-01T000000Z-seed-1.journal"
    bad.write_text("damaged\n")
    named = tmp_path / "mine.journal"  # a name the user gave (--journal): never pruned
    named.write_bytes(ours[-1].read_bytes())
    live_session = seed_session(3)
    live = create_default("seed", events=live_session.engine.log.events, header=HEADER,
                          folder=tmp_path)
    live_session.keep_journal(live)
    live.sync(0.0)
    try:
        # more than `keep`, but all of the last days: nothing goes
        assert prune(tmp_path, keep=keep, now=NOW) == []
        for i, path in enumerate(ours):
            _age(path, MAX_AGE_DAYS + 1 + i)
        for path in (bad, named, Path(live.path)):
            _age(path, 400)
        wal = Path(f"{ours[-1]}-wal")
        wal.write_bytes(b"")  # a side file goes with its journal
        deleted = prune(tmp_path, keep=keep, now=NOW)
    finally:
        live_session.close()
    # beyond the newest `keep` and old: deleted with their side files; the oldest of all (the
    # live one, the damaged one, the one the user named) stay
    assert sorted(deleted) == sorted(ours[keep:])
    assert not any(path.exists() for path in deleted) and not wal.exists()
    assert all(path.exists() for path in ours[:keep])
    assert bad.exists() and named.exists() and Path(live.path).exists()
    # its session over, the once live journal is an old ended one like the others
    assert prune(tmp_path, keep=keep, now=NOW) == [Path(live.path)]


def test_a_journal_written_lately_through_its_wal_counts_as_recent(tmp_path: Path) -> None:
    """A session's commits go to the WAL first: a killed session's file can be older than its
    last command, which its WAL's time tells."""
    ours = [_journal(tmp_path) for _ in range(3)]
    for i, path in enumerate(ours):
        _age(path, MAX_AGE_DAYS + 1 + i)
    wal = Path(f"{ours[-1]}-wal")
    wal.write_bytes(b"")
    _age(wal, 1)
    assert journal_files(tmp_path) == [ours[2], ours[0], ours[1]]
    assert prune(tmp_path, keep=1, now=NOW) == [ours[0], ours[1]]
    assert ours[2].exists()
