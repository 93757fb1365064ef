"""The console's journal (console.ui.journaling): every console session and interactive drill
keeps one by default, created just after the first frame with what the session heard before;
a named one (`--journal PATH`) is created before the screen; a journal that cannot be created
in the default folder leaves the console running and says so once, as does a writer that fails
later. The user's data folder is a temporary one (tests/conftest.py; here each test's own)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from ui_helpers import make_app, make_session, notes

from console.drills import parse_drill
from console.drills.live import LiveDrill, drill_session
from console.formats.journal import JournalError, read_journal
from console.formats.journal_folder import NAME
from console.model.commands import parse
from console.paths import DEFAULT_CLUSTER, journals_dir
from console.ui import app as console_app
from console.ui import launch
from console.ui.drill import DrillMode
from console.ui.journaling import ConsoleJournal
from console.ui.launch import console_header, drill_header, load_settings


@pytest.fixture(autouse=True)
def _own_data_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(console_app, "AFTER_FIRST_FRAME_S", 0.01)


def _header(engine):
    return console_header(engine, cluster_file=str(DEFAULT_CLUSTER),
                          cluster_text=DEFAULT_CLUSTER.read_text(), read_only=False)


async def _until(pilot, done) -> None:
    """Let the app run until `done()` holds (a wait on a condition, 5 s at most)."""
    for _ in range(250):
        if done():
            return
        await pilot.pause(0.02)
    raise AssertionError("the console never got there")


async def test_the_default_journal_comes_after_the_first_frame_with_what_came_before() -> None:
    session = make_session()
    journal = ConsoleJournal(None, "seed", _header)
    journal.open(session)
    session.submit(parse("fail-node B"))  # before the journal exists: held
    assert journal.writer is None and session.journal is None
    app = make_app(session=session, after_first_frame=journal.start)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: journal.writer is not None)
        path = Path(journal.writer.path)
        assert path.parent == journals_dir() and NAME.fullmatch(path.name)
        assert "-seed-" in path.name
        app.run_command(parse("maintenance C on"))
        app.advance(30)
        journal.writer.sync(session.now)
        live = read_journal(path)
        assert live.live and live.t == 30.0
        assert [e.text for e in live.recording.entries] == ["fail-node B", "maintenance C on"]
        assert live.events == session.engine.log.events
        await pilot.press("q")
    state = read_journal(path)
    assert state.ended and not state.live and state.events == session.engine.log.events


async def test_no_journal_folder_leaves_the_console_running_and_says_so_once(
        tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    session = make_session()
    journal = ConsoleJournal(None, "seed", _header)
    journal.open(session)
    app = make_app(session=session, after_first_frame=journal.start)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: any("no journal" in n for n in notes(app)))
        assert session.journal is None
        app.run_command(parse("fail-node B"))  # the console goes on
        await pilot.pause()
        assert [n for n in notes(app) if "journal" in n] == [
            f"this session has no journal: {blocker}/cluster-console/journals: cannot make "
            "the journal folder (Not a directory)"]


async def test_a_writer_that_fails_later_is_told_once() -> None:
    session = make_session()
    journal = ConsoleJournal(None, "seed", _header)
    journal.open(session)
    app = make_app(session=session, after_first_frame=journal.start)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: journal.writer is not None)
        writer = journal.writer
        writer.close(session.now, clean=False)
        writer.error = f"{writer.path}: journal stopped: database or disk is full"
        journal.watch(app)
        journal.watch(app)
        await pilot.pause()
        assert [n for n in notes(app) if "journal stopped" in n] == [
            f"{writer.path}: journal stopped: database or disk is full; the session goes on "
            "without it"]


def test_a_named_journal_that_exists_is_refused_before_the_screen(tmp_path: Path) -> None:
    path = tmp_path / "taken.journal"
    path.write_bytes(b"mine")
    with pytest.raises(JournalError, match="exists; a journal is never overwritten"):
        ConsoleJournal(str(path), "seed", _header).open(make_session())
    assert path.read_bytes() == b"mine"


STEP_AT_ZERO = textwrap.dedent(f"""\
    [drill]
    name = "early"
    cluster = "{DEFAULT_CLUSTER}"
    duration_s = 120

    [[steps]]
    at = 0
    do = "fail-node B"

    [[expect]]
    that = "node B is failed at end"
    """)


async def test_an_interactive_drills_first_steps_reach_its_journal(tmp_path: Path) -> None:
    drill = parse_drill(STEP_AT_ZERO, str(tmp_path / "early.toml"))
    session = drill_session(drill, paused=True)
    journal = ConsoleJournal(None, drill.name, lambda engine: drill_header(drill, engine))
    journal.open(session)
    live = LiveDrill(session, drill, str(tmp_path / "report.txt"))
    app = make_app(session=session, mode=DrillMode(live), after_first_frame=journal.start)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: journal.writer is not None)
        journal.writer.sync(session.now)
        state = read_journal(journal.writer.path)
        assert Path(journal.writer.path).name.split("-")[-2] == "early"
        assert state.recording.drill == "early"
        assert [(e.text, s) for e, s in zip(state.recording.entries, state.sources,
                                             strict=True)] == [("fail-node B", "drill")]


def _quit_at_once(app) -> int | None:
    """`launch._run`, headless: the console starts, its journal is made, `q`."""
    async def drive(pilot) -> None:
        await _until(pilot, lambda: app.session is not None and app.session.journal is not None)
        await pilot.press("q")

    return app.run(headless=True, size=(120, 40), auto_pilot=drive)


@pytest.mark.parametrize("named", [False, True], ids=["default", "named"])
def test_open_console_journals_by_default_or_where_told(tmp_path: Path, monkeypatch,
                                                        named: bool) -> None:
    monkeypatch.setattr(launch, "_run", _quit_at_once)
    themes, keymap = load_settings(None)
    target = tmp_path / "named.journal"
    status = launch.open_console(str(DEFAULT_CLUSTER), seed=4, local=False, speed=1.0,
                                 paused=True, confirm=False, read_only=False, theme=None,
                                 themes=themes, keymap=keymap, record=None,
                                 journal=str(target) if named else None,
                                 default_journal=not named)
    assert status == 0
    made = list(journals_dir().glob("*.journal")) if journals_dir().exists() else []
    assert len(made) == (0 if named else 1)
    state = read_journal(target if named else made[0])
    assert state.ended and state.recording.seed == 4


@pytest.mark.parametrize(("speed", "paused", "clock"),
                         [(10.0, False, ["speed 10"]), (1.0, True, ["pause"]), (1.0, False, [])],
                         ids=["x10", "paused", "x1"])
def test_the_starting_clock_is_journaled_and_recorded(tmp_path: Path, monkeypatch, speed: float,
                                                      paused: bool, clock: list[str]) -> None:
    from console.follow import Follower, open_reader
    from console.formats.recording import load_recording
    from console.journal import restore_session

    monkeypatch.setattr(launch, "_run", _quit_at_once)
    themes, keymap = load_settings(None)
    target, recorded = tmp_path / "s.journal", tmp_path / "s.rec"
    assert launch.open_console(str(DEFAULT_CLUSTER), seed=4, local=False, speed=speed,
                               paused=paused, confirm=False, read_only=False, theme=None,
                               themes=themes, keymap=keymap, record=str(recorded),
                               journal=str(target)) == 0
    state = read_journal(target)
    assert [(e.t, e.text) for e in state.recording.entries if e.kind == "clock"] == \
        [(0.0, text) for text in clock]
    assert [e.text for e in load_recording(recorded).entries if e.kind == "clock"] == clock
    follower = Follower(open_reader(target))
    follower.poll()
    follower.play()  # to the end, where it pauses: the leader's speed shows
    assert follower.session.clock.speed == speed
    assert restore_session(state, target).session.clock.speed == speed


def test_a_resumed_console_journals_its_clock(tmp_path: Path, monkeypatch) -> None:
    from console.journal import restore_session, resumable

    monkeypatch.setattr(launch, "_run", _quit_at_once)
    themes, keymap = load_settings(None)
    target = tmp_path / "s.journal"
    launch.open_console(str(DEFAULT_CLUSTER), seed=4, local=False, speed=10.0, paused=False,
                        confirm=False, read_only=False, theme=None, themes=themes,
                        keymap=keymap, record=None, journal=str(target))
    state = resumable(target)
    restored = restore_session(state, target)
    assert restored.session.clock.speed == 10.0  # the journaled start
    restored.session.clock.speed = 4.0  # resume --speed 4
    assert launch.open_resumed_console(restored, state, str(target), confirm=False, theme=None,
                                       themes=themes, keymap=keymap,
                                       journaled_speed=10.0) == 0
    again = read_journal(target)
    assert [e.text for e in again.recording.entries if e.kind == "clock"] == \
        ["speed 10", "speed 4", "pause"]
    assert restore_session(again, target).session.clock.speed == 4.0
