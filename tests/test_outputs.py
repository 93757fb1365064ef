"""Outputs never overwrite inputs, are checked before anything runs without touching an existing
file, and are written atomically (a temporary file in the same folder, renamed into place)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main
from console.errors import InputError
from console.formats.cluster import load_cluster
from console.formats.output import (
    AtomicOutput,
    check_output,
    check_output_folder,
    write_atomic,
)
from console.formats.recording import Recorder, load_recording
from console.model.commands import parse
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS

OLD = "an old file: nothing may change it\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A cluster, a drill naming it, a recording of the drill, and an existing output file."""
    cluster = tmp_path / "seed.toml"
    shutil.copy(SAMPLE_CLUSTERS / "seed.toml", cluster)
    drills = tmp_path / "drills"
    drills.mkdir()
    drill = drills / "node-crash.toml"
    shutil.copy(SAMPLE_CLUSTERS / "drills" / "node-crash.toml", drill)
    recording = tmp_path / "run.jsonl"
    assert main(["simulate", str(cluster), "--for", "60", "--do", "30 fail-node B",
                 "--record", str(recording)]) == 0
    existing = tmp_path / "existing.jsonl"
    existing.write_text(OLD)
    os.utime(existing, (1_000_000_000, 1_000_000_000))
    return {"cluster": cluster, "drill": drill, "recording": recording, "existing": existing}


def snapshot(*paths: Path) -> list[tuple[bytes, int]]:
    """Bytes and modification time (ns) of each file."""
    return [(p.read_bytes(), p.stat().st_mtime_ns) for p in paths]


def refused(capsys, argv: list[str], *words: str) -> str:
    """Run the CLI: exit status 2, one line on stderr holding `words`, nothing on stdout."""
    capsys.readouterr()
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    assert captured.out == ""
    return err


# -- no output names an input -----------------------------------------------------------------


@pytest.mark.parametrize("case", [
    "console cluster --record cluster",
    "simulate cluster --record cluster",
    "drill drill --record drill",
    "drill drill --junit drill",
    "drill drill --report drill",
    "drill drill --record cluster",
    "drill drill --interactive --record cluster",
    "drill drill --interactive --report drill",
    "replay recording --cast recording",
])
def test_an_output_that_names_an_input_is_refused_and_the_input_kept(files, capsys, case):
    words = case.split()
    command = [] if words[0] == "console" else [words[0]]
    argv = command + [str(files[w]) if w in files else w for w in words[1:]]
    before = snapshot(*files.values())
    option, target = words[-2], words[-1]
    refused(capsys, argv, option, str(files[target]), "input")
    assert snapshot(*files.values()) == before


def test_a_symlink_to_an_input_is_the_input(files, capsys, tmp_path):
    link = tmp_path / "link.jsonl"
    link.symlink_to(files["cluster"])
    before = snapshot(files["cluster"])
    refused(capsys, ["simulate", str(files["cluster"]), "--record", str(link)], "--record",
            str(link), "input")
    refused(capsys, ["drill", str(files["drill"]), "--junit", str(link)], "--junit", "input")
    assert snapshot(files["cluster"]) == before and link.is_symlink()


def test_an_input_given_through_a_symlinked_folder_is_still_the_input(files, capsys, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(tmp_path, target_is_directory=True)
    before = snapshot(files["recording"])
    refused(capsys, ["replay", str(alias / "run.jsonl"), "--cast", str(files["recording"])],
            "--cast", "input")
    assert snapshot(files["recording"]) == before


def test_a_hard_link_to_an_input_is_the_input(files, capsys, tmp_path):
    twin = tmp_path / "twin.toml"
    os.link(files["cluster"], twin)
    refused(capsys, ["simulate", str(files["cluster"]), "--record", str(twin)], "input")


def test_an_output_inside_the_clusters_trace_folder_is_refused(capsys, tmp_path):
    shutil.copy(SAMPLE_CLUSTERS / "planetlab.toml", tmp_path / "planetlab.toml")
    shutil.copytree(SAMPLE_CLUSTERS / "traces", tmp_path / "traces")
    before = sorted(p.name for p in (tmp_path / "traces").iterdir())
    refused(capsys, ["simulate", str(tmp_path / "planetlab.toml"), "--record",
                     str(tmp_path / "traces" / "run.jsonl")], "--record", "input folder")
    assert sorted(p.name for p in (tmp_path / "traces").iterdir()) == before


def test_two_outputs_naming_one_file_are_refused(files, capsys, tmp_path):
    out = tmp_path / "out.txt"
    refused(capsys, ["drill", str(files["drill"]), "--junit", str(out), "--report", str(out)],
            "--report", "--junit")
    assert not out.exists()


# -- a bad input changes nothing --------------------------------------------------------------


def test_a_bad_cluster_file_leaves_an_existing_recording_untouched(files, capsys, tmp_path):
    wrong = tmp_path / "wrongkey.toml"
    wrong.write_text(files["cluster"].read_text().replace('name = "seed"',
                                                          'name = "seed"\nnmae = "x"', 1))
    before = snapshot(files["existing"])
    refused(capsys, [str(wrong), "--record", str(files["existing"])], "nmae")
    refused(capsys, ["simulate", str(wrong), "--record", str(files["existing"])], "nmae")
    assert snapshot(files["existing"]) == before


@pytest.mark.parametrize("bad", [["--junit", "/nonexistent/x.xml"],
                                 ["--report", "/nonexistent/r.txt"],
                                 ["--report", "/nonexistent/r.txt", "--interactive"]])
def test_an_unwritable_output_is_refused_before_the_drill_runs(files, capsys, bad):
    before = snapshot(files["existing"])
    refused(capsys, ["drill", str(files["drill"]), *bad, "--record", str(files["existing"])],
            bad[0], bad[1], "no such folder")
    assert snapshot(files["existing"]) == before


def test_an_interactive_drills_default_report_is_checked_too(files, capsys):
    report = files["drill"].with_name("node-crash.report.txt")
    report.mkdir()  # a folder where the report would go
    refused(capsys, ["drill", str(files["drill"]), "--interactive"], "--report", str(report),
            "is a folder")


@pytest.mark.parametrize("option", ["--cast", "--svg"])
def test_replay_outputs_are_checked_before_replaying(files, capsys, tmp_path, option):
    blocker = tmp_path / "file"
    blocker.write_text(OLD)
    refused(capsys, ["replay", str(files["recording"]), option, str(blocker / "x")], option)
    assert blocker.read_text() == OLD


def test_an_svg_folder_holding_an_svg_input_is_refused(tmp_path):
    recording = tmp_path / "001-end.svg"
    recording.write_text(OLD)
    with pytest.raises(InputError, match=r"--svg .*holds the input"):
        check_output_folder(tmp_path, "--svg", [recording], ".svg")
    check_output_folder(tmp_path / "new" / "shots", "--svg", [recording], ".svg")
    assert not (tmp_path / "new").exists()


def test_checking_an_output_creates_and_truncates_nothing(tmp_path):
    existing = tmp_path / "out.jsonl"
    existing.write_text(OLD)
    before = snapshot(existing)
    check_output(existing, "--record", [])
    check_output(tmp_path / "new.jsonl", "--record", [])
    assert snapshot(existing) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]
    with pytest.raises(InputError, match=r"--record .*: cannot write: is a folder"):
        check_output(tmp_path, "--record", [])
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        check_output(fifo, "--record", [])


