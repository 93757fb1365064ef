"""What the sub-commands share: their argument parser, and checks of options that name files or
numbers, each failing with a one-line `InputError` before anything runs."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from console import __version__
from console.errors import InputError
from console.formats.output import check_output, write_atomic
from console.model.commands import MAX_SPEED
from console.model.seeds import MAX_SEED, SEED_RULE, seed_problem

#: The sub-commands, one line each, as `cluster-console --help` lists them (console.cli runs them).
SUBCOMMAND_LINES = {
    "simulate": "run a cluster (or a drill's) headless: its event log, then a summary",
    "validate": "check cluster files: one line per file, exit 2 if one is bad",
    "drill": "run drills headless and report (--interactive: in the console)",
    "replay": "replay a recording in the console, headless (--headless), or as --cast/--svg",
    "journal": "list the journals (--list), summarize one, or export it (--recording OUT)",
    "resume": "resume a journaled session in the console (or --headless), appending to it",
    "follow": "follow a live session from its journal: a read-only console that mirrors it",
    "serve": "serve the console (or a follower of a session) to web browsers, one each",
    "export": "write real hosts (--connect URI ...) as a cluster file, to run drills on",
}


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad option is an `InputError` (one line, exit status 2, as every other
    bad input) instead of the usage block on stderr: `unknown option --foo (see --help)`."""

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """argparse's, except that what it does not know raises InputError naming the first
        unknown option or argument (`unknown option --foo`), not all of them."""
        words = sys.argv[1:] if args is None else list(args)
        unknown = self._unknown_option(words)
        if unknown is not None:  # before argparse, which would first miss a required FILE
            raise InputError(f"unknown option {unknown} ({self.see_help()})")
        found, extras = self.parse_known_args(words, namespace)
        if extras:
            raise InputError(f"unexpected argument {extras[0]!r} ({self.see_help()})")
        return found

    def _unknown_option(self, words: list[str]) -> str | None:
        """The first word that argparse would take for an option it does not have (`--foo`,
        `--foo=3`; not a negative number, a word with a space, or anything after `--`)."""
        for word in words:
            if word == "--":
                return None
            if (not word.startswith("-") or word == "-" or " " in word
                    or self._negative_number_matcher.match(word)):
                continue
            name = word.split("=", 1)[0]
            if name not in self._option_string_actions:
                return name
        return None

    def error(self, message: str) -> NoReturn:
        """Raises InputError: argparse's message and where the usage is."""
        raise InputError(f"{message} ({self.see_help()})")

    def see_help(self) -> str:
        """Where the options are listed: `see --help`, or `see cluster-console drill --help`."""
        return "see --help" if self.prog == "cluster-console" else f"see {self.prog} --help"


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An argument parser for `cluster-console PROG` with `--version`. A bad option raises
    `InputError`: one line, exit status 2, the status of every other bad input. The console's
    own (`prog` empty) lists the sub-commands after its options."""
    epilog = None
    if not prog:
        width = max(map(len, SUBCOMMAND_LINES))
        epilog = "sub-commands (`cluster-console COMMAND --help` for each):\n" + "\n".join(
            f"  {name:<{width}}  {line}" for name, line in SUBCOMMAND_LINES.items())
    found = _OneLineParser(prog=f"cluster-console {prog}".strip(), description=description,
                           epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter,
                           allow_abbrev=False)  # `--see 7` is not `--seed 7`
    found.add_argument("--version", action="version", version=f"cluster-console {__version__}")
    return found


def check_subcommand(word: str) -> None:
    """The console's first argument when it is neither a sub-command nor an option: a cluster
    file, unless it looks like a mistyped sub-command (a bare word with no `.` or `/` naming
    no file). Raises InputError `unknown sub-command WORD (see --help)` then."""
    if word in SUBCOMMAND_LINES or word.startswith("-") or "." in word or "/" in word:
        return
    if os.path.lexists(word):
        return
    raise InputError(f"unknown sub-command {word!r} (see --help: "
                     f"{', '.join(SUBCOMMAND_LINES)} or a cluster file)")


def check_speed(speed: float) -> None:
    """A `--speed X`: above 0, at most `MAX_SPEED` simulated seconds per real second. Raises
    InputError otherwise."""
    if not 0 < speed <= MAX_SPEED:
        raise InputError(f"--speed must be above 0 and at most {MAX_SPEED:g}, got {speed:g}")


def seed_option(text: str) -> int:
    """A `--seed N` as given: an integer from 0 to `MAX_SEED` (what a drill or a recording
    takes; not -1, which Python's random would run as 1, nor 1.5). Raises InputError otherwise."""
    if not (text.isascii() and text.isdigit()):  # int() also takes " 7", "1_0" and "-1"
        raise InputError(f"--seed must be {SEED_RULE}, got {text[:40]!r}")
    if len(text) > len(str(MAX_SEED)):  # and int() refuses more than 4300 digits
        raise InputError(f"--seed must be {SEED_RULE}, got an integer of {len(text)} digits")
    seed = int(text)
    problem = seed_problem(seed)
    if problem is not None:
        raise InputError(f"--seed {problem}")
    return seed


def refuse_options(options: dict[str, object], why: str) -> None:
    """Options that do not apply to the mode asked for are refused, not ignored: the first of
    `options` (option -> its value; None or False: not given) that was given raises
    `InputError` saying `why` (e.g. "goes with --interactive")."""
    for option, value in options.items():
        if value is not None and value is not False:
            raise InputError(f"{option} {why}")


#: Files and folders a run reads, each named as the user gave it (a path typed on the command
#: line stays as typed: `./a//b.toml`, not `a/b.toml`), so that every error line naming one
#: names it the same way, whichever command it comes from.
Inputs = list[str | Path]


def cluster_inputs(cluster_file: str | Path, text: str | None = None) -> Inputs:
    """What a run reads of a cluster file: the file, as given, and, if it names one, its
    trace folder. `text` is the file's text if already read. Raises `InputError` for a file
    that cannot be read or is not TOML."""
    # Imported here: the cluster reader would slow every start (`--version`) by 0.1 s.
    from console.formats.cluster import trace_folder
    from console.formats.toml import read_file

    if text is None:
        text = read_file(cluster_file)
    folder = trace_folder(text, str(cluster_file))
    return [cluster_file, *([folder] if folder is not None else [])]


def check_outputs(outputs: dict[str, str | None], inputs: Inputs) -> None:
    """Before anything runs: every given output (option -> path; None: not given) names no
    input and no other output, and can be written (`console.formats.output.check_output`);
    nothing is created or truncated. Raises `InputError` naming the option and path."""
    given = [(option, path) for option, path in outputs.items() if path is not None]
    for option, path in given:
        check_output(path, option, inputs)
    for i, (option, path) in enumerate(given):
        for other, other_path in given[i + 1:]:
            if Path(path).resolve() == Path(other_path).resolve():
                raise InputError(f"{other} {other_path}: is also the {option} file; give each "
                                 "output its own file")


def write_output(path: str, data: str | bytes, option: str) -> None:
    """Write `data` (text as UTF-8) to `path` atomically (`console.formats.output`), or an
    `InputError` naming `option`."""
    try:
        write_atomic(path, data)
    except OSError as error:
        raise InputError(f"{option} {path}: cannot write: {error.strerror or error}") from None


def add_journal_options(options: argparse.ArgumentParser, *, default: bool) -> None:
    """`--journal PATH` (and with `default`, a console's, `--no-journal`) on `options`."""
    if default:
        options.add_argument("--journal", metavar="PATH",
                             help="write the session's journal here (a new file; default: a "
                                  "new one in the journal folder, see `cluster-console "
                                  "journal --list`)")
        options.add_argument("--no-journal", action="store_true",
                             help="keep no journal of this session")
    else:
        options.add_argument("--journal", metavar="PATH",
                             help="write the run's journal here (a new file)")


def check_journal(path: str | None, no_journal: bool, inputs: Inputs,
                  outputs: dict[str, str | None]) -> None:
    """A `--journal PATH` given: not with `--no-journal`, a file that does not exist yet (a
    journal is never overwritten), naming no input nor another output and in a folder that
    can be written (`check_outputs`). Raises `InputError` otherwise."""
    if path is None:
        return
    if no_journal:
        raise InputError("--journal and --no-journal: give one or the other")
    check_outputs({**outputs, "--journal": path}, inputs)
    if os.path.lexists(path):
        raise InputError(f"--journal {path}: exists; a journal is never overwritten (name "
                         "another)")
