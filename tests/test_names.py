"""One grammar for names and one range for seeds, at every door: cluster files, drills,
commands (typed, `--do`, drill steps, recordings), recording headers, the command line; and
messages that show any text readably, on one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from console.cli import main
from console.errors import InputError
from console.formats.cluster import parse_cluster
from console.formats.recording import Recorder, load_recording
from console.model.commands import (
    CommandError,
    Deploy,
    FailNode,
    LocalReading,
    Speed,
    parse,
)
from console.model.engine import Engine
from console.model.names import MAX_NAME_LENGTH, display, is_name
from console.model.seeds import MAX_SEED
from console.paths import SAMPLE_CLUSTERS

SEED = SAMPLE_CLUSTERS / "seed.toml"
DRILL = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"
BAD_NAMES = ["B C", "my vm", "it's", '"q"', "💥boom", "é", "A\n", "\x1b[2J", "A\x00",
             "\u202eA", "-x", "", "x" * (MAX_NAME_LENGTH + 1)]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line(err: str) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert all(c.isprintable() for c in err[:-1]), err
    return err


# -- the grammar ------------------------------------------------------------------------------


def test_the_grammar_takes_plain_names_up_to_the_limit():
    for name in ["A", "web01", "sql-2.b_c", "9", "x" * MAX_NAME_LENGTH]:
        assert is_name(name)
    for name in BAD_NAMES:
        assert not is_name(name)


def test_display_keeps_text_and_escapes_what_is_not_printable():
    assert display("💥boom") == '"💥boom"'
    assert display("é\"\\") == '"é\\"\\\\"'
    assert display("a\nb\x1b\x00\u202e\ud83d") == '"a\\nb\\u001b\\u0000\\u202e\\ud83d"'


# -- commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_bad_name_is_not_a_command_however_it_is_typed_or_built(name):
    for line in [f"fail-node {json.dumps(name)}", f"deploy {json.dumps(name)} win2008"]:
        with pytest.raises(CommandError, match="must be a name") as error:
            parse(line)
        assert "\n" not in str(error.value)
    with pytest.raises(CommandError):
        FailNode(name)
    with pytest.raises(CommandError):
        Deploy("web09", f"win2008+{name}")


@pytest.mark.parametrize("command", [
    FailNode("B"), Deploy("web09", "win2008+iis7", "on"), Deploy("on", "on"),
    Speed(1234567.0), Speed(0.1), LocalReading("A", 0.05078125, 1 / 3, 0.0)])
def test_a_command_reads_back_from_its_text_as_itself(command):
    assert parse(command.text()) == command


def test_known_command_texts_are_unchanged():
    assert Speed(4.0).text() == "speed 4"
    assert Deploy("web09", "win2008+iis7", "C").text() == "deploy web09 win2008+iis7 on C"


@pytest.mark.parametrize("do", ["30 fail-node 'B C'", "10 deploy 'my vm' win2008",
                                "10 add-node \"it's\"", "10 deploy 💥boom win2008"])
def test_simulate_refuses_a_do_with_a_bad_name_and_writes_nothing(tmp_path, capsys, do):
    rec = tmp_path / "r.jsonl"
    status, out, err = run(capsys, "simulate", "--do", do, "--record", str(rec))
    assert status == 2 and out == "" and not rec.exists()
    assert "must be a name" in one_line(err)


def test_add_node_with_a_trailing_newline_is_refused():
    # `re.match(...$)` let "X\n" through: a host name with a newline in it.
    with pytest.raises(CommandError):
        parse("add-node 'X\n'")


# -- cluster files ----------------------------------------------------------------------------


def cluster_text(name: str) -> str:
    return SEED.read_text().replace('name = "A"', f"name = {toml_string(name)}", 1)


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string too


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_cluster_file_refuses_a_bad_name_in_one_printable_line(tmp_path, capsys, name):
    path = tmp_path / "c.toml"
    path.write_text(cluster_text(name), encoding="utf-8")
    status, _out, err = run(capsys, "validate", str(path))
    assert status == 2
    assert ".name: must be a name" in one_line(err)
    if name == "💥boom":
        assert '"💥boom"' in err  # as itself, not as "\ud83d\udca5boom"


def test_names_up_to_the_limit_load_and_count_copies_stay_within_it(tmp_path):
    longest = "x" * MAX_NAME_LENGTH
    cluster = parse_cluster(SEED.read_text().replace('"A"', f'"{longest}"'), "c.toml")
    assert longest in cluster.nodes
    text = SEED.read_text() + (f'\n[[vms]]\nname = "{"v" * (MAX_NAME_LENGTH - 2)}"\n'
                               'guest_os = "ubuntu"\nvcpus = 1\nmemory_gb = 1\ndisk_gb = 1\n'
                               'count = 2\n')
    with pytest.raises(InputError, match=r"with count = 2 the last name is .* longer than 64"):
        parse_cluster(text, "c.toml")


# -- drills -----------------------------------------------------------------------------------


def drill_text(**replace: str) -> str:
    text = DRILL.read_text().replace('cluster = "../', f'cluster = "{SEED.parent}/')
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(("old", "new", "message"), [
    ('do = "fail-node B"', "do = \"fail-node 'B C'\"", "must be a name"),
    ('do = "fail-node B"', 'do = "fail-node \\u001b"', "must be a name"),
    ('name = "node-crash"', 'name = "node crash"', "must be a name"),
    ("seed = 0", "seed = -1", "must be an integer from 0 to 4294967295"),
    ("seed = 0", "seed = 4294967296", "must be an integer from 0 to 4294967295"),
    ("seed = 0", "seed = 1.5", "must be an integer from 0 to 4294967295"),
    ("seed = 0", "seed = " + "9" * 5000, "an integer with more than 4300 digits"),
    ('that = "no VM lost"', 'that = "no VM lost"\nname = "a\\nb"',
     "must be printable text on one line"),
])
def test_a_drill_refuses_bad_names_and_seeds_in_one_line(tmp_path, capsys, old, new, message):
    path = tmp_path / "d.toml"
    text = drill_text(**{old: new})
    assert text != drill_text()
    path.write_text(text, encoding="utf-8")
    status, _out, err = run(capsys, "drill", str(path))
    assert status == 2 and message in one_line(err)


# -- seeds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["-1", "1.5", str(MAX_SEED + 1), "9" * 5000, "x", "", "1_0",
                                  " 7", "+7", "\u0667"])
@pytest.mark.parametrize("command", [["simulate", "--for", "1"], []], ids=["simulate", "console"])
def test_a_bad_seed_is_refused_in_one_line_before_anything_is_written(tmp_path, capsys, seed,
                                                                      command):
    rec = tmp_path / "r.jsonl"
    status, out, err = run(capsys, *command, "--seed", seed, "--record", str(rec))
    assert status == 2 and out == "" and not rec.exists()
    assert "--seed must be an integer from 0 to 4294967295" in one_line(err)


def test_the_largest_seed_records_what_replays(tmp_path, capsys):
    rec = tmp_path / "r.jsonl"
    status, out, _ = run(capsys, "simulate", "--seed", str(MAX_SEED), "--for", "60",
                         "--do", "10 fail-node B", "--record", str(rec))
    assert status == 0
    assert run(capsys, "replay", str(rec), "--headless")[1] == out


def test_the_model_and_the_recorder_refuse_a_seed_out_of_range(tmp_path):
    cluster = parse_cluster(SEED.read_text(), "seed.toml")
    for seed in [-1, MAX_SEED + 1, True]:
        with pytest.raises(ValueError, match="seed must be"):
            Engine(cluster, seed)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="seed must be"):
            Recorder(tmp_path / "r.jsonl", seed=seed, cluster_file="c", cluster="",  # type: ignore[arg-type]
                     created_by="simulate")
    assert not (tmp_path / "r.jsonl").exists()


# -- recordings -------------------------------------------------------------------------------


def recording(tmp_path, header: dict | None = None, *lines: str) -> str:
    base = {"format": "cluster-console-recording", "version": 1, "program": "0.1.0",
            "seed": 0, "cluster_file": "seed.toml", "cluster": SEED.read_text(),
            "created_by": "simulate"}
    path = tmp_path / "r.jsonl"
    text = json.dumps({**base, **(header or {})}) + "\n" + "".join(line + "\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("header", "lines", "message"), [
    ({"seed": -1}, (), "1: seed: must be an integer from 0 to 4294967295, got -1"),
    ({"seed": MAX_SEED + 1}, (), "1: seed: must be an integer from 0"),
    ({"seed": 2**200}, (), "1: seed: must be an integer from 0 to 4294967295, got an integer "
                           "of 201 bits"),
    ({"seed": 1.5}, (), "1: seed: must be an integer"),
    ({"drill": "a b"}, (), "1: drill: must be a name"),
    ({"local_node": "\u202eA"}, (), '1: local_node: must be a name'),
    ({"cluster_file": "\ud83d"}, (), '1: cluster_file: invalid text: "\\ud83d" is a lone '
                                     "surrogate"),
    (None, ('{"t": 1, "command": "fail-node \\ud83d"}',), '2: command: invalid text: '
                                                          '"\\ud83d" is a lone surrogate'),
    (None, ('{"t": 1, "mark": "\\udca5boom"}',), "2: mark: invalid text"),
    (None, ('{"t": 1, "mark": "a\\u001b[2Jb"}',), "2: mark: must be printable text on one "
                                                   'line, got "a\\u001b[2Jb"'),
    (None, ('{"t": 1, "command": "fail-node \'B C\'"}',), "2: command: NODE must be a name"),
    (None, ('{"t": 1, "command": "deploy my vm win2008"}',), "2: command: unexpected"),
    (None, ('{"t": 1, "command": 1' + "0" * 5000 + "}",),
     "2: damaged: an integer of more than 4300 digits"),
])
def test_a_recording_with_bad_names_seeds_or_text_is_refused_in_one_line(
        tmp_path, capsys, header, lines, message):
    path = recording(tmp_path, header, *lines)
    status, out, err = run(capsys, "replay", path, "--headless")
    assert status == 2 and out == ""
    assert message in one_line(err)


def test_a_recording_header_of_a_huge_seed_is_refused_in_one_line(tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    text = Path(recording(tmp_path)).read_text(encoding="utf-8")
    path.write_text(text.replace('"seed": 0', '"seed": ' + "9" * 5000), encoding="utf-8")
    status, _out, err = run(capsys, "replay", str(path), "--headless")
    assert status == 2 and "1: damaged: an integer of more than 4300 digits" in one_line(err)


def test_a_mark_that_is_not_one_printable_line_is_not_written(tmp_path):
    with Recorder(tmp_path / "r.jsonl", seed=0, cluster_file="seed.toml",
                  cluster=SEED.read_text(), created_by="console") as recorder:
        for label in ["a\nb", "\x1b[2J", "\u202e", "\ud83d", "x" * 201]:
            with pytest.raises(ValueError, match="mark"):
                recorder.mark(1.0, label)
        recorder.mark(2.0, "💥 here")
        recorder.close(3.0)
    loaded = load_recording(tmp_path / "r.jsonl")
    assert [entry.text for entry in loaded.entries] == ["💥 here"]


@pytest.mark.skipif(os.name != "posix", reason="file names as bytes")
def test_a_cluster_file_whose_name_is_not_utf8_records_what_replays(tmp_path, capsys):
    cluster = os.fsdecode(bytes(tmp_path) + b"/c\xff.toml")
    with open(cluster, "w", encoding="utf-8") as file:
        file.write(SEED.read_text())
    rec = tmp_path / "r.jsonl"
    status, out, _ = run(capsys, "simulate", cluster, "--for", "30", "--record", str(rec))
    assert status == 0
    assert load_recording(rec).cluster_file.endswith("c\ufffd.toml")
    assert run(capsys, "replay", str(rec), "--headless")[1] == out


@pytest.mark.skipif(os.name != "posix", reason="file names as bytes")
def test_a_trace_file_whose_name_is_not_utf8_is_refused_at_load(tmp_path, capsys):
    traces = tmp_path / "traces"
    traces.mkdir()
    with open(os.fsdecode(bytes(traces) + b"/t\xff.csv"), "w") as file:
        file.write("10\n20\n")
    path = tmp_path / "c.toml"
    path.write_text(SEED.read_text() + '\n[workloads]\ntraces = "traces"\n', encoding="utf-8")
    status, _out, err = run(capsys, "validate", str(path))
    assert status == 2 and "the file name is not UTF-8" in one_line(err)


@pytest.mark.parametrize("hostname", ["café", "ü", "-x", "a b'c", "h" * 300, "\u202eevil"])
def test_the_local_machine_joins_under_a_name_of_the_grammar(monkeypatch, hostname):
    from console.sources import local

    monkeypatch.setattr(local.socket, "gethostname", lambda: hostname)
    name = local.local_name()
    assert is_name(name)
    taken = {name, *(f"{name}-{n}" for n in range(2, 300))}
    assert is_name(local.local_name(taken))


def test_an_image_label_is_one_printable_line(tmp_path, capsys):
    text = (SAMPLE_CLUSTERS / "xenserver.toml").read_text()
    assert "label = " in text
    path = tmp_path / "c.toml"
    path.write_text(text.replace("label = ", 'label = "\\u001b[2J" # ', 1), encoding="utf-8")
    status, _out, err = run(capsys, "validate", str(path))
    assert status == 2 and ".label: must be printable text on one line" in one_line(err)
