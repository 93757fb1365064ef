"""Journals on the command line: `simulate --journal`, `drill --journal`, the options' refusals,
and `cluster-console journal` (--list, a summary, --recording), with every bad journal refused
in one line, exit status 2, the file unchanged and no output written."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from journal_helpers import (
    NODE_CRASH,
    SEED_TEXT,
    damaged,
    foreign,
    journaled_session,
    newer,
    not_sqlite,
)

from console.cli import main
from console.formats.cluster import parse_cluster
from console.formats.journal import read_journal
from console.formats.timed import parse_timed
from console.model.commands import parse
from console.model.engine import Engine
from console.paths import DEFAULT_CLUSTER, journals_dir
from console.replay import run as run_steps
from console.session import Session


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    return captured.err


def test_simulate_journals_its_run_and_the_export_replays_it(tmp_path: Path, capsys) -> None:
    journal = tmp_path / "run.journal"
    steps = ["--do", "60 fail-node B", "--do", "90 migrate web01 C", "--do", "95 explode A"]
    assert main(["simulate", *steps, "--for", "400", "--journal", str(journal)]) == 2
    assert not journal.exists()  # `--do "95 explode A"` refused before anything ran
    capsys.readouterr()
    steps = [*steps[:4], "--do", "120 power-on B", "--do", "120 power-on B"]
    assert main(["simulate", *steps, "--for", "400", "--journal", str(journal)]) == 0
    printed = capsys.readouterr().out
    state = read_journal(journal)
    assert state.ended and state.t == 400.0 and not state.live
    assert [e.text for e in state.recording.entries] == [
        "fail-node B", "migrate web01 C", "power-on B", "power-on B"]
    assert state.sources == ["operator"] * 4
    assert state.outcomes[0] == "accepted" and state.outcomes[3].startswith("refused: ")
    engine = Engine(parse_cluster(SEED_TEXT, str(DEFAULT_CLUSTER)), 0)
    run_steps(engine, 400.0, [parse_timed(text) for text in steps[1::2]])
    assert state.events == engine.log.events
    out = tmp_path / "run.jsonl"
    assert main(["journal", str(journal), "--recording", str(out)]) == 0
    capsys.readouterr()
    assert main(["replay", str(out), "--headless"]) == 0
    assert capsys.readouterr().out == printed


def test_a_headless_drill_journals_its_steps_and_the_operators(tmp_path: Path, capsys) -> None:
    journal = tmp_path / "drill.journal"
    assert main(["drill", str(NODE_CRASH), "--do", "200 power-on B",
                 "--journal", str(journal)]) in (0, 1)
    report = capsys.readouterr().out
    assert main(["drill", str(NODE_CRASH), "--do", "200 power-on B"]) in (0, 1)
    assert capsys.readouterr().out == report  # the journal changes nothing of the run
    state = read_journal(journal)
    assert state.ended and state.recording.drill == "node-crash"
    assert [(e.text, s) for e, s in zip(state.recording.entries, state.sources,
                                                     strict=True)] == [
        ("fail-node B", "drill"), ("power-on B", "operator")]


@pytest.mark.parametrize(("argv", "message"), [
    (["--journal", "{existing}"], "exists; a journal is never overwritten"),
    (["--journal", "{cluster}", "{cluster}"], "an output never overwrites an input"),
    (["--journal", "{new}", "--no-journal"], "give one or the other"),
    (["--journal", "{new}", "--record", "{new}"], "give each output its own file"),
    (["simulate", "--journal", "{existing}"], "exists; a journal is never overwritten"),
    (["simulate", "--journal", "{missing}/x.journal"], "cannot write"),
    (["drill", "{drill}", "{drill}", "--journal", "{new}"], "one drill at a time"),
    (["drill", "{drill}", "--journal", "{drill}"], "an output never overwrites an input"),
    (["drill", "{drill}", "--no-journal"], "goes with --interactive"),
    (["drill", "{drill}", "--interactive", "--journal", "{existing}"], "exists"),
])
def test_journal_options_refused_before_anything_runs(tmp_path: Path, capsys, argv, message
                                                      ) -> None:
    existing = tmp_path / "old.journal"
    existing.write_bytes(b"keep me")
    cluster = tmp_path / "seed.toml"
    cluster.write_text(SEED_TEXT)
    names = {"existing": existing, "cluster": cluster, "new": tmp_path / "new.journal",
             "missing": tmp_path / "missing", "drill": NODE_CRASH}
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main([word.format(**names) for word in argv]) == 2
    assert message in _one_line_error(capsys)
    assert existing.read_bytes() == b"keep me" and cluster.read_text() == SEED_TEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# -- `cluster-console journal` -------------------------------------------------------------------


def _write(path: Path, *, end: bool = True) -> Session:
    """A short session journaled at `path`: closed (with its end line unless not `end`), or
    still open when `end` is None."""
    session, writer = journaled_session(path, 5)
    session.submit(parse("fail-node B"))
    session.submit(parse("maintenance C on"))
    session.mark("crashed")
    session.run_for(45)
    writer.sync(session.now)
    session.close(clean=end)
    return session


def test_list_summary_and_export(tmp_path: Path, capsys) -> None:
    folder = journals_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    assert main(["journal", "--list"]) == 0
    assert capsys.readouterr().out == f"no journals in {folder}\n"
    ended = folder / "2026-01-02T030405Z-seed-11.journal"
    _write(ended)
    cut = folder / "2026-01-03T030405Z-seed-12.journal"
    _write(cut, end=False)
    (folder / "2026-01-04T030405Z-seed-13.journal").write_text("nonsense\n")
    assert main(["journal", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("2026-01-04T030405Z-seed-13.journal  bad: not a cluster-console")
    assert "00:00:45" in lines[1] and "2 commands" in lines[1] and lines[1].endswith("cut short")
    assert lines[2].startswith(ended.name) and lines[2].endswith("ended")
    assert main(["journal", "--list", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["state"] for row in rows] == ["bad", "cut short", "ended"]
    assert main(["journal", str(ended)]) == 0
    summary = capsys.readouterr().out
    assert "2 commands (0 refused), 1 mark," in summary and "ended" in summary
    assert main(["journal", str(cut), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "cut short"
    out = tmp_path / "cut.jsonl"
    before = _digest(cut)
    assert main(["journal", str(cut), "--recording", str(out)]) == 0
    assert _digest(cut) == before
    lines = out.read_text().splitlines()
    assert json.loads(lines[1]) == {"t": 0.0, "command": "fail-node B"}
    assert json.loads(lines[-2]) == {"t": 0.0, "mark": "crashed"}
    # cut short: its end line at the time the journal reached, so a replay goes as far
    assert json.loads(lines[-1]) == {"t": 45.0, "end": True}
    assert main(["journal", str(cut), "--recording", str(cut)]) == 2
    assert "an output never overwrites an input" in _one_line_error(capsys)
    assert _digest(cut) == before


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A journal a live session (in this process) is writing."""
    path = tmp_path / "live.journal"
    session, writer = journaled_session(path, 5)
    session.submit(parse("fail-node B"))
    writer.sync(0.0)
    yield path
    session.close()


