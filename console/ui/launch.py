"""`cluster-console [CLUSTER.toml] [options]`: parse the options, check every input file, then
open the console. Bad input (cluster file, theme, keys.toml, options) is one line and exit 2,
before the screen is taken over."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

#: Cluster files larger than this load in a worker thread behind a loading screen, so that the
#: first frame is immediate; smaller ones load before the screen opens (errors print plainly).
ASYNC_LOAD_BYTES = 32 * 1024


def launch(argv: Sequence[str]) -> int:
    from console.cli import InputError, _parse, _parser
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
    args = _parse(parser, argv)
    if not 0 < args.speed <= 3600:
        raise InputError(f"--speed must be above 0 and at most 3600, got {args.speed:g}")

    from console.ui.keys import KeymapError, load_keymap
    from console.ui.themes import ThemeError, load_themes

    try:
        themes = load_themes()
    except ThemeError as error:
        raise InputError(str(error)) from None
    names = [t.name for t in themes]
    if args.theme is not None and args.theme not in names:
        raise InputError(f"--theme: unknown theme {args.theme!r} (known: {', '.join(names)})")
    try:
        keymap = load_keymap()
    except KeymapError as error:
        raise InputError(str(error)) from None

    path = Path(args.cluster)
    if not path.is_file():
        raise InputError(f"{args.cluster}: no such cluster file")

    def build():
        return _engine(args.cluster, args.seed, args.local)

    engine = None
    if path.stat().st_size <= ASYNC_LOAD_BYTES:
        engine = build()
    local_name = None
    if args.local:
        local_name = "?"  # set once the engine exists (the node's name is the hostname)

    from console.ui.app import ConsoleApp

    app = ConsoleApp(engine, loader=None if engine else build, speed=args.speed,
                     paused=args.paused, confirm=not args.no_confirm, read_only=args.read_only,
                     theme=args.theme, themes=themes, keymap=keymap,
                     local_node=_local_of(engine) if engine else local_name)
    result = app.run()
    if app.load_error:  # the loader's one-line error, now that the screen is back
        print(f"cluster-console: {app.load_error}", file=sys.stderr)
        return 2
    return int(result or app.return_code or 0)


def _local_of(engine) -> str | None:
    return next((n.name for n in engine.cluster.nodes.values() if n.local), None)


def _engine(cluster_file: str, seed: int, local: bool):
    from console.cli import InputError
    from console.config import ConfigError, load_cluster
    from console.model.engine import Engine

    try:
        cluster = load_cluster(cluster_file)
    except ConfigError as error:
        raise InputError(str(error)) from None
    if local:
        from console.sources.local import build_node

        node = build_node(set(cluster.nodes) | set(cluster.vms))
        cluster.add_node(node)
    return Engine(cluster, seed)


def main() -> int:  # pragma: no cover - `python -m console.ui.launch`
    return launch(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    os._exit(main())
