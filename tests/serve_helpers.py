"""What the tests of `cluster-console serve` share: a free port, the server started in a process
of its own (the user's folders in a temporary one), its console processes."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent

#: Seconds each step of a served session may take on a busy machine.
STEP = 15.0


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, folder: Path) -> subprocess.Popen[bytes]:
    """`python -m console serve --port PORT` from the checkout, its config, data and state
    folders in `folder`, its output piped."""
    environment = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config"),
                   "XDG_DATA_HOME": str(folder / "data"), "XDG_STATE_HOME": str(folder)}
    return subprocess.Popen([sys.executable, "-m", "console", "serve", "--port", str(port)],
                            cwd=ROOT, env=environment, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def first_line(server: subprocess.Popen[bytes], deadline: float) -> str:
    """The first line of the server's output, read as it comes until `deadline` at most."""
    assert server.stdout is not None
    line = b""
    while not line.endswith(b"\n"):
        ready, _, _ = select.select([server.stdout], [], [],
                                    max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no line in time (so far {line!r})")
        byte = os.read(server.stdout.fileno(), 1)
        if not byte:
            break
        line += byte
    return line.decode()


def consoles_of(server: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The server's console processes (`python -m console` run for a browser)."""
    found = []
    for child in psutil.Process(server.pid).children(recursive=True):
        try:
            if "console" in child.cmdline():
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def end(server: subprocess.Popen[bytes]) -> None:
    """Kill the server if it still runs, and close its pipes."""
    if server.poll() is None:
        server.kill()
        server.wait()
    for stream in (server.stdout, server.stderr):
        if stream is not None:
            stream.close()