def _fifo(path: Path) -> None:
    """`path` made a FIFO, which would block whoever opens it to read until a writer came."""
    path.unlink()
    os.mkfifo(path)


SPOILERS: dict[str, tuple[Callable[[Path], None] | None, str]] = {
    "not SQLite": (not_sqlite, "not a cluster-console journal (not an SQLite database)"),
    "foreign": (foreign, "an SQLite database of another program"),
    "newer": (lambda path: newer(path, 9), "journal format 9 is newer than this program's"),
    "damaged": (damaged, "damaged journal"),
    "missing": (None, "no such journal"),
    "FIFO": (_fifo, "not a journal (not a regular file)"),
    "locked": (None, "being written by a live session"),
}


@pytest.mark.parametrize("kind", sorted(SPOILERS))
@pytest.mark.parametrize("export", [False, True], ids=["summary", "export"])
def test_a_bad_journal_is_refused_in_one_line_and_left_as_it_was(tmp_path: Path, capsys,
                                                                  request, kind: str,
                                                                  export: bool) -> None:
    spoil, message = SPOILERS[kind]
    if kind == "locked":
        path = request.getfixturevalue("locked")
    else:
        path = tmp_path / "s.journal"
        if kind != "missing":
            _write(path)
            assert spoil is not None
            spoil(path)
    before = _files(tmp_path)
    out = tmp_path / "out.jsonl"
    argv = ["journal", str(path)] + (["--recording", str(out)] if export else [])
    assert main(argv) == 2
    error = _one_line_error(capsys)
    assert message in error and str(path) in error
    assert not out.exists()
    assert _files(tmp_path) == before


def _files(folder: Path) -> dict[str, str]:
    """The checksum of every file in `folder` but SQLite's shared-memory index (`-shm`), which
    readers of a live journal write their read marks into by SQLite's design."""
    return {p.name: _digest(p) for p in folder.iterdir()
            if p.is_file() and not p.name.endswith("-shm")}
