"""Command-line entry point: `cluster-console [CLUSTER] [options]` and its sub-commands, one
module each (`console`, `simulate`, `validate`, `drill`, `replay`, `journal`, `resume`,
`follow`, `serve`).

Every sub-command parses and checks its options and input files before anything starts (before
the console takes the screen over). Bad input is an `InputError` anywhere below; it is caught
here, once, printed as one line (`cluster-console: seed.toml:41: nodes[2].memory_gb: ...`) and
the exit status is 2. Ctrl+C is exit status 130, without a traceback; so is output piped into
a reader that stops early (`cluster-console simulate | head`): exit status 141, as a shell
reports a process ended by SIGPIPE. SIGTERM and SIGHUP (unless ignored, as under `nohup`) end a
sub-command the same way, exit status 128 + the signal: what it was writing is discarded (its
temporary file removed), what it had finished stays; the console itself ends its recording
with its end line and restores the terminal first (console.ui.app).

Only `cli` imports `console.ui`, and only inside the functions that open a screen: the headless
sub-commands (`simulate`, `validate`, `drill`, `replay --headless`) never import Textual, which
halves their start-up time. Python's cycle collector is held off from the start
(console.collector): until the console's first frame is out, or until a sub-command that opens
no console has been imported; it is on again when `main` returns.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Sequence

from console import collector
from console.cli.options import SUBCOMMAND_LINES, check_subcommand
from console.cli.say import say
from console.errors import EXIT_BAD_INPUT, InputError
from console.signals import catch_stop_signals, restore

#: Exit status after Ctrl+C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130

#: Exit status when standard output's reader went away (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141

#: Sub-command name -> the module whose `run(argv) -> exit status` runs it. Imported when
#: chosen, so a sub-command loads only what it needs (`--version` nearly nothing).
SUBCOMMANDS = {name: f"console.cli.{name}" for name in SUBCOMMAND_LINES}
CONSOLE = "console.cli.console"


def main(argv: Sequence[str] | None = None) -> int:
    """Run `cluster-console ARGS` (default: `sys.argv[1:]`) and return its exit status: 0 done,
    1 a drill failed, 2 bad input (one line on stderr), 130 interrupted, 141 the reader of
    standard output went away."""
    collector.hold()  # until the console's first frame, or the sub-command is imported
    args = list(sys.argv[1:] if argv is None else argv)
    # SIGTERM and SIGHUP raise SystemExit(128 + signal) where the program is, so that every
    # `finally` runs (temporary files of unfinished outputs are removed).
    previous = catch_stop_signals(_stop)
    try:
        if args and args[0] in SUBCOMMANDS:
            return _run(SUBCOMMANDS[args[0]], args[1:])
        if args:
            check_subcommand(args[0])
        return _run(CONSOLE, args)
    except InputError as error:
        say(str(error))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Python would report the pipe again when it flushes stdout at exit: point stdout at
        # the null device first (the Python documentation's recipe for SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    finally:
        restore(previous)
        collector.release()


def _run(module: str, argv: Sequence[str]) -> int:
    command: Callable[[Sequence[str]], int] = importlib.import_module(module).run
    if module != CONSOLE:  # the console releases the collector at its first frame
        collector.release()
    return command(argv)


def _stop(number: int, _frame: object) -> None:
    raise SystemExit(128 + number)
