"""The console's launchers, called by the command line once it has checked the options and
files: `open_console` (`cluster-console [CLUSTER]`), `open_drill_console` (`drill FILE
--interactive`), `open_replay_console` (`replay FILE`) and `open_follow_console` (`follow
JOURNAL`). `load_settings` reads the themes and the key map so that the command line can
check them before the screen is taken over.

Each builds a Session (console.session) and hands it to the app, which only views it.
`--record FILE` records the session (console.formats.recording): every command with its
simulated time, as a listener of the Session (`Session.record`); the recording ends with its end
line when the console quits. With `--local` the embedded cluster text gets the local node
appended as a `[[nodes]]` table, so that a headless replay rebuilds the very same cluster.
The console and interactive drills also keep a journal (console.ui.journaling): the one named
with `--journal PATH`, else (unless `--no-journal`) a new one in the user's journal folder; the
replay console keeps none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.errors import InputError
from console.formats.cluster import quick_to_place
from console.formats.toml import read_file
from console.model.engine import Engine
from console.session import Session, SessionClock
from console.sources.base import Source
from console.sources.sim import SimSource
from console.ui.journaling import ConsoleJournal
from console.ui.keys import load_keymap
from console.ui.themes import load_themes

if TYPE_CHECKING:  # the drill's, the replay's and a recording's modules are imported where used:
    # the plain console's first frame does not wait for them (tests/ui/test_startup.py)
    from textual.theme import Theme

    from console.drills.live import LiveDrill
    from console.drills.plan import Drill
    from console.formats.drill import DrillSource
    from console.formats.journal import JournalReader, JournalState
    from console.formats.recording import Recorder, Recording
    from console.journal import Restored
    from console.replay import ReplayPlayer
    from console.ui.app import ConsoleApp

#: Cluster files larger than this load in a worker thread behind a loading screen, so that the
#: first frame is immediate; smaller ones load before the screen opens (errors print plainly).
ASYNC_LOAD_BYTES = 32 * 1024
#: What the loading screen says while the cluster of real hosts (connected before the screen)
#: is read and built.
OBSERVED_LOADING = "cluster-console: reading the real hosts' VMs (libvirt) ...  (q quits)"
#: A follower plays what its journal holds for at most this many real seconds before the screen
#: opens; a longer journal is played behind the loading screen (`follow_console`).
FOLLOW_INLINE_S = 0.5

def loads_behind_screen(text: str, filename: str,
                        traces: dict[str, tuple[float, ...]] | None = None) -> bool:
    """Whether the cluster in `text` is big enough to build behind the loading screen: a file
    over `ASYNC_LOAD_BYTES`, or a placement slower than about half a second
    (console.formats.cluster.quick_to_place), however short the file (`count = 8000` is one
    line). Raises `InputError` for text that is not TOML or breaks the schema: that much is
    checked before the screen, whatever the size."""
    return (len(text) > ASYNC_LOAD_BYTES  # as many bytes at least: a 6 MB file not encoded
            or len(text.encode()) > ASYNC_LOAD_BYTES or not quick_to_place(text, filename, traces))


def load_settings(theme: str | None) -> tuple[list[Theme], dict[str, str]]:
    """(every theme, the user's key map), checked. Raises `InputError` for a bad theme file or
    keys.toml, or when `theme` (a name, None for the default) is not among the themes."""
    themes = load_themes()
    names = [t.name for t in themes]
    if theme is not None and theme not in names:
        raise InputError(f"--theme: unknown theme {theme!r} (known: {', '.join(names)})")
    return themes, load_keymap()


def open_console(cluster_file: str, *, seed: int, local: bool, speed: float, paused: bool,
                 confirm: bool, read_only: bool, theme: str | None, themes: list[Theme],
                 keymap: dict[str, str], record: str | None,
                 before_screen: Callable[[], None] = lambda: None,
                 cluster_text: str | None = None, journal: str | None = None,
                 default_journal: bool = False, source: Source | None = None) -> int:
    """Run the console on `cluster_file` until it quits; its exit status. `speed` is simulated
    seconds per real second; `record` a writable path or None; `before_screen` the command
    line's last check (a terminal to draw on), called once a small cluster file has loaded,
    so that a bad file is reported first. Raises `InputError` for a bad cluster file (a big
    one is loaded behind a loading screen: `loads_behind_screen`; its error found there is
    raised once the screen is back). `cluster_text` is the file's text when the caller has
    read it already (it is then not read again). `journal`: the journal to create (a path
    that does not exist; `JournalError` before the screen when it cannot be created), else
    with `default_journal` one in the journal folder, created after the first frame (see
    console.ui.journaling). `source`: where the cluster comes from when it is not the file
    (real hosts: console.sources.libvirt, connected already; `cluster_text` is then the
    cluster file it builds, which a recording and a journal embed)."""
    from console.ui.app import ConsoleApp

    if cluster_text is None:
        cluster_text = read_file(cluster_file)
    observed = source is not None
    if source is None:
        source = SimSource(cluster_file, cluster_text)
    if local:
        from console.sources.local import LocalSource

        source = LocalSource(source)

    def build() -> Session:
        return Session(Engine(source.build(), seed), speed=speed, paused=paused,
                       read_only=read_only)

    def header(engine: Engine) -> dict[str, Any]:
        return console_header(engine, cluster_file=cluster_file, cluster_text=cluster_text,
                              read_only=read_only)

    journaled = _journal(journal, default_journal, Path(cluster_file).stem, header)

    def recorded(session: Session) -> None:
        if record:
            session.record(console_recorder(record, session.engine, cluster_file=cluster_file,
                                            cluster_text=cluster_text, read_only=read_only))

    def loaded(session: Session) -> None:  # behind the loading screen
        recorded(session)
        _open_journal(journaled, session, app)
        session.tell_clock()  # --speed, --paused: journaled and recorded

    session = None if loads_behind_screen(cluster_text, cluster_file) else build()
    before_screen()  # before the recording is created: a refusal writes nothing
    if session is not None:
        recorded(session)
        if journaled is not None:
            journaled.open(session)  # a named journal refused: one line, before the screen
        session.tell_clock()  # --speed, --paused: journaled and recorded
    app = ConsoleApp(session, loader=None if session else build, on_loaded=loaded,
                     source=source if local or observed else None, confirm=confirm,
                     theme=theme, themes=themes, keymap=keymap,
                     after_first_frame=None if journaled is None else journaled.start)
    if observed:  # connected already: what the loading screen waits for is the hosts' VMs
        app.loading_status = lambda: OBSERVED_LOADING
    result = _run(app)
    if app.load_error:  # the loader's one-line error, now that the screen is back
        raise InputError(app.load_error)
    return int(result or app.return_code or 0)


def console_recorder(target: str, engine: Engine, *, cluster_file: str, cluster_text: str,
                     read_only: bool) -> Recorder:
    """The recording of a console session on `engine` (`created_by` console); with `--local`
    the machine's node is appended to the embedded cluster text."""
    from console.formats.recording import Recorder

    return Recorder(target, **console_header(engine, cluster_file=cluster_file,
                                             cluster_text=cluster_text, read_only=read_only))


def console_header(engine: Engine, *, cluster_file: str, cluster_text: str,
                   read_only: bool) -> dict[str, Any]:
    """The header of a console session's recording or journal on `engine`: `Recorder`'s
    keyword arguments (`created_by` console); with `--local` the machine's node is appended to
    the embedded cluster text."""
    local = engine.cluster.local_node()
    text = cluster_text
    if local is not None:
        from console.formats.recording import cluster_with_node

        text = cluster_with_node(cluster_text, local)
    return {"seed": engine.seed, "cluster_file": cluster_file, "cluster": text,
            "created_by": "console", "read_only": read_only,
            "local_node": None if local is None else local.name,
            "traces": engine.cluster.traces}


def _journal(path: str | None, default: bool, label: str,
             header: Callable[[Engine], dict[str, Any]]) -> ConsoleJournal | None:
    """The session's journal: at `path`, else in the journal folder when `default`, else
    none."""
    if path is None and not default:
        return None
    return ConsoleJournal(path, label, header)


def _open_journal(journaled: ConsoleJournal | None, session: Session, app: ConsoleApp) -> None:
    """Behind the loading screen, the model built: open the session's journal; a named one
    refused now is said on screen (it was checked before the screen)."""
    from console.formats.journal import JournalError

    if journaled is None:
        return
    try:
        journaled.open(session)
    except JournalError as error:
        journaled.refused(app, error)


def open_resumed_console(restored: Restored, state: JournalState, path: str, *, confirm: bool,
                         theme: str | None, themes: list[Theme],
                         keymap: dict[str, str], journaled_speed: float = 1.0) -> int:
    """`resume JOURNAL`: the console on `restored` (console.journal.restore_session, restored
    from `state`, the journal at `path`), appending to that journal, until it quits; its exit
    status. The restored clock (paused; a speed other than `journaled_speed`, the journal's
    last, when `resume --speed` set one) is journaled first, so a follower shows it. An
    interactive drill's journal opens as the drill (its panel, its scoring). Raises
    `JournalError` when a live session took the journal meanwhile."""
    from console.ui.app import ConsoleApp
    from console.ui.drill import DrillMode

    session = restored.session
    journaled = ConsoleJournal(path, Path(path).stem, lambda _engine: {}, resume=state)
    journaled.open(session)  # a writer that fails later is told on screen, as in any console
    session.tell_clock(SessionClock(journaled_speed))  # restored paused, maybe at a new --speed
    mode = None if restored.drill is None else DrillMode(restored.drill)
    app = ConsoleApp(session, mode=mode, confirm=confirm, theme=theme, themes=themes,
                     keymap=keymap, after_first_frame=journaled.start)
    result = _run(app)
    return int(result or app.return_code or 0)


def _run(app) -> int | None:
    """Run the app, fitted to the terminal (`ConsoleApp.fit_terminal`); a recording that did
    not end cleanly (a crash) closes without its end.
    Raises SystemExit(128 + signal) when SIGTERM or SIGHUP stopped it (the recording ended
    cleanly and the terminal was restored first), as a shell reports a process a signal
    ended."""
    app.fit_terminal()
    try:
        result = app.run()
    finally:
        if app.session is not None:
            app.session.close(clean=False)
    if app.stopped_by is not None:
        raise SystemExit(128 + app.stopped_by)
    return result


def open_drill_console(drill: Drill | DrillSource, *, report: str | None, record: str | None,
                       speed: float, paused: bool, confirm: bool, themes: list[Theme],
                       keymap: dict[str, str], theme: str | None = None,
                       journal: str | None = None,
                       default_journal: bool = False) -> LiveDrill | None:
    """`drill FILE --interactive`: run the console on the drill until it quits; the live drill
    (its `report` is None when the operator quit before the end), None when the operator quit
    while a big cluster (`loads_behind_screen`) was loading. A `DrillSource` (a drill whose
    cluster file is big, console.formats.drill) is loaded and checked behind the loading
    screen, so that the screen comes first. `record` a writable path or None; `report` where
    to save the text report (None: next to the drill file); `journal` and `default_journal`
    as `open_console`'s. Raises `InputError` when a big cluster cannot be placed or a drill
    source is bad (found behind the loading screen), `JournalError` when the named journal
    cannot be created (before the screen)."""
    from console.drills import load_drill
    from console.drills.live import LiveDrill, drill_session
    from console.formats.drill import DrillSource
    from console.ui.app import ConsoleApp
    from console.ui.drill import DrillMode

    live: list[LiveDrill] = []
    checked: list[Drill] = [drill] if not isinstance(drill, DrillSource) else []

    def the_drill() -> Drill:
        if not checked:  # behind the loading screen
            checked.append(load_drill(drill.path))
        return checked[0]

    journaled = _journal(journal, default_journal, drill.name,
                         lambda engine: drill_header(the_drill(), engine))

    def build() -> Session:
        return drill_session(the_drill(), speed=speed, paused=paused)

    def started(session: Session) -> DrillMode:
        live.append(LiveDrill(session, the_drill(), report))
        if record:
            session.record(drill_recorder(record, the_drill(), session.engine))
        session.tell_clock()  # --speed, --paused: journaled (opened before) and recorded
        return DrillMode(live[0])

    def loaded(session: Session) -> None:
        _open_journal(journaled, session, app)
        app.mode = started(session)

    big = isinstance(drill, DrillSource) or loads_behind_screen(drill.cluster_text,
                                                                drill.cluster_file)
    session = None if big else build()
    if session is not None and journaled is not None:
        journaled.open(session)  # a named journal refused: one line, before the screen
    app = ConsoleApp(session, loader=build if big else None, on_loaded=loaded,
                     mode=None if session is None else started(session), confirm=confirm,
                     theme=theme, themes=themes, keymap=keymap,
                     after_first_frame=None if journaled is None else journaled.start)
    _run(app)
    if app.load_error:
        raise InputError(app.load_error)
    return live[0] if live else None


def drill_recorder(target: str, drill: Drill, engine: Engine) -> Recorder:
    """The recording of an interactive drill (`created_by` drill)."""
    from console.formats.recording import Recorder

    return Recorder(target, **drill_header(drill, engine))


def drill_header(drill: Drill, engine: Engine) -> dict[str, Any]:
    """The header of a drill's recording or journal on `engine`: `Recorder`'s keyword
    arguments (`created_by` drill, the drill's name and self-contained text)."""
    return {"seed": drill.seed, "cluster_file": drill.cluster_file,
            "cluster": drill.recorded_cluster_text, "created_by": "drill",
            "drill": drill.name, "traces": engine.cluster.traces,
            "drill_file": drill.self_contained_text()}


def open_replay_console(recording: Recording, *, speed: float | None, paused: bool,
                        theme: str | None, themes: list[Theme],
                        keymap: dict[str, str]) -> int:
    """`replay FILE`: the console plays the recording back until it quits; its exit status.
    `speed` (simulated seconds per second) holds for the whole replay; None starts at 1 and
    follows the recording's own speed changes. A big embedded cluster (`loads_behind_screen`)
    is built behind the loading screen. Raises `InputError` when the embedded cluster does not
    build."""
    from console.replay import ReplayPlayer, replay_session
    from console.ui.app import ConsoleApp
    from console.ui.replay import ReplayMode

    def build() -> Session:
        return replay_session(recording, speed=speed or 1.0, paused=paused)

    def player(session: Session) -> ReplayPlayer:
        return ReplayPlayer(session, recording, follow_speed=speed is None)

    def replayed(session: Session) -> None:
        app.mode = ReplayMode(player(session))

    big = loads_behind_screen(recording.cluster, recording.cluster_file, recording.traces)
    session = None if big else build()
    mode = None if session is None else ReplayMode(player(session))
    app = ConsoleApp(session, loader=build if big else None, on_loaded=replayed, mode=mode,
                     theme=theme, themes=themes, keymap=keymap)
    result = _run(app)
    if app.load_error:  # the loader's one-line error, now that the screen is back
        raise InputError(app.load_error)
    return int(result or app.return_code or 0)


def open_follow_console(reader: JournalReader, *, theme: str | None, themes: list[Theme],
                        keymap: dict[str, str]) -> int:
    """`follow JOURNAL`: the console mirrors the session whose journal `reader` reads until it
    quits (`follow_console`); its exit status. Raises `InputError` when the embedded cluster
    or drill is bad (a big cluster's found behind the loading screen)."""
    app = follow_console(reader, theme=theme, themes=themes, keymap=keymap)
    result = _run(app)
    if app.load_error:
        raise InputError(app.load_error)
    return int(result or app.return_code or 0)


def follow_console(reader: JournalReader, *, theme: str | None,
                   themes: list[Theme] | None = None, keymap: dict[str, str] | None = None,
                   poll_s: float | None = None):
    """The console (a `ConsoleApp`, not running yet) following the journal `reader` reads,
    polled every `poll_s` real seconds (None: console.follow.POLL_S; 0: never, the caller
    polls). What the journal holds already is played first: here when that takes at most
    `FOLLOW_INLINE_S`, else behind the loading screen (which says how far it got), so that a
    long journal never freezes the terminal; a big embedded cluster (`loads_behind_screen`)
    is built there too. The app has no clock timer: time comes from the journal. Raises
    `ConfigError` (an `InputError`) when the embedded cluster (a small one) or drill is bad."""
    from console.follow import POLL_S, Follower
    from console.ui.app import ConsoleApp
    from console.ui.follow import FollowMode

    every = POLL_S if poll_s is None else poll_s
    recording = reader.recording
    found: list[Follower] = []
    caught_up = False
    if not loads_behind_screen(recording.cluster, recording.cluster_file, recording.traces):
        found.append(Follower(reader))
        found[0].poll()  # everything committed so far
        caught_up = found[0].play(FOLLOW_INLINE_S)

    def catch_up() -> Session:
        if not found:
            found.append(Follower(reader))
            found[0].poll()
        found[0].play()
        return found[0].session

    def caught(_session: Session) -> None:
        app.mode = FollowMode(found[0], poll_s=every)

    def status() -> str:
        if not found:
            return f"cluster-console: following {reader.path}: building its cluster ...  (q quits)"
        return (f"cluster-console: following {reader.path}: catching up with the leader, "
                f"{found[0].progress:.0%} ...  (q quits)")

    app = ConsoleApp(found[0].session if caught_up else None,
                     loader=None if caught_up else catch_up, on_loaded=caught,
                     mode=FollowMode(found[0], poll_s=every) if caught_up else None, tick_s=0,
                     theme=theme, themes=themes, keymap=keymap)
    app.loading_status = status
    return app
