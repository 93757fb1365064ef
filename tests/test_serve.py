"""`cluster-console serve`: the command each browser's console runs, the checks before the server
starts (one line, exit status 2, no server), the warning when it listens beyond this machine,
and, in a process of its own, a server stopped while a browser's websocket is open: its console
is told to quit and ends, and the server's exit status is 128 + the signal.
(tests/test_serve_browser.py loads the page in a real browser.)"""

from __future__ import annotations

import asyncio
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import psutil
import pytest
from journal_helpers import journaled_session
from serve_helpers import STEP, consoles_of, end, first_line, free_port, start_server

from console.cli import main
from console.cli.serve import is_loopback
from console.cli.web import QUIT_WAIT
from console.errors import EXIT_BAD_INPUT
from console.formats.journal import JournalError, read_journal
from console.paths import DEFAULT_CLUSTER

BAD_CLUSTER = Path(__file__).parent / "bad_inputs" / "cluster" / "heartbeat-interval_s.toml"

@pytest.fixture
def served(monkeypatch, tmp_path):
    """Runs `serve` in-process with the server replaced: the shell command it was given, or
    None when it was not started. The user's config in an empty folder."""
    from console.cli.web import ConsoleServer

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    given: dict[str, str] = {}

    def serve_until_stopped(server: ConsoleServer) -> int:
        given["command"] = server.command
        return 0

    monkeypatch.setattr(ConsoleServer, "serve_until_stopped", serve_until_stopped)

    def run(*argv: str) -> tuple[int, list[str] | None]:
        status = main(["serve", "--port", str(free_port()), *argv])
        command = given.pop("command", None)
        return status, None if command is None else shlex.split(command)

    return run


def test_each_browser_runs_the_console_with_this_python(served, capsys):
    assert served() == (0, [sys.executable, "-m", "console"])
    out, err = capsys.readouterr()
    assert out == err == ""  # the ready line is the server's, once it listens


def test_the_cluster_and_the_console_options_are_passed_on(served, tmp_path):
    cluster = tmp_path / "my 'odd' cluster.toml"  # quoted for the shell, read back whole
    cluster.write_text(DEFAULT_CLUSTER.read_text(encoding="utf-8"), encoding="utf-8")
    status, command = served(str(cluster), "--seed", "7", "--speed", "2", "--paused",
                             "--theme", "light", "--read-only")
    assert status == 0
    assert command == [sys.executable, "-m", "console", str(cluster), "--seed", "7",
                       "--speed", "2.0", "--theme", "light", "--paused", "--read-only"]


def test_a_cluster_file_named_like_a_sub_command_stays_a_file(served, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "simulate").write_text(DEFAULT_CLUSTER.read_text(encoding="utf-8"),
                                       encoding="utf-8")
    assert served("simulate") == (0, [sys.executable, "-m", "console", "./simulate"])


@pytest.fixture
def journal(tmp_path) -> Path:
    """A journal of a short, ended session."""
    path = tmp_path / "session.journal"
    session, _ = journaled_session(path)
    session.close()
    return path


def test_a_follower_is_served_as_the_follow_sub_command(served, journal):
    assert served("--follow", str(journal)) == (
        0, [sys.executable, "-m", "console", "follow", str(journal)])
    assert served("--follow", str(journal), "--theme", "light") == (
        0, [sys.executable, "-m", "console", "follow", str(journal), "--theme", "light"])


@pytest.mark.parametrize(("content", "error"), [
    (b"", "not a cluster-console journal (an empty file)"),
    (b"[cluster]\n", "not a cluster-console journal (not an SQLite database)")])
def test_a_bad_journal_to_follow_is_one_line_and_no_server(served, capsys, tmp_path, content,
                                                          error):
    bad = tmp_path / "bad.journal"
    bad.write_bytes(content)
    assert served("--follow", str(bad)) == (EXIT_BAD_INPUT, None)
    assert capsys.readouterr() == ("", f"cluster-console: {bad}: {error}\n")
    assert bad.read_bytes() == content


@pytest.mark.parametrize(("argv", "error"), [
    (["nowhere.toml"], "nowhere.toml: cannot read: No such file or directory"),
    ([str(BAD_CLUSTER)], f"{BAD_CLUSTER}:24: heartbeat.interval_s: must be a number"),
    (["--port", "0"], "--port must be an integer from 1 to 65535, got '0'"),
    (["--port", "65536"], "--port must be an integer from 1 to 65535, got '65536'"),
    (["--port", "80x"], "--port must be an integer from 1 to 65535, got '80x'"),
    (["--follow", "nowhere.journal"], "nowhere.journal: no such journal"),
    ([str(DEFAULT_CLUSTER), "--follow", str(DEFAULT_CLUSTER)],
     f"give a cluster file or --follow JOURNAL, not both ({DEFAULT_CLUSTER} and --follow "
     f"{DEFAULT_CLUSTER})"),
    (["--follow", str(DEFAULT_CLUSTER), "--read-only"],
     "--read-only does not go with --follow (a follower shows the session as it is)"),
    (["--seed", "-1"], "--seed must be an integer from 0 to 4294967295, got '-1'"),
    (["--speed", "0"], "--speed must be above 0"),
    (["--theme", "nope"], "--theme: unknown theme 'nope'"),
    (["--host", "nowhere.invalid"], "--host nowhere.invalid: cannot resolve: "),
])
def test_bad_input_is_one_line_and_no_server(served, capsys, argv, error):
    assert served(*argv) == (EXIT_BAD_INPUT, None)
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"cluster-console: {error}")


