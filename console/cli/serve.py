"""`cluster-console serve [CLUSTER | --follow JOURNAL] [--host 127.0.0.1] [--port 8000]`: the
console in web browsers, through textual-serve (console.cli.web). Each browser gets a console
of its own: the server runs `python -m console [CLUSTER] [options]` (the same Python) for each,
or `python -m console follow JOURNAL` with `--follow`, a read-only follower of a live session.

Everything is checked before the server starts, each a one-line `InputError` (exit status 2):
the options, the cluster file (read and checked as `validate` does: a bad one would otherwise
show only as a console that does not start, in every browser), the theme and keys.toml, that
the journal is a file, and that the address can be listened on (a port in use is said so).
It listens on 127.0.0.1 unless told otherwise; on any other address it warns, on standard error,
that anyone who reaches the port can watch (and, but for a follower, act).
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import shlex
import socket
import sys
from collections.abc import Sequence

from console.cli.options import (
    SUBCOMMAND_LINES,
    check_speed,
    parser,
    refuse_options,
    seed_option,
)
from console.cli.say import say
from console.errors import InputError

#: Where the server listens unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: The ports `--port` takes (README's Limits table).
MAX_PORT = 65535
PORT_RULE = f"an integer from 1 to {MAX_PORT}"


def run(argv: Sequence[str]) -> int:
    """Serve until stopped; 128 + the signal that stopped it (130 for Ctrl+C). Raises
    `InputError` for a bad option or file, or an address that cannot be listened on."""
    args = _options().parse_args(argv)
    port = port_option(args.port)
    command = served_command(args)
    check_listen(args.host, port)
    from console.cli.web import ConsoleServer, url  # aiohttp and textual-serve: only here

    address = url(args.host, port)
    if args.follow is not None:
        what, title = f"a follower of {args.follow}", f"cluster-console: following {args.follow}"
    else:
        what, title = "the console", f"cluster-console: {args.cluster or 'seed cluster'}"
    if not is_loopback(args.host):
        say(f"warning: {exposure_warning(args.host, port, args.follow)}")
    server = ConsoleServer(shlex.join(command), host=args.host, port=port, title=title,
                           ready_line=f"serving {what} at {address} (one per browser); "
                                      "ctrl+c stops")
    try:
        return server.serve_until_stopped()
    except OSError as error:  # taken between the check and the server's own bind
        raise InputError(f"--port {port}: cannot listen on {args.host}: "
                         f"{error.strerror or error}") from None


def _options() -> argparse.ArgumentParser:
    options = parser("serve", "Serve the console (or a follower of a live session) to web "
                              "browsers: each browser gets a console of its own.")
    options.add_argument("cluster", nargs="?", help="cluster file (default: the seed cluster)")
    options.add_argument("--follow", metavar="JOURNAL",
                         help="serve a read-only follower of the session writing JOURNAL")
    options.add_argument("--host", default=DEFAULT_HOST,
                         help=f"address to listen on (default {DEFAULT_HOST}: this machine "
                              "only; any other is reachable by others, and warned about)")
    options.add_argument("--port", default=str(DEFAULT_PORT), metavar="PORT",
                         help=f"port to listen on (default {DEFAULT_PORT})")
    options.add_argument("--seed", metavar="N", help="each console's random seed (default 0)")
    options.add_argument("--speed", type=float, metavar="X",
                         help="simulated seconds per real second (default 1)")
    options.add_argument("--paused", action="store_true", help="start with the clock paused")
    options.add_argument("--theme", metavar="NAME", help="the consoles' theme")
    options.add_argument("--read-only", action="store_true",
                         help="consoles that refuse every mutating action")
    return options


def port_option(text: str) -> int:
    """A `--port` as given: an integer from 1 to `MAX_PORT`. Raises InputError otherwise."""
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and 1 <= int(text) <= MAX_PORT):
        raise InputError(f"--port must be {PORT_RULE}, got {text[:40]!r}")
    return int(text)


def served_command(args: argparse.Namespace) -> list[str]:
    """The command each browser's process runs, its words checked (`args` as parsed): `python
    -m console [CLUSTER] [options]`, or `python -m console follow JOURNAL`. Raises InputError
    for CLUSTER and --follow together, an option that does not go with --follow, a bad seed,
    speed, theme, keys.toml or cluster file, or a JOURNAL that `follow` cannot open."""
    console = [sys.executable, "-m", "console"]
    if args.follow is not None:
        if args.cluster is not None:
            raise InputError(f"give a cluster file or --follow JOURNAL, not both "
                             f"({args.cluster} and --follow {args.follow})")
        refuse_options({"--seed": args.seed, "--speed": args.speed, "--paused": args.paused,
                        "--read-only": args.read_only},
                       "does not go with --follow (a follower shows the session as it is)")
        check_journal(args.follow)
        return [*console, "follow", args.follow, *_theme(args.theme)]
    words = console
    if args.cluster is not None:
        check_cluster_file(args.cluster)
        # `python -m console simulate` would run the sub-command, not a file named simulate
        words = [*words, f"./{args.cluster}" if args.cluster in SUBCOMMAND_LINES
                 else args.cluster]
    if args.seed is not None:
        words += ["--seed", str(seed_option(args.seed))]
    if args.speed is not None:
        check_speed(args.speed)
        words += ["--speed", repr(args.speed)]
    words += _theme(args.theme)
    words += [flag for flag, given in (("--paused", args.paused),
                                       ("--read-only", args.read_only)) if given]
    return words


def _theme(theme: str | None) -> list[str]:
    """`--theme NAME` for the served command (nothing without a theme), the themes and
    keys.toml checked here rather than in a browser. Raises InputError for a bad one."""
    from console.ui.launch import load_settings  # the themes: Textual

    load_settings(theme)
    return [] if theme is None else ["--theme", theme]


def check_cluster_file(path: str) -> None:
    """The cluster file read and checked as `validate` does. Raises InputError (file, line,
    key) for a file that cannot be read or is not a good cluster."""
    from console.formats.cluster import check_cluster
    from console.formats.toml import read_file

    check_cluster(read_file(path), path)


def check_journal(path: str) -> None:
    """`--follow JOURNAL` names a journal that `follow` can open: read and checked here, as
    `follow` will (console.follow.open_reader: a journal its live session is only starting is
    waited for a moment), so that a bad one is one line here, not a console that does not start
    in every browser. Raises InputError (a `JournalError`) otherwise."""
    from console.follow import open_reader

    open_reader(path).close()


def check_listen(host: str, port: int) -> None:
    """That `host`:`port` can be listened on now, tried by binding each of its addresses as
    the server will (address reuse on, as aiohttp sets it). Raises InputError saying why not:
    a host that does not resolve, a port in use, one that needs privileges."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as error:
        raise InputError(f"--host {host}: cannot resolve: "
                         f"{getattr(error, 'strerror', None) or error}") from None
    for family, kind, protocol, _name, address in addresses:
        with socket.socket(family, kind, protocol) as probe:
            if os.name == "posix":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise InputError(f"--port {port}: already in use on {host} (give another "
                                     "--port)") from None
                raise InputError(f"--port {port}: cannot listen on {host}: "
                                 f"{error.strerror or error}") from None


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only: `localhost` or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int, follow: str | None) -> str:
    """What listening on a host other than this machine exposes, in one line."""
    if follow is not None:
        return (f"listening on {host}: anyone who reaches port {port} can watch the session "
                f"{follow} records")
    return (f"listening on {host}: anyone who reaches port {port} can watch and act: every "
            "browser gets its own console, which can change its model")