# -- atomic writing ---------------------------------------------------------------------------


def test_an_output_written_after_the_checks_replaces_the_old_file(files, tmp_path):
    assert main(["simulate", str(files["cluster"]), "--for", "10", "--record",
                 str(files["existing"])]) == 0
    assert load_recording(files["existing"]).end == 10.0
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(OLD)
    with pytest.raises(RuntimeError), AtomicOutput(path) as output:
        output.stream.write("half a rep")
        raise RuntimeError("crash")
    assert path.read_text() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]


def test_write_atomic_keeps_the_files_mode_and_writes_through_a_symlink(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(OLD)
    path.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(path)
    write_atomic(link, "new\n")
    assert link.is_symlink() and path.read_text() == "new\n"
    assert path.stat().st_mode & 0o777 == 0o640
    write_atomic(tmp_path / "junit.xml", b"<x/>\n")
    assert (tmp_path / "junit.xml").read_bytes() == b"<x/>\n"


def test_a_recording_is_in_place_after_its_header_and_replays_after_a_crash(tmp_path):
    """A session that dies mid-way (no close) leaves a valid recording of what it did."""
    path = tmp_path / "rec.jsonl"
    path.write_text(OLD)
    engine = Engine(load_cluster(SAMPLE_CLUSTERS / "seed.toml"), 0)
    recorder = Recorder(path, seed=0, cluster_file="seed.toml",
                        cluster=(SAMPLE_CLUSTERS / "seed.toml").read_text(),
                        created_by="console")
    assert path.read_text().startswith('{"format"')
    recorder.attach(engine)
    engine.submit_at(5.0, parse("fail-node B"))
    engine.run_until(20.0)
    recording = load_recording(path)  # the recorder is still open: the session "crashed"
    assert recording.end is None and [e.text for e in recording.entries] == ["fail-node B"]
    assert [p.name for p in tmp_path.iterdir()] == ["rec.jsonl"]
    recorder.close()
    assert load_recording(path).end == 20.0


def test_a_recorder_on_a_stream_leaves_the_stream_open():
    stream = io.StringIO()
    Recorder(stream, seed=0, cluster_file="c", cluster="", created_by="simulate").close(1.0)
    assert not stream.closed


def test_a_symlink_inside_the_svg_folder_is_replaced_not_followed(files, capsys, tmp_path):
    """`--svg out` where `out/001-end.svg` links to the recording: the link goes, the recording
    stays."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "001-end.svg").symlink_to(files["recording"])
    before = snapshot(files["recording"])
    assert main(["replay", str(files["recording"]), "--svg", str(out)]) == 0
    assert snapshot(files["recording"]) == before
    assert not (out / "001-end.svg").is_symlink()
    assert (out / "001-end.svg").read_text().startswith("<svg")


def test_a_cast_inside_the_svg_folder_is_refused(files, capsys, tmp_path):
    (tmp_path / "out").mkdir()
    refused(capsys, ["replay", str(files["recording"]), "--svg", str(tmp_path / "out"),
                     "--cast", str(tmp_path / "out" / "001-end.svg")], "--cast", "--svg")


@pytest.mark.parametrize("name", ["", "/dev/stdout", "/dev/null", "/proc/self/fd/1"])
def test_an_output_must_be_a_file_name(files, capsys, name):
    """`/dev/stdout` redirected to a file resolves to that file: a rename would replace it."""
    refused(capsys, ["simulate", str(files["cluster"]), "--for", "10", "--record", name],
            "--record")


@pytest.mark.parametrize("args", [["simulate", "{fifo}", "--for", "10"], ["validate", "{fifo}"]])
def test_a_fifo_as_an_input_is_refused_at_once(tmp_path, args):
    """A FIFO would block the reader (or be read empty the second time): refused unopened. In
    a child process with a time limit, so that a regression fails instead of hanging."""
    fifo = tmp_path / "cluster.toml"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "console",
                             *(a.format(fifo=fifo) for a in args)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(f"{fifo}: not a regular file")
    assert len(result.stderr.strip().splitlines()) == 1
