"""The console as a process in a real terminal (a pseudo-terminal, tests/ui/terminal_helpers):
signals end it cleanly (recording with its end line, terminal modes restored, exit status
128 + the signal), ctrl+z suspends it and `fg` repaints it whole, and it refuses, in one line,
to start where it cannot draw. Every wait is on output or on the process, with a timeout."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from terminal_helpers import ALT_SCREEN, WAIT_S, Terminal

from console.cli.terminal import check_terminal
from console.errors import InputError
from console.paths import SAMPLE_CLUSTERS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals and signals")

ROOT = Path(__file__).resolve().parents[2]
NODE_CRASH = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"
HEIGHT = 40


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def recording_for(tmp_path: Path) -> Path:
    rec = tmp_path / "made.jsonl"
    subprocess.run([sys.executable, "-m", "console", "simulate", "--for", "120", "--do",
                    "30 fail-node B", "--record", str(rec)], cwd=ROOT, check=True,
                   capture_output=True, timeout=WAIT_S)
    return rec


def stop(terminal: Terminal, how: str) -> None:
    """End the program by `how`: a signal's name, or "hang-up" (the terminal closes)."""
    if how == "hang-up":
        terminal.hang_up()
    else:
        terminal.signal(getattr(signal, how))


# -- signals end every console mode cleanly ------------------------------------------------------


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "SIGINT", "hang-up"])
def test_a_signal_ends_the_console_with_the_recordings_end_line(tmp_path, how) -> None:
    rec = tmp_path / "session.jsonl"
    terminal = Terminal(["--paused", "--record", str(rec)], cwd=ROOT)
    try:
        terminal.wait_for("Cmd")  # the footer: the screen is up and takes keys
        since = len(terminal.output)
        terminal.send(":")  # keys typed before the command line has opened go to the panes
        terminal.wait_for("tab completes", since=since)
        terminal.send("fail-node B\r")
        terminal.wait_for("Done")
        commands = [line for line in lines(rec) if "command" in line]  # selections too
        assert commands[-1]["command"] == "fail-node B"  # flushed as it happened
        stop(terminal, how)
        status = terminal.wait()
    finally:
        terminal.kill()
    number = signal.SIGHUP if how == "hang-up" else getattr(signal, how)
    assert status == 128 + number
    assert lines(rec)[-1] == {"t": 0.0, "end": True}
    if how != "hang-up":  # a closed terminal shows nothing any more
        assert terminal.left_on() == []


@pytest.mark.parametrize("how", ["SIGTERM", "hang-up"])
def test_a_signal_ends_an_interactive_drill_and_its_recording(tmp_path, how) -> None:
    rec = tmp_path / "drill.jsonl"
    terminal = Terminal(["drill", str(NODE_CRASH), "--interactive", "--paused", "--record",
                         str(rec), "--report", str(tmp_path / "report.txt")], cwd=ROOT)
    try:
        terminal.wait_for("DRILL")
        stop(terminal, how)
        status = terminal.wait()
    finally:
        terminal.kill()
    assert status == 128 + (signal.SIGTERM if how == "SIGTERM" else signal.SIGHUP)
    assert lines(rec)[-1]["end"] is True
    assert not (tmp_path / "report.txt").exists()  # left before its end, as with q
    if how == "SIGTERM":
        assert terminal.left_on() == []


