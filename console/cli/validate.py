"""`cluster-console validate FILE...`: check cluster files; one summary line per good file on
stdout, one error line per bad one on stderr (`cluster-console: file:line: key: message`, as
every sub-command's), and a warning line on stderr (`cluster-console: file:line: key: warning:
...`) for each `must` rule a good file's placements break (allowed: a starting situation to
repair)."""

from __future__ import annotations

from collections.abc import Sequence

from console.cli.options import parser
from console.cli.say import say
from console.errors import EXIT_BAD_INPUT, InputError
from console.formats.cluster import check_cluster, summarize
from console.formats.connections import connections_of
from console.formats.toml import read_file


def run(argv: Sequence[str]) -> int:
    """Check every file (a bad one does not stop the others); exit status 0 when all are good,
    else 2. Unlike the other sub-commands it reports each bad file itself, so raises nothing
    for a bad file."""
    options = parser("validate", "Check cluster files; exit 0 if all are good, else 2.")
    options.add_argument("files", nargs="+", metavar="FILE")
    args = options.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            text = read_file(path)
            real = connections_of(text, path)
            if real.uris:
                count = len(real.uris)
                print(f"{path}: ok: real hosts through libvirt, {count} connection"
                      f"{'s' if count != 1 else ''} (what they hold is read when the console "
                      "connects)")
                continue
            cluster, warnings = check_cluster(text, path)
        except InputError as error:
            say(str(error))
            status = EXIT_BAD_INPUT
            continue
        print(f"{path}: ok: {summarize(cluster)}")
        for warning in warnings:
            say(warning)
    return status
