"""The seams of formats/ and cli/: the drill file format takes its expectation reader from the
caller, every bad input is one InputError, and the command line catches it once."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from console import cli
from console.errors import EXIT_BAD_INPUT, InputError
from console.formats.drill import Step, load_drill_file, parse_drill_file
from console.formats.event_log import render_json
from console.formats.recording import parse_recording
from console.formats.timed import TimedCommand, parse_timed
from console.formats.toml import ConfigError, Problem
from console.model.cluster import Cluster
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.replay import run

SEED = SAMPLE_CLUSTERS / "seed.toml"

DRILL = f"""\
[drill]
name = "t"
cluster = {json.dumps(str(SEED))}
duration_s = 600

[[steps]]
at = 60
do = "fail-node B"

[[expect]]
that = "first sentence"

[[expect]]
that = "second sentence"
name = "two"
"""


def test_the_drill_format_hands_each_sentence_to_the_callers_reader() -> None:
    seen = []

    def read(index: int, that: str, name: str, steps: list[Step], duration: float,
             cluster: Cluster) -> tuple[int, str]:
        seen.append((index, that, name, [s.command.text() for s in steps], duration,
                     cluster.name))
        return index, that

    drill = parse_drill_file(DRILL, "t.toml", read)
    assert drill.expectations == [(0, "first sentence"), (1, "second sentence")]
    assert seen == [(0, "first sentence", "", ["fail-node B"], 600.0, "seed"),
                    (1, "second sentence", "two", ["fail-node B"], 600.0, "seed")]


def test_a_readers_problem_is_located_on_the_sentences_line() -> None:
    def read(index: int, that: str, *_: object) -> None:
        if index == 1:
            raise Problem("", f"cannot read {that!r}")

    with pytest.raises(ConfigError) as caught:
        parse_drill_file(DRILL, "t.toml", read)
    assert str(caught.value) == "t.toml:14: expect[1].that: cannot read 'second sentence'"


def test_every_bad_file_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        parse_recording("{}\n", "r.jsonl")
    assert str(caught.value) == 'r.jsonl:1: format: not a cluster-console recording (format null)'
    assert issubclass(ConfigError, InputError)


def test_run_feeds_timed_commands_in_time_order_ties_as_given() -> None:
    from console.formats.cluster import load_cluster

    steps = [parse_timed("120 power-on B"), parse_timed("60 fail-node B"),
             parse_timed("60 failover sql")]
    engine = Engine(load_cluster(SEED), 0)
    run(engine, 300.0, steps)
    assert [(t, c.text()) for t, c in engine.command_log] == [
        (60.0, "fail-node B"), (60.0, "failover sql"), (120.0, "power-on B")]
    assert engine.now == 300.0
    again = Engine(load_cluster(SEED), 0)
    run(again, 300.0, [TimedCommand(s.t, s.command) for s in sorted(steps, key=lambda s: s.t)])
    assert render_json(again) == render_json(engine)


def test_the_command_line_catches_input_errors_once(monkeypatch, capsys) -> None:
    def bad(argv: object) -> int:
        raise InputError("x.toml:3: nodes[0].cpus: must be an integer from 1 to 64 sockets, got 0")

    from console.cli import validate

    monkeypatch.setattr(validate, "run", bad)
    assert cli.main(["validate", "x.toml"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == \
        "cluster-console: x.toml:3: nodes[0].cpus: must be an integer from 1 to 64 sockets, got 0\n"


def test_ctrl_c_is_exit_status_130_without_a_traceback(monkeypatch, capsys) -> None:
    def interrupted(argv: object) -> int:
        raise KeyboardInterrupt

    from console.cli import simulate

    monkeypatch.setattr(simulate, "run", interrupted)
    assert cli.main(["simulate"]) == cli.EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "--do", "soon fail-node B"],
     "--do 'soon fail-node B': expected a time in seconds first, got 'soon'"),
    (["simulate", "--for", "10", "--do", "60 fail-node B"],
     "--do '60 fail-node B' is after the end of the run (--for 10)"),
    (["drill", "--interactive", "--speed", "0", "x.toml"],
     "--speed must be above 0 and at most 3600, got 0"),
    (["replay", "x.jsonl", "--json"], "--json goes with --headless"),
    (["replay", "x.jsonl", "--cast", "x.cast", "--size", "10x2"],
     "--size must be WIDTHxHEIGHT, from 20x5 to 1000x500, e.g. 120x40; got '10x2'"),
    # an option that does not apply to the mode asked for is refused, not ignored
    (["drill", "x.toml", "--speed", "2"], "--speed goes with --interactive"),
    (["drill", "x.toml", "--paused"], "--paused goes with --interactive"),
    (["drill", "x.toml", "--no-confirm"], "--no-confirm goes with --interactive"),
    (["replay", "x.jsonl", "--headless", "--cast", "x.cast"],
     "--cast is not for --headless (a cast or a screenshot is the console replaying); give one "
     "or the other"),
    (["replay", "x.jsonl", "--headless", "--svg", "shots"],
     "--svg is not for --headless (a cast or a screenshot is the console replaying); give one "
     "or the other"),
    (["replay", "x.jsonl", "--headless", "--speed", "2"],
     "--speed does not apply to --headless"),
    (["replay", "x.jsonl", "--headless", "--theme", "dark"],
     "--theme does not apply to --headless"),
    (["replay", "x.jsonl", "--headless", "--paused"], "--paused does not apply to --headless"),
    (["replay", "x.jsonl", "--headless", "--size", "80x24"],
     "--size does not apply to --headless"),
    (["replay", "x.jsonl", "--cast", "x.cast", "--paused"],
     "--paused does not apply to --cast/--svg"),
    (["replay", "x.jsonl", "--size", "80x24"], "--size goes with --cast or --svg"),
])
def test_bad_options_are_one_line_before_anything_runs(argv, message, capsys) -> None:
    assert cli.main(argv) == EXIT_BAD_INPUT
    assert capsys.readouterr() == ("", f"cluster-console: {message}\n")


@pytest.mark.parametrize(("argv", "message"), [
    (["--bogus"], "unknown option --bogus (see --help)"),
    (["simulate", "--paused"], "unknown option --paused (see cluster-console simulate --help)"),
    (["simulate", "--for", "x"], "argument --for: invalid float value: 'x' (see cluster-console "
                                 "simulate --help)"),
    (["replay"], "the following arguments are required: FILE (see cluster-console replay "
                 "--help)"),
    (["simulate", "--see", "7"], "unknown option --see (see cluster-console simulate --help)"),
])
def test_an_unknown_or_malformed_option_is_one_line_not_the_usage(argv, message, capsys) -> None:
    assert cli.main(argv) == EXIT_BAD_INPUT
    assert capsys.readouterr() == ("", f"cluster-console: {message}\n")


def test_a_byte_order_mark_at_the_start_of_any_input_is_not_an_error(tmp_path, capsys,
                                                                     monkeypatch) -> None:
    """Windows editors start UTF-8 files with a byte-order mark; every format reads past it."""
    bom = "\ufeff"
    cluster = tmp_path / "c.toml"
    cluster.write_text(bom + SEED.read_text(encoding="utf-8"), encoding="utf-8")
    drill = tmp_path / "d.toml"
    drill.write_text(bom + DRILL.replace(json.dumps(str(SEED)), json.dumps(str(cluster))),
                     encoding="utf-8")
    recording = tmp_path / "r.jsonl"
    assert cli.main(["simulate", str(cluster), "--for", "60", "--do", "30 fail-node B",
                     "--record", str(recording)]) == 0
    simulated = capsys.readouterr().out
    recording.write_text(bom + recording.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli.main(["replay", str(recording), "--headless"]) == 0
    assert capsys.readouterr().out == simulated
    assert cli.main(["validate", str(cluster)]) == 0
    assert load_drill_file(drill, lambda index, that, *_: that).expectations[0] == \
        "first sentence"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    config = tmp_path / "cluster-console"
    (config / "themes").mkdir(parents=True)
    (config / "keys.toml").write_text(bom + '[keys]\ncrash = "X"\n', encoding="utf-8")
    (config / "themes" / "mine.toml").write_text(bom + 'name = "mine"\nprimary = "#336699"\n',
                                                 encoding="utf-8")
    from console.ui.launch import load_settings

    themes, keymap = load_settings("mine")
    assert keymap == {"crash": "X"} and "mine" in [theme.name for theme in themes]


@pytest.mark.parametrize("args", [["simulate", "--for", "60"],
                                  ["validate", str(SAMPLE_CLUSTERS / "seed.toml")]])
def test_output_to_a_reader_that_went_away_is_exit_141_without_a_traceback(args) -> None:
    """`cluster-console ... | head`: the reader closes first, the write fails with EPIPE."""
    proc = subprocess.Popen([sys.executable, "-m", "console", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # no reader left: the child's first write fails
    error = proc.stderr.read()
    assert proc.wait(timeout=60) == cli.EXIT_BROKEN_PIPE
    assert b"Traceback" not in error and b"Exception ignored" not in error


def test_version_loads_no_model_and_no_sub_command_it_does_not_run() -> None:
    """`cluster-console --version` starts fast: the sub-commands are imported when chosen."""
    code = ("import sys; from console.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('console.cli.', "
            "'console.model.engine', 'console.drills', 'textual'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == \
        "['console.cli.console', 'console.cli.options', 'console.cli.real_hosts', " \
        "'console.cli.say', 'console.cli.terminal']"