def test_a_port_in_use_is_said_before_anything_starts(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == EXIT_BAD_INPUT
    assert capsys.readouterr() == (
        "", f"cluster-console: --port {port}: already in use on 127.0.0.1 (give another "
            "--port)\n")


@pytest.mark.parametrize(("host", "warned"), [
    ("127.0.0.1", False), ("localhost", False), ("0.0.0.0", True)])
def test_listening_beyond_this_machine_is_warned_about(served, capsys, journal, host, warned):
    assert served("--host", host)[0] == 0
    assert served("--host", host, "--follow", str(journal))[0] == 0
    err = capsys.readouterr().err
    if not warned:
        assert err == ""
        return
    port_words = "anyone who reaches port"
    console, follower = err.splitlines()
    assert console.startswith(f"cluster-console: warning: listening on {host}: {port_words}")
    assert console.endswith("can watch and act: every browser gets its own console, which "
                            "can change its model")
    assert follower.endswith(f"can watch the session {journal} records")


def test_loopback_hosts():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("example.org")


def test_a_console_that_does_not_quit_is_killed(monkeypatch):
    from textual_serve.download_manager import DownloadManager

    from console.cli import web

    monkeypatch.setattr(web, "QUIT_WAIT", 0.2)

    async def nothing(*_args: object) -> None:
        return None

    async def serve_and_stop() -> int | None:
        service = web.ConsoleService("exec sleep 60", write_bytes=nothing, write_str=nothing,
                                     close=nothing, download_manager=DownloadManager())
        await service.start(80, 24)
        await service.stop()
        return service.returncode

    assert asyncio.run(serve_and_stop()) == -signal.SIGKILL


def test_a_server_stopped_with_a_browser_connected_ends_its_console(tmp_path):
    port = free_port()
    server = start_server(port, tmp_path)
    try:
        assert first_line(server, time.monotonic() + STEP).startswith("serving the console at ")
        stopped, consoles = asyncio.run(
            asyncio.wait_for(_connect_and_stop(server, port), 3 * STEP))
        # within QUIT_WAIT: the websocket was closed, not waited on until aiohttp gives up
        left = max(0.0, stopped + QUIT_WAIT - time.monotonic())
        assert server.wait(timeout=left) == 128 + signal.SIGTERM
        # the server waited for its console: none left running, even for a moment
        assert not [console for console in consoles if console.is_running()]
        assert (server.stdout.read(), server.stderr.read()) == (b"", b"")
    finally:
        end(server)


async def _connect_and_stop(server: subprocess.Popen[bytes],
                            port: int) -> tuple[float, list[psutil.Process]]:
    """Ask for the page as another machine would (its addresses follow the Host asked for),
    open a console's websocket as the page does, wait for its screen, stop the server with
    SIGTERM while connected, and wait for the server to close the websocket. When SIGTERM was
    sent (`time.monotonic()`), and the console process."""
    address = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as client:
        async with client.get(address, headers={"Host": "console.example:8123"}) as page:
            assert 'data-session-websocket-url="ws://console.example:8123/ws"' in (
                await page.text())
        async with client.get(address, headers={"Host": 'bad"host'}) as page:
            assert f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in (
                await page.text())
        async with client.ws_connect(f"ws://127.0.0.1:{port}/ws?width=120&height=40") as ws:
            await _console_up(ws)
            consoles = consoles_of(server)
            assert len(consoles) == 1
            server.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            async for _message in ws:  # the server closes the websocket
                pass
    return stopped, consoles


def test_a_closed_page_ends_its_console_cleanly(tmp_path):
    port = free_port()
    server = start_server(port, tmp_path)
    try:
        assert first_line(server, time.monotonic() + STEP).startswith("serving the console at ")
        journal, consoles = asyncio.run(asyncio.wait_for(
            _open_and_close_a_page(server, port, tmp_path / "data"), STEP))
        psutil.wait_procs(consoles, timeout=QUIT_WAIT)  # the page closed: its console ends
        assert not [console for console in consoles if console.is_running()]
        assert read_journal(journal).ended  # the quit message ended it as q does
        assert server.poll() is None  # the server goes on for other pages
    finally:
        end(server)


async def _open_and_close_a_page(server: subprocess.Popen[bytes], port: int,
                                 data: Path) -> tuple[Path, list[psutil.Process]]:
    """Open a console's websocket as the page does, wait for its screen and its journal (in
    the data folder `data`), and close the page. The journal and the console process."""
    journals = data / "cluster-console" / "journals"
    address = f"ws://127.0.0.1:{port}/ws?width=120&height=40"
    async with aiohttp.ClientSession() as client, client.ws_connect(address) as ws:
        await _console_up(ws)
        consoles = consoles_of(server)
        made: list[Path] = []
        while not made:  # the journal is made just after the first frame, in a thread
            message = await ws.receive()  # the next repaint (the clock's, every second)
            assert message.type == aiohttp.WSMsgType.BINARY, message
            made = [path for path in journals.glob("*.journal") if _readable(path)]
    return made[0], consoles


def _readable(path: Path) -> bool:
    """`path` is a journal that reads (not one still being created)."""
    try:
        read_journal(path)
    except JournalError:
        return False
    return True


async def _console_up(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Read the console's output from its websocket until the seed cluster's VM exch01 is on
    screen: the console is up."""
    screen = b""
    while b"exch01" not in screen:
        message = await ws.receive()
        assert message.type == aiohttp.WSMsgType.BINARY, message
        screen += message.data
