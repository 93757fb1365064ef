"""`cluster-console [CLUSTER.toml] [options]`: parse the options, check every input file (the
cluster file, the theme, keys.toml) and the outputs (`--record`, `--journal`: they name no
input and can be written; a journal is a new file) and that it runs in a terminal
(console.cli.terminal), then open the console. Bad input is one line and exit status 2, before
the screen is taken over. The session keeps a journal by default (console.ui.journaling)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from console.cli.options import (
    add_journal_options,
    check_journal,
    check_outputs,
    check_speed,
    cluster_inputs,
    parser,
    seed_option,
)
from console.cli.real_hosts import add_connect_option, connect, uri_files
from console.cli.terminal import check_terminal
from console.errors import InputError
from console.formats import parse_ahead
from console.formats.connections import Connections, connections_of
from console.formats.toml import read_file
from console.paths import DEFAULT_CLUSTER


def run(argv: Sequence[str]) -> int:
    """Open the console; its exit status once it quits. Raises `InputError` for a bad option
    or input file (also one that only a background load of a big cluster file finds)."""
    options = parser("", "Open the operations console on a cluster (default: the seed "
                         "cluster).")
    options.add_argument("cluster", nargs="?",
                         help="cluster file (default: the seed cluster); one of "
                              "[[connections]] reaches real hosts")
    add_connect_option(options)
    options.add_argument("--allow-actions", action="store_true",
                         help="with real hosts: let the console act on them (they start "
                              "read-only); destructive actions still ask")
    options.add_argument("--local", action="store_true",
                         help="the machine the console runs on joins the cluster as a node")
    options.add_argument("--seed", default="0", metavar="N",
                         help="random seed, 0 to 4294967295 (default 0)")
    options.add_argument("--speed", type=float, metavar="X",
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
    add_journal_options(options, default=True)
    args = options.parse_args(argv)
    seed = seed_option(args.seed)
    cluster = args.cluster or str(DEFAULT_CLUSTER)
    text = None if args.connect else read_file(cluster)  # missing, unreadable: one line, here
    if text is not None:
        parse_ahead.start(text)  # a big file: parsed on the other core while Textual imports
    from console.ui.launch import load_settings, open_console  # Textual: see console.cli

    connections = Connections(args.connect) if args.connect else \
        connections_of(text or "", cluster)
    uris = connections.uris
    if uris:
        check_real_hosts(args, bool(args.connect))
    elif args.allow_actions:
        raise InputError("--allow-actions is for real hosts (--connect URI, or a cluster "
                         "file of [[connections]]): the model takes every action anyway")
    speed = 1.0 if args.speed is None else args.speed
    check_speed(speed)
    themes, keymap = load_settings(args.theme)
    source = None
    if uris:
        source = connect(connections, allow_actions=args.allow_actions)
        text, cluster = source.text, "libvirt"
    assert text is not None
    if args.record is not None or args.journal is not None:
        inputs = uri_files(uris) if source else cluster_inputs(cluster, text)
        check_outputs({"--record": args.record}, inputs)
        check_journal(args.journal, args.no_journal, inputs, {"--record": args.record})
    return open_console(cluster, seed=seed, local=args.local, speed=speed,
                        paused=args.paused, confirm=not args.no_confirm,
                        read_only=args.read_only, theme=args.theme, themes=themes,
                        keymap=keymap, record=args.record,
                        before_screen=lambda: check_terminal("the console"),
                        cluster_text=text, journal=args.journal,
                        default_journal=not args.no_journal, source=source)


def check_real_hosts(args: argparse.Namespace, connect_given: bool) -> None:
    """Refuse, in one line, what real hosts cannot take: a cluster file beside --connect, a
    model's --local, --speed or --paused (real hosts keep real time), --no-confirm (a
    destructive action on them always asks)."""
    if connect_given and args.cluster is not None:
        raise InputError("--connect takes the hosts from libvirt: give it or a cluster file, "
                         "not both")
    refused = [name for name, given in (("--local", args.local), ("--speed", args.speed),
                                        ("--paused", args.paused)) if given]
    if refused:
        raise InputError(f"{refused[0]} is not for real hosts: they keep real time and "
                         "their own machines")
    if args.no_confirm:
        raise InputError("--no-confirm is not for real hosts: a destructive action on them "
                         "always asks first")
    if args.allow_actions and args.read_only:
        raise InputError("--allow-actions and --read-only contradict each other: give one")
