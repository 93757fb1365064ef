"""`cluster-console [CLUSTER.toml] [options]`: parse the options, check every input file (the
cluster file, the theme, keys.toml) and the output (`--record`: it names no input and can be
written) and that it runs in a terminal (console.cli.terminal), then open the console. Bad input
is one line and exit status 2, before the screen is taken over."""

from __future__ import annotations

import os
from collections.abc import Sequence

from console.cli.options import check_outputs, check_speed, cluster_inputs, parser, seed_option
from console.cli.terminal import check_terminal
from console.errors import InputError
from console.formats.toml import read_file
from console.paths import DEFAULT_CLUSTER


def run(argv: Sequence[str]) -> int:
    """Open the console; its exit status once it quits. Raises `InputError` for a bad option
    or input file (also one that only a background load of a big cluster file finds)."""
    options = parser("", "Open the operations console on a cluster (default: the seed "
                         "cluster).")
    options.add_argument("cluster", nargs="?", default=str(DEFAULT_CLUSTER),
                         help="cluster file (default: the seed cluster)")
    options.add_argument("--local", action="store_true",
                         help="the machine the console runs on joins the cluster as a node")
    options.add_argument("--seed", default="0", metavar="N",
                         help="random seed, 0 to 4294967295 (default 0)")
    options.add_argument("--speed", type=float, default=1.0, metavar="X",
                         help="simulated seconds per real second (default 1)")
    options.add_argument("--theme", metavar="NAME",
                         help="theme: dark, light, high-contrast, monochrome or your own "
                              "(default dark; monochrome when NO_COLOR is set)")
    options.add_argument("--read-only", action="store_true",
                         help="refuse every mutating action, with the reason")
    options.add_argument("--no-confirm", action="store_true",
                         help="do not ask before destructive actions (for drills)")
    options.add_argument("--paused", action="store_true", help="start with the clock paused")
    options.add_argument("--record", metavar="REC.jsonl",
                         help="record the session (every command with its simulated time); "
                              "replay it with `cluster-console replay REC.jsonl`")
    options.add_argument("--journal", metavar="PATH",
                         help="journal the session to PATH (a new file; SQLite), so that "
                              "`cluster-console resume PATH` carries on after a kill")
    args = options.parse_args(argv)
    seed = seed_option(args.seed)
    from console.ui.launch import load_settings, open_console  # Textual: see console.cli

    check_speed(args.speed)
    themes, keymap = load_settings(args.theme)
    text = read_file(args.cluster)  # missing, unreadable or not a regular file: one line, here
    if args.record is not None:
        check_outputs({"--record": args.record}, cluster_inputs(args.cluster, text))
    if args.journal is not None and os.path.lexists(args.journal):
        raise InputError(f"--journal {args.journal}: exists; a journal is never overwritten")
    return open_console(args.cluster, seed=seed, local=args.local, speed=args.speed,
                        paused=args.paused, confirm=not args.no_confirm,
                        read_only=args.read_only, theme=args.theme, themes=themes,
                        keymap=keymap, record=args.record, journal=args.journal,
                        before_screen=lambda: check_terminal("the console"),
                        cluster_text=text)