def test_sigterm_ends_a_replay_in_the_console(tmp_path) -> None:
    terminal = Terminal(["replay", str(recording_for(tmp_path)), "--paused"], cwd=ROOT)
    try:
        terminal.wait_for("REPLAY")
        terminal.signal(signal.SIGTERM)
        status = terminal.wait()
    finally:
        terminal.kill()
    assert status == 128 + signal.SIGTERM
    assert terminal.left_on() == []


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_a_cast_export_and_leaves_no_half_file(tmp_path, number) -> None:
    day = tmp_path / "day.jsonl"  # a day of frames: the export is still running when signalled
    subprocess.run([sys.executable, "-m", "console", "simulate", "--for", "86400", "--do",
                    "60 fail-node B", "--record", str(day)], cwd=ROOT, check=True,
                   capture_output=True, timeout=WAIT_S)
    out = tmp_path / "out"
    out.mkdir()
    export = subprocess.Popen([sys.executable, "-m", "console", "replay", str(day), "--cast",
                               str(out / "day.cast"), "--svg", str(out / "shots")], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + WAIT_S
        while not list(out.iterdir()):  # the cast's temporary file: the export has begun
            assert time.monotonic() < deadline
            with pytest.raises(subprocess.TimeoutExpired):  # still running, meanwhile
                export.wait(0.05)
        export.send_signal(number)
        _, errors = export.communicate(timeout=WAIT_S)  # read meanwhile: a full pipe blocks
        assert export.returncode == 128 + number
    finally:
        if export.poll() is None:
            export.kill()
    assert errors == ""
    assert list(out.iterdir()) == []  # no half cast, and no --svg folder made for nothing


# -- suspend and resume ------------------------------------------------------------------------


def process_state(pid: int) -> str:
    """The kernel's one-letter state of process `pid` (T: stopped)."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


def wait_stopped(terminal: Terminal) -> None:
    deadline = time.monotonic() + WAIT_S
    while process_state(terminal.process.pid) != "T":
        assert time.monotonic() < deadline, "the console did not stop"
        terminal.read(0.1)


def rows_painted(terminal: Terminal, since: int) -> set[int]:
    """The screen rows the program moved the cursor to after output offset `since`."""
    return {int(row) for row in re.findall(r"\x1b\[(\d+);\d+H", terminal.output[since:])}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("suspend", ["ctrl+z", "SIGTSTP"])
def test_suspended_and_resumed_the_console_repaints_every_line(suspend) -> None:
    terminal = Terminal(["--paused"], cwd=ROOT, height=HEIGHT)
    try:
        terminal.wait_for("quorum|heard")  # the header is painted
        for _ in range(3):  # the second resume used to repaint 2 or 3 lines of 40
            if suspend == "ctrl+z":
                terminal.send("\x1a")
            else:
                terminal.signal(signal.SIGTSTP)
            wait_stopped(terminal)
            since = len(terminal.output)
            terminal.signal(signal.SIGCONT)  # what the shell's `fg` sends
            deadline = time.monotonic() + WAIT_S
            while len(rows_painted(terminal, since)) < HEIGHT:
                assert time.monotonic() < deadline, \
                    f"repainted rows {sorted(rows_painted(terminal, since))} of {HEIGHT}"
                terminal.read(0.1)
        terminal.send("q")
        assert terminal.wait() == 0
    finally:
        terminal.kill()


# -- quitting while a big cluster loads ---------------------------------------------------------

# The console on a cluster file whose loading never ends: leaving must not wait for it.
ENDLESS_LOAD = """
import sys, threading
from console.sources.sim import SimSource
SimSource.build = lambda self: threading.Event().wait()
from console.cli import main
sys.exit(main(sys.argv[1:]))
"""


def big_file(tmp_path: Path) -> Path:
    """The seed cluster, padded past the size that loads behind the loading screen."""
    from console.ui.launch import ASYNC_LOAD_BYTES

    path = tmp_path / "big.toml"
    padding = "# padding\n" * (ASYNC_LOAD_BYTES // 10 + 1)
    path.write_text((SAMPLE_CLUSTERS / "seed.toml").read_text() + padding)
    return path


#: A short file whose placement takes about a minute (500 nodes x 8,000 VMs to place): it used
#: to be built before the screen opened, q echoed and ignored, because its file is small.
CROWDED = """[cluster]
name = "crowded"

[[nodes]]
name = "n"
count = 500
hypervisor = "esxi"
cpus = 2
cores_per_cpu = 16
memory_gb = 512

[[vms]]
name = "v"
count = 8000
guest_os = "windows2008"
vcpus = 2
memory_gb = 8
"""


def crowded_recording(tmp_path: Path) -> Path:
    """A recording of the crowded cluster (written directly: building it takes a minute)."""
    from console.formats.recording import Recorder

    path = tmp_path / "crowded.jsonl"
    Recorder(path, seed=0, cluster_file="crowded.toml", cluster=CROWDED,
             created_by="console").close(0.0)
    return path


def loading(kind: str, tmp_path: Path) -> list[str]:
    """The arguments of a console on a cluster that takes long to load, of `kind`."""
    if kind == "endless":  # a big file whose load never ends
        return ["-c", ENDLESS_LOAD, str(big_file(tmp_path))]
    if kind == "crowded":  # a small file with a placement of a minute: the real path
        path = tmp_path / "crowded.toml"
        path.write_text(CROWDED)
        return ["-m", "console", str(path)]
    if kind == "drill":
        (tmp_path / "crowded.toml").write_text(CROWDED)
        path = tmp_path / "crowded-drill.toml"
        path.write_text('[drill]\nname = "crowded"\ncluster = "crowded.toml"\n'
                        'duration_s = 60\n\n[[steps]]\nat = 30\ndo = "fail-node n01"\n\n'
                        '[[expect]]\nthat = "event node_failed for n01 within 30 s after step 1"\n')
        return ["-m", "console", "drill", str(path), "--interactive", "--report",
                str(tmp_path / "report.txt")]
    return ["-m", "console", "replay", str(crowded_recording(tmp_path))]


@pytest.mark.parametrize("kind", ["endless", "crowded", "drill", "replay"])
@pytest.mark.parametrize("key", ["q", "\x03"])
def test_q_or_ctrl_c_on_the_loading_screen_quits_without_waiting_for_the_load(
        tmp_path, key, kind) -> None:
    rec = tmp_path / "rec.jsonl"
    record = [] if kind == "replay" else ["--record", str(rec)]
    terminal = Terminal([*loading(kind, tmp_path), *record], cwd=ROOT, module=False)
    try:
        terminal.wait_for("loading the cluster file")  # before: only once the crowded one
        terminal.send(key)                             # had loaded, a minute later
        # before: never, the exit joined the loading thread; a drill left early fails (1)
        assert terminal.wait() == (1 if kind == "drill" else 0)  # q and ctrl+c alike
    finally:
        terminal.kill()
    assert terminal.left_on() == []
    assert not rec.exists()  # quit before the cluster was there: nothing recorded
    if kind == "drill":
        assert "left while its cluster was loading: no report" in terminal.output
        assert not (tmp_path / "report.txt").exists()


def test_a_problem_only_the_background_build_finds_is_one_line_after_the_screen(
        tmp_path) -> None:
    path = tmp_path / "full.toml"  # 100 nodes x 820 VMs to place: the 801st finds no room
    path.write_text(CROWDED.replace("count = 500", "count = 100")
                    .replace("memory_gb = 512", "memory_gb = 64")
                    .replace("count = 8000", "count = 820"))
    terminal = Terminal([str(path)], cwd=ROOT)
    try:
        terminal.wait_for("loading the cluster file")
        assert terminal.wait() == 2
    finally:
        terminal.kill()
    assert terminal.left_on() == []
    after = terminal.output[terminal.output.rfind(ALT_SCREEN[1]):]
    assert re.search(r"\x1b\[[0-9;?]*[a-zA-Z]cluster-console: .*full\.toml:12: vms\[0\]: no host "
                     r"can take v801: no room: [^\r\n]*\r\n$", after), after


def test_a_big_cluster_loads_behind_the_loading_screen_and_records(tmp_path) -> None:
    rec = tmp_path / "rec.jsonl"
    terminal = Terminal([str(big_file(tmp_path)), "--paused", "--record", str(rec)], cwd=ROOT)
    try:
        terminal.wait_for("quorum|heard")  # the header is painted
        terminal.send("q")
        assert terminal.wait() == 0
    finally:
        terminal.kill()
    assert lines(rec)[-1] == {"t": 0.0, "end": True}


# -- where the console cannot draw -------------------------------------------------------------


CONSOLE_MODES = {
    "console": [],
    "drill": ["drill", str(NODE_CRASH), "--interactive"],
    "replay": ["replay", "RECORDING"],
}


def run_without_a_terminal(argv: list[str], *, stdin: object, stdout: object,
                           env: dict[str, str]) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", "console", *argv], stdin=stdin,
                            stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT, env=env,
                            timeout=WAIT_S, text=True)
    return result.returncode, result.stderr


@pytest.mark.parametrize("mode", CONSOLE_MODES)
@pytest.mark.parametrize("where", ["stdin /dev/null", "stdout a pipe", "TERM=dumb"])
def test_without_a_terminal_the_console_says_what_it_needs(tmp_path, mode, where) -> None:
    import os
    import pty

    argv = [recording_for(tmp_path).as_posix() if a == "RECORDING" else a
            for a in CONSOLE_MODES[mode]]
    if mode != "replay":
        argv += ["--record", str(tmp_path / "rec.jsonl")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    env["TERM"] = "dumb" if where == "TERM=dumb" else "xterm-256color"
    master, slave = pty.openpty()
    try:
        stdin = subprocess.DEVNULL if where == "stdin /dev/null" else slave
        stdout = subprocess.PIPE if where == "stdout a pipe" else slave
        status, error = run_without_a_terminal(argv, stdin=stdin, stdout=stdout, env=env)
    finally:
        os.close(master)
        os.close(slave)
    assert status == 2
    assert error.count("\n") == 1 and "Traceback" not in error, error
    assert "needs a terminal" in error and "--headless" in error
    assert ("TERM=dumb" in error) == (where == "TERM=dumb")
    assert not (tmp_path / "rec.jsonl").exists()  # nothing written


def test_textuals_own_drivers_are_not_refused(monkeypatch) -> None:
    """textual-serve runs the console through a pipe with TEXTUAL_DRIVER set (and tests pick a
    driver the same way): no terminal is asked for then."""
    monkeypatch.setenv("TERM", "dumb")
    with pytest.raises(InputError):
        check_terminal("the console")
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    check_terminal("the console")
    monkeypatch.delenv("TEXTUAL_DRIVER")
    monkeypatch.setenv("TEXTUAL", "debug,headless")
    check_terminal("the console")


def test_the_drivers_output_outlives_its_terminal() -> None:
    """A write to a terminal that went away fails (EIO); Textual's writer thread died of it
    and the way out blocked on its full queue. Every later write is dropped instead."""
    from console.ui.driver import OutlivingFile

    class HungUp:
        writes = 0

        def write(self, text: str) -> None:
            self.writes += 1
            raise OSError(5, "Input/output error")

        def flush(self) -> None:
            raise OSError(5, "Input/output error")

    terminal = HungUp()
    output = OutlivingFile(terminal)  # type: ignore[arg-type]
    output.write("\x1b[?1049l")
    output.flush()
    output.write("more")
    assert output.gone and terminal.writes == 1


def test_the_console_runs_through_a_pipe_under_textual_serves_driver() -> None:
    """How textual-serve runs it (a pipe each way, TEXTUAL_DRIVER naming the web driver): not
    refused, it draws; and SIGTERM ends it with status 143."""
    import os
    import select

    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    env["TEXTUAL_DRIVER"] = "textual.drivers.web_driver:WebDriver"
    console = subprocess.Popen([sys.executable, "-m", "console", "--paused"], cwd=ROOT, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert console.stdout is not None
    try:
        seen = b""
        deadline = time.monotonic() + WAIT_S
        while b"quorum" not in seen and b"heard" not in seen:  # the header
            assert time.monotonic() < deadline and console.poll() is None, seen[-300:]
            ready, _, _ = select.select([console.stdout], [], [], 0.2)
            if ready:
                seen += os.read(console.stdout.fileno(), 65536)
        console.send_signal(signal.SIGTERM)
        status = console.wait(WAIT_S)
    finally:
        if console.poll() is None:
            console.kill()
        assert console.stdin is not None
        console.stdin.close()
    assert status == 128 + signal.SIGTERM
