"""What the sub-commands share: their argument parser, and checks of options that name files or
numbers, each failing with a one-line `InputError` before anything runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from console import __version__
from console.errors import InputError
from console.model.commands import MAX_SPEED


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An argument parser for `cluster-console PROG` with `--version`. argparse itself exits
    with status 2 on a bad option, the status of every other bad input."""
    found = argparse.ArgumentParser(prog=f"cluster-console {prog}".strip(),
                                    description=description)
    found.add_argument("--version", action="version", version=f"cluster-console {__version__}")
    return found


def check_speed(speed: float) -> None:
    """A `--speed X`: above 0, at most `MAX_SPEED` simulated seconds per real second. Raises
    InputError otherwise."""
    if not 0 < speed <= MAX_SPEED:
        raise InputError(f"--speed must be above 0 and at most {MAX_SPEED:g}, got {speed:g}")


def check_writable(path: str, option: str) -> None:
    """Fail now, before the screen is taken over, if `path` cannot be written (it is created
    empty, or emptied). Raises InputError `OPTION PATH: cannot write: REASON`."""
    try:
        with open(path, "w", encoding="utf-8"):
            pass
    except OSError as error:
        raise InputError(f"{option} {path}: cannot write: {error.strerror or error}") from None


def write_file(path: str, data: str | bytes, option: str) -> None:
    """Write `data` (text as UTF-8) to `path`, or an `InputError` naming `option`."""
    try:
        Path(path).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    except OSError as error:
        raise InputError(f"{option} {path}: cannot write: {error.strerror or error}") from None


def make_folder(path: str, option: str) -> None:
    """Make the folder `path` (and its parents), or an `InputError` naming `option`."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"{option} {path}: cannot make the folder: "
                         f"{error.strerror or error}") from None
