"""The console's launchers, called by the command line once it has checked the options and
files: `open_console` (`cluster-console [CLUSTER]`), `open_drill_console` (`drill FILE
--interactive`) and `open_replay_console` (`replay FILE`). `load_settings` reads the themes and
the key map so that the command line can check them before the screen is taken over.

`--record FILE` records the session (console.formats.recording): every command with its
simulated time, through the app's `command_listeners`; the recording ends with its end line when
the console quits. With `--local` the embedded cluster text gets the local node appended as a
`[[nodes]]` table, so that a headless replay rebuilds the very same cluster."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.theme import Theme

from console.errors import InputError
from console.formats.cluster import load_cluster
from console.formats.recording import Recorder, Recording, cluster_with_node
from console.formats.toml import read_file
from console.model.engine import Engine
from console.ui.keys import load_keymap
from console.ui.themes import load_themes

#: Cluster files larger than this load in a worker thread behind a loading screen, so that the
#: first frame is immediate; smaller ones load before the screen opens (errors print plainly).
ASYNC_LOAD_BYTES = 32 * 1024

#: Makes a session's Recorder once its engine exists.
RecorderFactory = Callable[[Engine], Recorder]


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
                 keymap: dict[str, str], record: str | None) -> int:
    """Run the console on `cluster_file` until it quits; its exit status. `speed` is simulated
    seconds per real second; `record` a writable path or None. Raises `InputError` for a bad
    cluster file (a big one is loaded behind a loading screen: its error is raised once the
    screen is back)."""
    from console.ui.app import ConsoleApp

    path = Path(cluster_file)
    recorder = None
    if record:
        recorder = console_recorder(record, cluster_file, read_file(cluster_file), seed,
                                    read_only)

    def build() -> Engine:
        return _engine(cluster_file, seed, local)

    engine = None
    if path.stat().st_size <= ASYNC_LOAD_BYTES:
        engine = build()
    local_name = None
    if local:
        local_name = "?"  # set once the engine exists (the node's name is the hostname)

    app = ConsoleApp(engine, loader=None if engine else build, speed=speed,
                     paused=paused, confirm=confirm, read_only=read_only,
                     theme=theme, themes=themes, keymap=keymap,
                     local_node=_local_of(engine) if engine else local_name, record=recorder)
    result = _run(app)
    if app.load_error:  # the loader's one-line error, now that the screen is back
        raise InputError(app.load_error)
    return int(result or app.return_code or 0)


def console_recorder(target: str, cluster_file: str, cluster_text: str, seed: int,
                     read_only: bool) -> RecorderFactory:
    """The `record` callback of a console session: a Recorder once the engine exists (a big
    cluster loads in the background; `--local` adds the machine's node to it)."""

    def record(engine: Engine) -> Recorder:
        local = engine.cluster.local_node()
        text = cluster_text if local is None else cluster_with_node(cluster_text, local)
        return Recorder(target, seed=seed, cluster_file=cluster_file, cluster=text,
                        created_by="console", read_only=read_only,
                        local_node=None if local is None else local.name,
                        traces=engine.cluster.traces)

    return record


def _run(app) -> int | None:
    """Run the app; a recording that did not end cleanly (a crash) closes without its end."""
    try:
        return app.run()
    finally:
        if app.recorder is not None and not app.recorder.closed:
            app.recorder.close(clean=False)


def open_drill_console(drill, *, report: str | None, record: str | None, speed: float,
                       paused: bool, confirm: bool, themes: list[Theme],
                       keymap: dict[str, str], theme: str | None = None):
    """`drill FILE --interactive`: run the console on the drill until it quits; the drill mode
    (its `report` is None when the operator quit before the end). `record` a writable path or
    None; `report` where to save the text report (None: next to the drill file)."""
    from console.ui.app import ConsoleApp
    from console.ui.drill import DrillMode

    mode = DrillMode(drill, report)
    recorder = drill_recorder(record, drill) if record else None
    app = ConsoleApp(mode.build_engine(), mode=mode, speed=speed, paused=paused,
                     confirm=confirm, theme=theme, themes=themes, keymap=keymap,
                     record=recorder)
    _run(app)
    return mode


def drill_recorder(target: str, drill) -> RecorderFactory:
    """The `record` callback of an interactive drill: its recording, `created_by` drill."""

    def record(engine: Engine) -> Recorder:
        return Recorder(target, seed=drill.seed, cluster_file=drill.cluster_file,
                        cluster=drill.recorded_cluster_text, created_by="drill",
                        drill=drill.name, traces=engine.cluster.traces)

    return record


def open_replay_console(recording: Recording, *, speed: float, paused: bool,
                        theme: str | None, themes: list[Theme],
                        keymap: dict[str, str]) -> int:
    """`replay FILE`: the console plays the recording back until it quits; its exit status."""
    from console.ui.app import ConsoleApp
    from console.ui.replay import ReplayMode

    mode = ReplayMode(recording)
    app = ConsoleApp(mode.build_engine(), mode=mode, speed=speed, paused=paused,
                     theme=theme, themes=themes, keymap=keymap)
    return int(_run(app) or app.return_code or 0)


def _local_of(engine: Engine) -> str | None:
    local = engine.cluster.local_node()
    return None if local is None else local.name


def _engine(cluster_file: str, seed: int, local: bool) -> Engine:
    """The console's engine on a cluster file (the machine's node added with `--local`)."""
    cluster = load_cluster(cluster_file)
    if local:
        from console.sources.local import build_node

        node = build_node(set(cluster.nodes) | set(cluster.vms))
        cluster.add_node(node)
    return Engine(cluster, seed)
