"""The corpus of broken inputs (tests/bad_inputs/, listed in its manifest.tsv): each file, in each
of the five formats, run through the real command line gives exit status 2, exactly one line on
stderr that names the file (and the line and key where there is one), no traceback, nothing on
stdout and no output file written. FIFOs, folders, unreadable files and broken links are made
here, for every format; bad options are listed here too.

Cluster files run as `simulate FILE --record OUT`, drills as `drill FILE --junit OUT --record
OUT`, recordings as `replay FILE --cast OUT`, keys.toml and themes as the user's
config for `cluster-console --record OUT` (the console itself never opens: the bad file must be
refused before). A few go through a real process to show no traceback reaches stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from console.cli import main
from console.paths import DEFAULT_CLUSTER

CORPUS = Path(__file__).parent / "bad_inputs"
FORMATS = ("cluster", "drill", "recording", "keys", "theme")


def manifest() -> list[tuple[str, str]]:
    """(file relative to the corpus, the error's text right after the file name)."""
    rows = []
    for line in (CORPUS / "manifest.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, fragment = line.split("\t")
            rows.append((name, fragment))
    return rows


class Cli:
    """Runs `cluster-console ARGS` in-process for one test: the user's config folder and the
    outputs in a temporary folder, the console's screen replaced by a failure."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 capsys: pytest.CaptureFixture[str]) -> None:
        self.config = tmp_path / "config" / "cluster-console"
        self.out = tmp_path / "out"
        self.out.mkdir()
        self.capsys = capsys
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

        def no_screen(*args: object, **kwargs: object) -> int:
            raise AssertionError("the console opened on bad input")

        monkeypatch.setattr("console.ui.launch.open_console", no_screen)

    def argv(self, kind: str, path: Path) -> list[str]:
        """The command line that reads `path` as a `kind` file, writing every output it can."""
        out = self.out
        return {
            "cluster": ["simulate", str(path), "--record", str(out / "run.jsonl")],
            "drill": ["drill", str(path), "--junit", str(out / "junit.xml"),
                      "--record", str(out / "run.jsonl")],
            "recording": ["replay", str(path), "--cast", str(out / "run.cast")],
            "keys": [str(DEFAULT_CLUSTER), "--record", str(out / "run.jsonl")],
            "theme": [str(DEFAULT_CLUSTER), "--record", str(out / "run.jsonl")],
        }[kind]

    def place(self, kind: str, name: str) -> Path:
        """Where a file of `kind` is read from: config files in the config folder, the rest
        where they are."""
        if kind == "keys":
            return self.config / "keys.toml"
        if kind == "theme":
            return self.config / "themes" / name
        raise ValueError(kind)

    def refuses(self, argv: list[str], starts: str) -> str:
        """Run; assert exit 2, one line on stderr starting `cluster-console: STARTS`, nothing
        on stdout, nothing written. Returns the line."""
        assert main(argv) == 2
        captured = self.capsys.readouterr()
        lines = captured.err.splitlines()
        assert len(lines) == 1, captured.err[:2000]
        assert "Traceback" not in captured.err
        assert captured.out == ""
        assert lines[0].startswith(f"cluster-console: {starts}"), lines[0]
        assert list(self.out.iterdir()) == []
        return lines[0]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, monkeypatch, capsys)


def test_the_corpus_is_large_covers_every_format_and_lists_every_file() -> None:
    rows = manifest()
    assert len(rows) >= 100
    assert {name.split("/")[0] for name, _ in rows} == set(FORMATS)
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()}
    assert on_disk - {"manifest.tsv"} == {name for name, _ in rows}


@pytest.mark.parametrize(("name", "fragment"), manifest(), ids=[n for n, _ in manifest()])
def test_each_broken_file_is_one_line_and_exit_2(cli: Cli, name: str, fragment: str) -> None:
    kind = name.split("/")[0]
    source = CORPUS / name
    path = source
    if kind in ("keys", "theme"):
        path = cli.place(kind, source.name)
        path.parent.mkdir(parents=True)
        shutil.copyfile(source, path)
    cli.refuses(cli.argv(kind, path), f"{path}{fragment}")


# -- files that are not regular files, made here ---------------------------------------------


def fifo(path: Path) -> None:
    os.mkfifo(path)


def folder(path: Path) -> None:
    path.mkdir()


def link_loop(path: Path) -> None:
    path.symlink_to(path)


def broken_link(path: Path) -> None:
    path.symlink_to(path.parent / "gone")


SPECIALS: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (fifo, ": not a regular file"),
    "folder": (folder, ": not a regular file"),
    "link-loop": (link_loop, ": cannot read: Too many levels of symbolic links"),
    "broken-link": (broken_link, ": cannot read: No such file or directory"),
}


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("special", SPECIALS)
def test_a_fifo_folder_or_dead_link_as_any_input_is_refused_at_once(
        cli: Cli, tmp_path: Path, kind: str, special: str) -> None:
    """A FIFO hung for ever; a link loop for keys.toml was taken for no file at all."""
    make, fragment = SPECIALS[special]
    path = tmp_path / f"input.{'jsonl' if kind == 'recording' else 'toml'}"
    if kind in ("keys", "theme"):
        path = cli.place(kind, "input.toml")
        path.parent.mkdir(parents=True)
    make(path)
    cli.refuses(cli.argv(kind, path), f"{path}{fragment}")


@pytest.mark.parametrize("special", SPECIALS)
def test_the_console_refuses_a_cluster_file_that_is_not_a_regular_file(
        cli: Cli, tmp_path: Path, special: str) -> None:
    """It said "no such cluster file" for a FIFO or a folder."""
    make, fragment = SPECIALS[special]
    path = tmp_path / "cluster.toml"
    make(path)
    cli.refuses([str(path), "--record", str(cli.out / "run.jsonl")], f"{path}{fragment}")


@pytest.mark.parametrize("special", ["fifo", "folder"])
def test_a_drill_naming_a_fifo_or_folder_as_its_cluster_is_refused(
        cli: Cli, tmp_path: Path, special: str) -> None:
    make, fragment = SPECIALS[special]
    make(tmp_path / "cluster.toml")
    drill = tmp_path / "d.toml"
    drill.write_text('[drill]\nname = "d"\ncluster = "cluster.toml"\nduration_s = 60\n'
                     '[[expect]]\nthat = "no VM lost at end"\n', encoding="utf-8")
    cli.refuses(cli.argv("drill", drill),
                f'{drill}:3: drill.cluster: cannot read "cluster.toml" '
                f"({tmp_path / 'cluster.toml'}){fragment}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
@pytest.mark.parametrize("kind", FORMATS)
def test_an_unreadable_input_is_refused(cli: Cli, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "input.toml"
    if kind in ("keys", "theme"):
        path = cli.place(kind, "input.toml")
        path.parent.mkdir(parents=True)
    path.write_text("", encoding="utf-8")
    path.chmod(0)
    cli.refuses(cli.argv(kind, path), f"{path}: cannot read: Permission denied")


# -- options -----------------------------------------------------------------------------------

OPTIONS = [
    (["simulate", "--for", "nan"], "--for must be from 0 to 2592000 seconds (30 days), got nan"),
    (["simulate", "--for", "inf"], "--for must be from 0 to 2592000 seconds (30 days), got inf"),
    (["simulate", "--for", "1e12"], "--for must be from 0 to 2592000 seconds"),
    (["simulate", "--for", "-1"], "--for must be from 0 to 2592000 seconds"),
    (["simulate", "--for", "2592001"], "--for must be from 0 to 2592000 seconds"),
    (["simulate", "--do", "1e12 pause"], "--do '1e12 pause': the time must be a number of "
                                         "seconds from 0 to 2592000 (30 days)"),
    (["simulate", "--do", "inf pause"], "--do 'inf pause': the time must be"),
    (["simulate", "--do", "nan pause"], "--do 'nan pause': the time must be"),
    (["simulate", "--do", "-1 pause"], "--do '-1 pause': the time must be"),
    (["simulate", "--seed", "-1"], "--seed must be an integer from 0 to 4294967295, got '-1'"),
    (["simulate", "--seed", str(2**64)], "--seed must be an integer from 0 to 4294967295"),
    (["--seed", str(2**64)], "--seed must be an integer from 0 to 4294967295"),
    (["--speed", "nan"], "--speed must be above 0 and at most 3600"),
    (["--speed", "inf"], "--speed must be above 0 and at most 3600"),
    (["--speed", "1e12"], "--speed must be above 0 and at most 3600"),
    (["drill", str(CORPUS.parent.parent / "console/data/sample_clusters/drills/node-crash.toml"),
      "--interactive", "--speed", "nan"], "--speed must be above 0"),
    (["replay", "x.jsonl", "--speed", "inf"], "--speed must be above 0"),
    (["replay", "x.jsonl", "--cast", "x.cast", "--size", "100000x100000"],
     "--size must be WIDTHxHEIGHT, from 20x5 to 1000x500, e.g. 120x40; got '100000x100000'"),
    (["replay", "x.jsonl", "--cast", "x.cast", "--size", "١٢٠x40"],
     "--size must be WIDTHxHEIGHT"),
]


@pytest.mark.parametrize(("argv", "message"), OPTIONS, ids=[" ".join(a) for a, _ in OPTIONS])
def test_bad_numbers_in_options_are_one_line_and_exit_2(cli: Cli, argv: list[str],
                                                        message: str) -> None:
    cli.refuses(argv + (["--record", str(cli.out / "run.jsonl")]
                        if argv[0] in ("simulate", "--seed", "--speed") else []), message)


# -- a real process ----------------------------------------------------------------------------

PROCESS_CASES = ["cluster/deep-array.toml", "cluster/cpus-2-pow-1100.toml",
                 "drill/duration-1e12.toml", "recording/deep-line-10000.jsonl",
                 "keys/comma-only.toml", "theme/variable-not-colour.toml"]


@pytest.mark.parametrize("name", PROCESS_CASES)
def test_no_traceback_reaches_stderr_of_a_real_process(tmp_path: Path, name: str) -> None:
    fragments = dict(manifest())
    kind = name.split("/")[0]
    source = CORPUS / name
    config = tmp_path / "config" / "cluster-console"
    path = source
    if kind == "keys":
        path = config / "keys.toml"
    elif kind == "theme":
        path = config / "themes" / source.name
    if path != source:
        path.parent.mkdir(parents=True)
        shutil.copyfile(source, path)
    out = tmp_path / "out"
    out.mkdir()
    argv = {"cluster": ["simulate", str(path), "--record", str(out / "r.jsonl")],
            "drill": ["drill", str(path), "--record", str(out / "r.jsonl")],
            "recording": ["replay", str(path), "--headless"],
            "keys": [str(DEFAULT_CLUSTER), "--record", str(out / "r.jsonl")],
            "theme": [str(DEFAULT_CLUSTER), "--record", str(out / "r.jsonl")]}[kind]
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-m", "console", *argv], capture_output=True,
                          text=True, timeout=120, env=env, stdin=subprocess.DEVNULL,
                          cwd=Path(__file__).parent.parent)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"cluster-console: {path}{fragments[name]}")
    assert "Traceback" not in done.stderr and list(out.iterdir()) == []
