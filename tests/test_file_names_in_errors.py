"""Every command names a file in its error lines as the user typed it: a cluster file given as
`./in//c.toml` is `./in//c.toml` in `validate`'s line, `simulate`'s and the console's, whether
the file is bad or an output would overwrite it (that line named it `in/c.toml`, the path
tidied, while the file's own problems named it as typed). Run in-process through the command
line, the console's screen replaced by a failure: every line is printed before it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from console.cli import main
from console.paths import DEFAULT_CLUSTER, SAMPLE_CLUSTERS

#: How the user types the cluster file: a path that a tidying would spell `in/c.toml`.
TYPED = "./in//c.toml"
DRILL = "./in//d.toml"


@pytest.fixture
def typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder `in` with the seed cluster as c.toml and a drill on it as d.toml, the working
    directory; the console's screen never opens."""
    (tmp_path / "in").mkdir()
    shutil.copy(DEFAULT_CLUSTER, tmp_path / "in" / "c.toml")
    (tmp_path / "in" / "d.toml").write_text(
        '[drill]\nname = "d"\ncluster = "c.toml"\nduration_s = 60\n\n[[steps]]\nat = 10\n'
        'do = "fail-node A"\n\n[[expect]]\nthat = "event node_failed for A within 30 s after '
        'step 1"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    def no_screen(app: object) -> int:
        raise AssertionError("the console opened")

    monkeypatch.setattr("console.ui.launch._run", no_screen)
    return tmp_path


def refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line of `cluster-console ARGV` (exit status 2)."""
    assert main(argv) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("argv", [["validate", TYPED], ["simulate", TYPED], [TYPED],
                                  ["serve", TYPED], ["drill", DRILL]],
                         ids=["validate", "simulate", "console", "serve", "drill"])
def test_a_bad_cluster_file_is_named_as_typed_in_the_same_line(
        typed: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Every sub-command's line names the program, the file, the line and the key (`validate`'s
    had no `cluster-console:`)."""
    path = typed / "in" / "c.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('name = "', 'nmae = "', 1), encoding="utf-8")
    line = refusal(argv, capsys)
    at = text[:text.index('name = "')].count("\n") + 1
    cluster = TYPED if argv[-1] == TYPED else "in/c.toml"  # the drill's, beside it
    assert line.startswith(f"cluster-console: {cluster}:{at}: cluster.nmae: unknown key")


@pytest.mark.parametrize("command", ["validate", "simulate", "drill", "replay", "journal",
                                     "resume", "follow", "serve", "export"])
def test_every_sub_command_names_the_program_in_its_error_line(
        typed: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert refusal([command, "--nope"], capsys) == (
        f"cluster-console: unknown option --nope (see cluster-console {command} --help)")


@pytest.mark.parametrize("argv", [
    ["simulate", TYPED, "--record", "in/c.toml"],
    ["simulate", TYPED, "--journal", "in/c.toml"],
    [TYPED, "--record", "in/c.toml"],
    [TYPED, "--journal", "in/c.toml"],
], ids=["simulate-record", "simulate-journal", "console-record", "console-journal"])
def test_an_output_over_the_cluster_file_names_it_as_typed(
        typed: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    line = refusal(argv, capsys)
    assert line.endswith(f"in/c.toml: is the input {TYPED}; an output never overwrites "
                         "an input")


@pytest.mark.parametrize("command", [["drill"], ["simulate"]])
def test_an_output_over_a_drill_file_names_it_as_typed(
        typed: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    line = refusal([*command, DRILL, "--record", "in/d.toml"], capsys)
    assert line.endswith(f"--record in/d.toml: is the input {DRILL}; an output never "
                         "overwrites an input")


def test_an_output_over_a_recording_names_it_as_typed(
        typed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = typed / "in" / "r.jsonl"
    assert main(["simulate", str(SAMPLE_CLUSTERS / "seed.toml"), "--for", "10",
                 "--record", str(recording)]) == 0
    capsys.readouterr()
    line = refusal(["replay", "./in//r.jsonl", "--cast", "in/r.jsonl"], capsys)
    assert line.endswith("--cast in/r.jsonl: is the input ./in//r.jsonl; an output never "
                         "overwrites an input")
