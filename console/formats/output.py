"""Files the program writes (recordings, drill reports, JUnit XML, asciicasts, screenshots):
checked before anything runs, and written so that neither a crash nor a refused start ever
leaves a half-written file or destroys an old one.

* `check_output(path, option, inputs)`: the output names none of the inputs (compared as
  resolved paths, so symlinks and hard links count; an output inside an input folder, such as a
  cluster's trace folder, counts too), is not a folder or a FIFO, and its folder exists and is
  writable. It opens, creates and truncates nothing: a bad input found later leaves an existing
  output exactly as it was.
* `check_output_folder(folder, option, inputs, suffix)`: the same for a folder of outputs
  (`--svg DIR`), which may not exist yet (it is made when the first file is written).
* `AtomicOutput`: a text file written to a temporary file in the output's folder (`.NAME.XXXX.tmp`,
  hidden, so a trace folder's reader skips it) and renamed into place with `os.replace`, which
  POSIX makes atomic within one file system: readers see the old file or the whole new one.
  `write_atomic(path, text)` is the one-shot form.

A symlink given as an output is followed: the file it points to is replaced, the link stays.
Errors are `InputError`s of one line, `OPTION PATH: ...` (exit status 2).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from console.errors import InputError


def _resolved(path: str | Path, option: str) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise InputError(f"{option} {path}: cannot write: {error}") from None


def _same_file(a: Path, b: Path) -> bool:
    """Whether two resolved paths are one file (hard links included)."""
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def _clash(target: Path, option: str, given: str | Path,
           inputs: Iterable[str | Path]) -> None:
    """Raise when `target` (resolved) is one of `inputs` or lies inside an input folder."""
    for source in inputs:
        resolved = Path(source).resolve()
        inside = resolved.is_dir() and resolved in target.parents
        if _same_file(target, resolved) or inside:
            what = "inside the input folder" if inside and target != resolved else "the input"
            raise InputError(f"{option} {given}: is {what} {source}; an output never "
                             "overwrites an input")


def _check_folder(folder: Path, option: str, given: str | Path) -> None:
    if not folder.is_dir():
        raise InputError(f"{option} {given}: cannot write: no such folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{option} {given}: cannot write: the folder {folder} is not "
                         "writable")


#: Where a path names a device or a process's streams, not a file: `/dev/stdout` redirected to a
#: file resolves to that file, which a rename would then replace under the shell's feet.
SPECIAL_FOLDERS = (Path("/dev"), Path("/proc"))


def _named_file(path: str | Path, option: str) -> None:
    """Refuse an empty name and a path under /dev or /proc (as given, before links resolve)."""
    if not str(path):
        raise InputError(f"{option}: needs a file name, got an empty one")
    given = Path(os.path.abspath(path))
    if any(folder in given.parents or given == folder for folder in SPECIAL_FOLDERS):
        raise InputError(f"{option} {path}: cannot write to a device or a process's stream; "
                         "give a file name")


def check_output(path: str | Path, option: str, inputs: Iterable[str | Path]) -> None:
    """Check, touching nothing, that `path` can be written as the output of `option` (e.g.
    `--record`): it is a file name (not empty, not under /dev or /proc), names none of `inputs`
    (files or folders; resolved paths compared), is not a folder or another non-regular file,
    is writable if it exists, and its folder exists and is writable. Raises `InputError`
    (`OPTION PATH: ...`, one line) otherwise."""
    _named_file(path, option)
    target = _resolved(path, option)
    _clash(target, option, path, inputs)
    if target.exists():
        mode = target.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{option} {path}: cannot write: is a folder")
        if not stat.S_ISREG(mode):
            raise InputError(f"{option} {path}: cannot write: not a regular file")
        if not os.access(target, os.W_OK):
            raise InputError(f"{option} {path}: cannot write: the file is read-only")
    _check_folder(target.parent, option, path)


def check_output_folder(folder: str | Path, option: str, inputs: Iterable[str | Path],
                        suffix: str) -> None:
    """Check, creating nothing, that files named `*SUFFIX` (e.g. `.svg`) can be written into
    `folder` (`--svg DIR`): it is not an input, holds no input named `*SUFFIX`, and is a
    writable folder, or does not exist yet and its nearest existing parent is a writable
    folder. Raises `InputError` (`OPTION FOLDER: ...`, one line) otherwise. The files are
    written with `AtomicOutput(..., follow_symlinks=False)`: a link already in the folder is
    replaced, never followed to what it points at."""
    _named_file(folder, option)
    target = _resolved(folder, option)
    _clash(target, option, folder, inputs)
    for source in inputs:
        resolved = Path(source).resolve()
        if resolved.parent == target and resolved.name.endswith(suffix):
            raise InputError(f"{option} {folder}: holds the input {source}, a {suffix} file "
                             "this folder's files could overwrite; use another folder")
    existing = target
    while not existing.exists():
        existing = existing.parent
    if existing != target and not existing.is_dir():
        raise InputError(f"{option} {folder}: cannot make the folder: {existing} is a file")
    if existing == target and not target.is_dir():
        raise InputError(f"{option} {folder}: cannot write: not a folder")
    _check_folder(existing, option, folder)


def _file_mode() -> int:
    """The mode a new file gets under the process's umask (a temporary file starts at 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class AtomicOutput:
    """A text file (UTF-8) being written to `path`: `stream` writes to a temporary file in the
    same folder; `place()` renames it over `path` (the stream stays open and writes on, now to
    the file at `path`); `close()` places it if not yet placed and closes; `discard()` closes
    and deletes the temporary file unless placed. As a context manager: closed on success,
    discarded on an exception. An existing file keeps its mode; a new one gets the umask's.
    Raises OSError when the temporary file cannot be made (check with `check_output` first).
    `follow_symlinks=False` replaces a symlink at `path` itself instead of the file it names
    (for files the program names itself, inside a folder of outputs)."""

    def __init__(self, path: str | Path, *, follow_symlinks: bool = True) -> None:
        given = Path(path)
        self.path = given.resolve() if follow_symlinks else given.parent.resolve() / given.name
        keep = self.path.exists() and not self.path.is_symlink()
        mode = self.path.stat().st_mode & 0o7777 if keep else _file_mode()
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                        suffix=".tmp")
        self._temp = Path(temp)
        try:
            os.chmod(handle, mode)
            self.stream: IO[str] = os.fdopen(handle, "w", encoding="utf-8")
        except BaseException:
            os.close(handle)
            self._temp.unlink(missing_ok=True)
            raise
        self.placed = False

    def place(self) -> None:
        """Flush and rename the temporary file over `path`. Idempotent."""
        if self.placed:
            return
        self.stream.flush()
        os.fsync(self.stream.fileno())
        os.replace(self._temp, self.path)
        self.placed = True

    def close(self) -> None:
        """Place the file (if not yet) and close the stream."""
        if not self.stream.closed:
            try:
                self.place()
            except BaseException:
                self.discard()
                raise
            self.stream.close()

    def discard(self) -> None:
        """Close the stream; the temporary file goes, a placed file stays as far as written."""
        with contextlib.suppress(OSError):
            self.stream.close()
        if not self.placed:
            self._temp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()


def write_atomic(path: str | Path, data: str | bytes, *, follow_symlinks: bool = True) -> None:
    """Write `data` (text, or UTF-8 bytes) to `path` through a temporary file renamed into
    place (`follow_symlinks` as for `AtomicOutput`). Raises OSError when it cannot be written
    (nothing is left behind then)."""
    with AtomicOutput(path, follow_symlinks=follow_symlinks) as output:
        output.stream.write(data.decode("utf-8") if isinstance(data, bytes) else data)
