"""`cluster-console [CLUSTER.toml] [options]`: parse the options, check every input file, then
open the console. Bad input (cluster file, theme, keys.toml, options) is one line and exit 2,
before the screen is taken over.

The interactive drill (`drill FILE --interactive`) and the replay in the console (`replay FILE`)
open the same console through `run_drill_console` and `run_replay_console`.

`--record FILE` records the session (console.recording): every command with its simulated time,
as a listener of the Session (`Session.record`); the recording ends with its end line when the
console quits. With `--local` the embedded cluster text gets the local node appended as a
`[[nodes]]` table, so that a headless replay rebuilds the very same cluster."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from console.drills.live import LiveDrill, drill_session
from console.errors import InputError
from console.model.engine import Engine
from console.replay import ReplayPlayer, replay_session
from console.session import Session
from console.sources.base import Source
from console.sources.local import LocalSource
from console.sources.sim import SimSource

#: Cluster files larger than this load in a worker thread behind a loading screen, so that the
#: first frame is immediate; smaller ones load before the screen opens (errors print plainly).
ASYNC_LOAD_BYTES = 32 * 1024


def launch(argv: Sequence[str]) -> int:
    from console.cli import _parse, _parser
    from console.paths import DEFAULT_CLUSTER

    parser = _parser("", "Open the operations console on a cluster (default: the seed cluster).")
    parser.add_argument("cluster", nargs="?", default=str(DEFAULT_CLUSTER),
                        help="cluster file (default: the seed cluster)")
    parser.add_argument("--local", action="store_true",
                        help="the machine the console runs on joins the cluster as a node")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--speed", type=float, default=1.0, metavar="X",
                        help="simulated seconds per real second (default 1)")
    parser.add_argument("--theme", metavar="NAME",
                        help="theme: dark, light, high-contrast, monochrome or your own "
                             "(default dark; monochrome when NO_COLOR is set)")
    parser.add_argument("--read-only", action="store_true",
                        help="refuse every mutating action, with the reason")
    parser.add_argument("--no-confirm", action="store_true",
                        help="do not ask before destructive actions (for drills)")
    parser.add_argument("--paused", action="store_true", help="start with the clock paused")
    parser.add_argument("--record", metavar="REC.jsonl",
                        help="record the session (every command with its simulated time); "
                             "replay it with `cluster-console replay REC.jsonl`")
    args = _parse(parser, argv)
    if not 0 < args.speed <= 3600:
        raise InputError(f"--speed must be above 0 and at most 3600, got {args.speed:g}")

    themes, keymap = _settings(args.theme)

    path = Path(args.cluster)
    if not path.is_file():
        raise InputError(f"{args.cluster}: no such cluster file")
    record = None
    if args.record:
        _writable(args.record, "--record")
        record = _console_recorder(args.record, args.cluster,
                                   path.read_text(encoding="utf-8"), args.seed, args.read_only)
    source: Source = SimSource(args.cluster)
    if args.local:
        source = LocalSource(source)

    def build() -> Session:
        session = Session(_engine(source, args.seed), speed=args.speed, paused=args.paused,
                          read_only=args.read_only)
        if record is not None:
            session.record(record(session.engine))
        return session

    session = build() if path.stat().st_size <= ASYNC_LOAD_BYTES else None

    from console.ui.app import ConsoleApp

    app = ConsoleApp(session, loader=None if session else build,
                     source=source if args.local else None, confirm=not args.no_confirm,
                     theme=args.theme, themes=themes, keymap=keymap)
    result = _run(app)
    if app.load_error:  # the loader's one-line error, now that the screen is back
        print(f"cluster-console: {app.load_error}", file=sys.stderr)
        return 2
    return int(result or app.return_code or 0)


def _settings(theme: str | None):
    """The themes and the key map, checked (one line and exit 2 when bad)."""
    from console.ui.keys import KeymapError, load_keymap
    from console.ui.themes import ThemeError, load_themes

    try:
        themes = load_themes()
    except ThemeError as error:
        raise InputError(str(error)) from None
    names = [t.name for t in themes]
    if theme is not None and theme not in names:
        raise InputError(f"--theme: unknown theme {theme!r} (known: {', '.join(names)})")
    try:
        keymap = load_keymap()
    except KeymapError as error:
        raise InputError(str(error)) from None
    return themes, keymap


def _writable(path: str, option: str) -> None:
    """Fail now, before the screen is taken over, if `path` cannot be written."""

    try:
        with open(path, "w", encoding="utf-8"):
            pass
    except OSError as error:
        raise InputError(f"{option} {path}: cannot write: {error.strerror or error}") from None


def _console_recorder(target, cluster_file: str, cluster_text: str, seed: int,
                      read_only: bool):
    """The `record` callback of a console session: a Recorder once the engine exists (a big
    cluster loads in the background; `--local` adds the machine's node to it)."""
    from console.recording import Recorder, cluster_with_node

    def record(engine):
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
        if app.session is not None:
            app.session.close(clean=False)


def run_drill_console(drill, *, report: str | None = None, record: str | None = None,
                      speed: float = 1.0, paused: bool = False, theme: str | None = None,
                      confirm: bool = True) -> LiveDrill:
    """`drill FILE --interactive`: the console on the drill; returns the drill, whose `report`
    is None when the operator quit before the end."""
    from console.ui.app import ConsoleApp
    from console.ui.drill import DrillMode

    themes, keymap = _settings(theme)
    session = drill_session(drill, speed=speed, paused=paused)
    live = LiveDrill(session, drill, report)
    if record:
        _writable(record, "--record")
        session.record(_drill_recorder(record, drill, session.engine))
    app = ConsoleApp(session, mode=DrillMode(live), confirm=confirm, theme=theme,
                     themes=themes, keymap=keymap)
    _run(app)
    return live


def _drill_recorder(target, drill, engine):
    from console.recording import Recorder

    return Recorder(target, seed=drill.seed, cluster_file=drill.cluster_file,
                    cluster=drill.recorded_cluster_text, created_by="drill",
                    drill=drill.name, traces=engine.cluster.traces)


def run_replay_console(recording, *, speed: float = 1.0, paused: bool = False,
                       theme: str | None = None) -> int:
    """`replay FILE`: the console plays the recording back."""
    from console.ui.app import ConsoleApp
    from console.ui.replay import ReplayMode

    themes, keymap = _settings(theme)
    session = replay_session(recording, speed=speed, paused=paused)
    mode = ReplayMode(ReplayPlayer(session, recording))
    app = ConsoleApp(session, mode=mode, theme=theme, themes=themes, keymap=keymap)
    return int(_run(app) or app.return_code or 0)


def _engine(source: Source, seed: int) -> Engine:
    """The source's cluster in a fresh engine; a bad cluster file is an InputError."""
    from console.config import ConfigError

    try:
        cluster = source.build()
    except ConfigError as error:
        raise InputError(str(error)) from None
    return Engine(cluster, seed)


def main() -> int:  # pragma: no cover - `python -m console.ui.launch`
    return launch(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
