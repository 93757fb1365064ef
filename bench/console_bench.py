"""Benchmark the console over a 120x40 pseudo-terminal, beside glances, htop and a bare Textual app.

    python bench/console_bench.py                      # everything (about 12 minutes today)
    python bench/console_bench.py --skip-big           # the seed cluster only
    python bench/console_bench.py --skip-seed          # the 2,000-host / 40,000-VM cluster only
    python bench/console_bench.py --skip-seed --start-only   # its start only (first full frame)
    python bench/console_bench.py --json               # the raw figures as JSON
    python bench/console_bench.py --out /tmp/c.json    # the table, and the raw figures to a file

The console is started as `python -m console` with this checkout first on the path (its folder
the working directory and PYTHONPATH), whichever folder the script is run from, and the package
it imports is printed. Its bytecode is cached like an installed program's: written to a folder of
the run (PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE unset) by one unmeasured start before the
measured ones, since `pip install` compiles at install while a checkout may hold no .pyc files.
The first *full* frame is the end of the frame that shows the footer's last key label (the
footer used to be drawn some frames after the panes; it now comes with them).

Part 1, seed cluster. The pty meter kept beside the repository (METER) measures, in one
run and in the same way, the console, `glances -t 1` (run by this interpreter, as the console
is; installed with pip if missing), `htop -d 10` (installed with the system's package manager if
missing and allowed) and a bare Textual app showing one label (a script written to a temporary
folder), run by run each in turn: first frame (end of the first output burst), bytes/s, CPU % of
one core and peak RSS over a window after a warm-up (WARMUP_S); medians over the runs.
Goals (issue 12): the console's first frame no slower than glances', its CPU no more than
htop's. Then the console again under this script's own pty driver: the first *full* frame (the
main screen drawn), the key-to-repaint latency at rest, and the same over a crash (`fail-node B`).

Part 2, 2,000 hosts / 40,000 VMs: a cluster file written out flat (one `[[vms]]` per VM, half of
them without a host; `benchlib.flat_cluster_text`). One console session: the loading screen and
the first full frame (the main screen), the steady CPU and bytes/s over a window without keys,
the peak RSS of the session, and the key-to-repaint latency over a churn episode: `:fail-node
h0007`, 30 simulated seconds later `:maintenance h0013 on`, for --episode simulated seconds and
on until the events say `h0013 is in maintenance` (the evacuation done; at most 3 x --episode).
Goals: first full frame at most 1.5 s, CPU at most 3 %, RSS at most 300 MB, every key at most
50 ms.

Key-to-repaint: in the Nodes pane `j` and `k` alternate between the first two nodes, so the VMs
pane's subtitle must change to `on <node>`. The terminal answers Textual's query for
synchronized output, so each frame ends with a known sequence. A key's latency runs from the
write of the key to the end of the frame that shows the VMs pane's new subtitle (the whole
repaint it causes: the goal), and, beside it, to the end of the first frame after the key (the
cursor moved; the VMs pane follows in a later frame). A key is pressed every --key-interval
seconds, or as soon as the last one is answered if that took longer. Max, p99, median and count
are reported; a key unanswered within --key-timeout counts as that long, and the driver puts
the cursor back on the first node before it goes on.

Prints the machine, a table per part with the goal and a verdict per figure ("over budget" when
a figure misses it); never part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from benchlib import flat_cluster_text, flat_host_name, machine

ROOT = Path(__file__).resolve().parent.parent
METER = ROOT.parent / "shared" / "tools" / "ptymeter.py"  # the pty meter beside the repository
COLS, ROWS = 120, 40
CONSOLE = [sys.executable, "-m", "console"]

#: Seconds before a steady window. The console's start is not steady for its first ~20 s: its
#: heartbeat strips fill, a slot a second, from blank (before the start nothing was heard), so
#: every second of those repaints a strip. (With 8 s, the window held 11 s of filling.)
WARMUP_S = 25.0

# Goals of issue 12.
BIG_FIRST_FRAME_S = 1.5
BIG_CPU_PCT = 3.0
BIG_RSS_MB = 300.0
KEY_MS = 50.0
SLOWEST_SHOWN = 6  # the slowest keys of a stretch listed with their times

# The footer's last key label. Read from the frames at 120x40: the panes (`1 Nodes` .. `6 Events`)
# come in the first frame and the footer used to come some frames later, so the main screen is
# complete only at the end of the frame that shows this.
MAIN_SCREEN = b"Pause"
LOADING_SCREEN = b"loading the cluster file"
SYNC_END = b"\x1b[?2026l"                      # end of a synchronized frame

BARE_TEXTUAL = '''\
from textual.app import App, ComposeResult
from textual.widgets import Label


class OneLabel(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Label("one label")


OneLabel().run()
'''


def console_env(cache: Path) -> dict[str, str]:
    """The environment the console runs in: this checkout first on the path, and its bytecode
    written to and read from `cache` (PYTHONPYCACHEPREFIX; PYTHONDONTWRITEBYTECODE removed), so
    that after one unmeasured start it starts from compiled files, as a `pip install`ed program
    does (pip compiles at install). Without this, a checkout without .pyc files compiles about
    a hundred modules at every start."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    return env


def console_code(env: dict[str, str]) -> str:
    """Where the console the bench starts is imported from, and the checkout's commit: the
    code measured is this checkout's, not an installed copy."""
    where = subprocess.run([sys.executable, "-c", "import console; print(console.__file__)"],
                           cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                            capture_output=True, text=True, check=False)
    package = Path(where.stdout.strip()).parent if where.returncode == 0 else "not importable"
    return f"{package} (commit {commit.stdout.strip() or 'unknown'})"


def warm_start(cmd: list[str], env: dict[str, str], timeout: float) -> float | None:
    """Start `cmd` once, unmeasured, until its main screen has shown and 2 s more (modules
    imported after the first frame are compiled too), then quit it: this fills the bytecode
    cache of `console_env`. The seconds to the main screen, None if not within `timeout`."""
    child = Pty(cmd, env)
    try:
        full = child.read_until(full_frame, timeout)
        if full is not None:
            child.drain(2.0)
        return None if full is None else full - child.started
    finally:
        child.close()


def full_frame(buffer: bytes) -> bool:
    """Whether `buffer` holds the end of a frame showing the complete main screen."""
    at = buffer.find(MAIN_SCREEN)
    return at >= 0 and SYNC_END in buffer[at:]


def meter(cmd: list[str], label: str, runs: int, window: float, warmup: float,
          env: dict[str, str] | None = None) -> dict:
    """The JSON the meter writes for `cmd` run in `env` (this process's environment when None);
    {} if it failed or took over 10 minutes."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    args = [sys.executable, str(METER), "--size", f"{COLS}x{ROWS}", "--runs", str(runs),
            "--warmup", str(warmup), "--window", str(window), "--label", label,
            "--out", str(out), "--", *cmd]
    try:
        subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False, timeout=600)
        return json.loads(out.read_text())
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}
    finally:
        out.unlink(missing_ok=True)


def median(data: dict, key: str) -> float | None:
    """The median over the meter's runs of `key`, None when no run measured it."""
    summary = data.get("summary") or {}
    if key in summary and isinstance(summary[key], dict):
        return summary[key].get("median")
    values = [r[key] for r in data.get("runs") or [] if r.get(key) is not None]
    return statistics.median(values) if values else None


def glances_command() -> tuple[list[str] | None, str]:
    """`glances -t 1` run as the console is, by this interpreter (`python -m glances`): a
    launcher in between (a pyenv shim, ~50 ms) would be measured as glances' start. Installed
    with pip when missing; (None, why) when it cannot be had."""
    def importable() -> bool:
        return subprocess.run([sys.executable, "-c", "import glances"], capture_output=True,
                              check=False).returncode == 0

    if not importable():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "glances"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    if not importable():
        return None, "pip could not install glances"
    return [sys.executable, "-m", "glances", "-t", "1"], ""


def htop_command() -> tuple[list[str] | None, str]:
    """`htop -d 10`, installed with apt-get when missing and running as root; (None, why)."""
    if shutil.which("htop") is None:
        if shutil.which("apt-get") is None:
            return None, "htop is not installed and there is no apt-get to install it"
        if os.geteuid() != 0:
            return None, "htop is not installed (apt-get install htop needs root)"
        subprocess.run(["apt-get", "install", "-y", "-q", "htop"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    htop = shutil.which("htop")
    return ([htop, "-d", "10"], "") if htop else (None, "apt-get could not install htop")


class Pty:
    """A child in a COLSxROWS pty, started in ROOT with `env`, whose output is drained,
    timestamped and counted, and whose process tree's peak RSS is sampled while it is read."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            child_env = {**env, "TERM": "xterm-256color", "COLUMNS": str(COLS),
                         "LINES": str(ROWS)}
            os.chdir(ROOT)
            os.execvpe(cmd[0], cmd, child_env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.started = time.monotonic()
        self.buffer = b""
        self.total_bytes = 0
        self.first_byte: float | None = None
        self.peak_rss = 0
        self._sampled = 0.0
        self._tail = b""
        self.seen: dict[bytes, float | None] = {}  # text to watch for -> when it first came

    def _read(self, wait: float) -> bool:
        """Read what is there within `wait` seconds; False when nothing came."""
        self.sample_rss()
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            raise EOFError from None
        if self.first_byte is None:
            self.first_byte = time.monotonic()
        self._answer(chunk)
        self.buffer += chunk
        self.total_bytes += len(chunk)
        stream, self._tail = self._tail + chunk, chunk[-256:]
        for text, when in self.seen.items():
            if when is None and text in stream:
                self.seen[text] = time.monotonic()
        return True

    def read_until(self, predicate: Callable[[bytes], bool], timeout: float,
                   quiet: float = 0.0) -> float | None:
        """Read until predicate(buffer) holds, then until `quiet` seconds without output;
        return the monotonic time of the last byte read (now, when the buffer satisfies the
        predicate already and `quiet` is 0), or None on timeout or exit."""
        deadline = time.monotonic() + timeout
        last = time.monotonic()
        satisfied = predicate(self.buffer)
        if satisfied and quiet == 0:
            return last
        with contextlib.suppress(EOFError):
            while time.monotonic() < deadline:
                if not self._read(quiet if satisfied else 0.05):
                    if satisfied:
                        return last
                    continue
                last = time.monotonic()
                if not satisfied and predicate(self.buffer):
                    satisfied = True
                    if quiet == 0:
                        return last
        return last if satisfied else None

    def _answer(self, chunk: bytes) -> None:
        """Answer the terminal queries Textual sends, as a terminal would: device attributes,
        cursor position, and synchronized output (mode 2026) supported."""
        if b"\x1b[c" in chunk:
            os.write(self.fd, b"\x1b[?62;22c")
        if b"\x1b[6n" in chunk:
            os.write(self.fd, b"\x1b[1;1R")
        if b"\x1b[?2026$p" in chunk:
            os.write(self.fd, b"\x1b[?2026;2$y")

    def drain(self, seconds: float) -> None:
        """Read and drop output for `seconds`."""
        end = time.monotonic() + seconds
        with contextlib.suppress(EOFError):
            while time.monotonic() < end:
                self._read(min(0.05, max(0.0, end - time.monotonic())))
        self.buffer = b""

    def send(self, keys: bytes) -> float:
        """Write keys, forget the output so far; the monotonic time of the write."""
        self.buffer = b""
        os.write(self.fd, keys)
        return time.monotonic()

    def tree(self) -> list[psutil.Process]:
        """The child and its descendants ([] once it has gone)."""
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the process tree so far."""
        total = 0.0
        for proc in self.tree():
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def sample_rss(self) -> None:
        """Note the tree's RSS (at most every 0.25 s) into `peak_rss`."""
        now = time.monotonic()
        if now - self._sampled < 0.25:
            return
        self._sampled = now
        rss = 0
        for proc in self.tree():
            with contextlib.suppress(psutil.Error):
                rss += proc.memory_info().rss
        self.peak_rss = max(self.peak_rss, rss)

    def close(self) -> None:
        """`q`, then SIGTERM, then SIGKILL: the child is gone when this returns."""
        with contextlib.suppress(OSError):
            os.write(self.fd, b"q")
        for sig in (signal.SIGTERM, signal.SIGKILL):
            end = time.monotonic() + 3
            while time.monotonic() < end:
                with contextlib.suppress(OSError, EOFError):
                    self._read(0.05)
                with contextlib.suppress(ChildProcessError):
                    if os.waitpid(self.pid, os.WNOHANG)[0]:
                        os.close(self.fd)
                        return
            with contextlib.suppress(OSError):
                os.kill(self.pid, sig)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def spread(data: list[float]) -> dict:
    """max, p99, median of `data` (ms), None for each when it is empty."""
    data = sorted(data)
    if not data:
        return {"max_ms": None, "p99_ms": None, "median_ms": None}
    p99 = data[min(len(data) - 1, round(0.99 * (len(data) - 1)))]
    return {"max_ms": data[-1], "p99_ms": p99, "median_ms": statistics.median(data)}


@dataclass
class Keys:
    """Key-to-repaint latencies (ms) of one stretch of a session: to the end of the whole
    repaint the key causes (`latencies`), and to the end of its first frame (`first`)."""

    latencies: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    at: list[float] = field(default_factory=list)   # when each key was pressed, s from the start
    commands: list[tuple[str, float, float | None]] = field(default_factory=list)  # line, at, took
    timeouts: int = 0
    timeout_s: float = 0.0
    seconds: float = 0.0            # real seconds the keys were pressed for
    until: str = ""                 # the text that ends the episode
    until_s: float | None = None    # when it came, in real seconds from the start
    started: float = 0.0            # time.monotonic() at the start (the stall probe's clock)
    note: str = ""

    def summary(self) -> dict:
        """max, p99, median (ms) of the whole repaint, the same of the first frame under
        `first_frame`, the count of keys, of those unanswered in time, a note, and every key
        as [s from the start, ms of the whole repaint, ms of the first frame] under `keys`."""
        worst = self.at[self.latencies.index(max(self.latencies))] if self.latencies else None
        return {**spread(self.latencies), "worst_at_s": worst, "first_frame": spread(self.first),
                "count": len(self.latencies), "timeouts": self.timeouts,
                "timeout_s": self.timeout_s, "seconds": self.seconds, "until": self.until,
                "until_s": self.until_s, "commands": self.commands, "note": self.note,
                "started_monotonic": self.started,
                "keys": [[round(at, 3), round(whole, 1), round(first, 1)]
                         for at, whole, first in zip(self.at, self.latencies, self.first,
                                                     strict=True)]}


class KeyDriver:
    """Presses `j`/`k` in the Nodes pane, moving between its first two nodes, and times each
    key to the end of the frame in which the VMs pane says `on <node>`."""

    def __init__(self, child: Pty, first: str, second: str, timeout: float,
                 speed: float) -> None:
        self.child = child
        self.clock = f"x{speed:g}\x1b".encode()  # the header's clock running (not HELD)
        self.markers = {b"j": f"on {second} \u00b7".encode(), b"k": f"on {first} \u00b7".encode()}
        self.timeout = timeout
        self.next_key = b"j"

    def home(self) -> bool:
        """Put the cursor on the first node (`g`, then `j` and `k` answered); False when the
        console did not show them within the timeout."""
        self.child.send(b"g")
        self.child.drain(0.5)
        self.next_key = b"j"
        return self.press() is not None and self.press() is not None

    def press(self) -> tuple[float, float] | None:
        """Press the next key; (ms to the end of its first frame, ms to the end of the frame
        showing the new node's VMs), None when unanswered within the timeout."""
        key = self.next_key
        marker = self.markers[key]
        sent = self.child.send(key)
        first = self.child.read_until(lambda b: SYNC_END in b or marker in b, self.timeout)
        seen = self.child.read_until(lambda b: marker in b, self.timeout)
        if first is None or seen is None:
            return None
        self.next_key = b"k" if key == b"j" else b"j"
        end = self.child.read_until(lambda b: SYNC_END in b[b.index(marker):], 1.0) or seen
        return 1000 * (min(first, end) - sent), 1000 * (end - sent)

    def run(self, seconds: float, interval: float,
            commands: Sequence[tuple[float, str]] = (), until: bytes = b"") -> Keys:
        """Keys every `interval` s for `seconds`, and on until the text `until` has come (for
        at most twice as long again); `commands` (at seconds from the start) are typed on the
        `:` command line on the way."""
        start = time.monotonic()
        keys = Keys(timeout_s=self.timeout, started=start)
        pending = sorted(commands)
        if until:
            self.child.seen[until] = None

        def going() -> bool:
            elapsed = time.monotonic() - start
            if elapsed < seconds:
                return True
            return bool(until) and self.child.seen[until] is None and elapsed < 3 * seconds

        while going():
            if pending and time.monotonic() - start >= pending[0][0]:
                _, line = pending.pop(0)
                keys.commands.append((line, time.monotonic() - start, self.command(line)))
                continue
            before = time.monotonic()
            latency = self.press()
            keys.at.append(before - start)
            if latency is None:
                keys.timeouts += 1
                keys.first.append(1000 * self.timeout)
                keys.latencies.append(1000 * self.timeout)
                self.child.drain(1.0)
                if not self.home():
                    keys.note = "the console stopped answering keys"
                    break
                continue
            keys.first.append(latency[0])
            keys.latencies.append(latency[1])
            self.child.drain(max(0.0, interval - (time.monotonic() - before)))
        keys.seconds = time.monotonic() - start
        if until:
            when = self.child.seen[until]
            keys.until = until.decode()
            keys.until_s = None if when is None else when - start
        return keys

    def command(self, line: str) -> float | None:
        """Type `line` on the `:` command line and run it; the seconds from `enter` to the
        header's clock running again (the command line closed: while it is open the header
        says HELD), None if not within 3 timeouts."""
        self.child.send(b":")
        self.child.read_until(lambda b: b"HELD" in b, self.timeout, quiet=0.3)
        sent = self.child.send(line.encode() + b"\r")
        back = self.child.read_until(lambda b: self.clock in b, 3 * self.timeout)
        return None if back is None else back - sent


@dataclass
class Session:
    """What one console session measured."""

    first_byte_s: float | None = None
    loading_screen_s: float | None = None
    first_full_frame_s: float | None = None
    first_full_frame_cpu_s: float | None = None  # CPU seconds of the console by then
    no_main_screen_after_s: float | None = None   # the load timeout, when it ran out
    cpu_pct: float | None = None
    bytes_per_s: float | None = None
    peak_rss_mb: float | None = None
    idle_keys: dict = field(default_factory=dict)
    churn_keys: dict = field(default_factory=dict)
    note: str = ""


def console_session(cmd: list[str], env: dict[str, str], first: str, second: str,
                    args: argparse.Namespace, commands: list[tuple[float, str]],
                    load_timeout: float, until: bytes = b"") -> Session:
    """Start the console in `env`, wait for the main screen, measure a quiet window, keys at
    rest, then keys through the commands' episode (args.episode / args.speed real seconds, and
    on until the text `until` has come, if given)."""
    child = Pty([*cmd, "--speed", str(args.speed)], env)
    result = Session()
    try:
        shown = child.read_until(lambda b: LOADING_SCREEN in b or MAIN_SCREEN in b,
                                 timeout=load_timeout)
        if child.first_byte is not None:
            result.first_byte_s = child.first_byte - child.started
        if shown is not None and MAIN_SCREEN not in child.buffer:
            result.loading_screen_s = shown - child.started
        left = load_timeout - (time.monotonic() - child.started)
        full = child.read_until(full_frame, timeout=left)
        if full is None:
            result.no_main_screen_after_s = load_timeout
            result.note = (f"no main screen within {load_timeout:.0f} s (--load-timeout): "
                           "nothing else measured")
            return result
        result.first_full_frame_s = full - child.started
        result.first_full_frame_cpu_s = child.cpu_seconds()
        if args.start_only:
            return result
        child.drain(args.warmup)
        cpu_before, bytes_before, at = child.cpu_seconds(), child.total_bytes, time.monotonic()
        child.drain(args.window)
        elapsed = time.monotonic() - at
        result.cpu_pct = 100 * (child.cpu_seconds() - cpu_before) / elapsed
        result.bytes_per_s = (child.total_bytes - bytes_before) / elapsed
        driver = KeyDriver(child, first, second, args.key_timeout, args.speed)
        if not driver.home():
            result.note = "the console did not show the first node's VMs after `g`"
            return result
        result.idle_keys = driver.run(3.0, args.key_interval).summary()
        driver.home()
        real = args.episode / args.speed
        timed = [(t / args.speed, line) for t, line in commands]
        result.churn_keys = driver.run(real, args.key_interval, timed, until).summary()
        return result
    finally:
        child.sample_rss()
        result.peak_rss_mb = child.peak_rss / 2**20
        child.close()


def verdict(value: float | None, budget: float) -> str:
    """`ok` or `over budget` against an upper bound; `not measured` without a value."""
    if value is None:
        return "not measured"
    return "ok" if value <= budget else "OVER BUDGET"


def fmt(value: float | None, spec: str) -> str:
    """`value` formatted, `-` when it is None."""
    return "-" if value is None else format(value, spec)


def seed_part(args: argparse.Namespace, folder: Path, env: dict[str, str]) -> dict:
    """Part 1: the seed console (in `env`, after one unmeasured start) beside the reference
    programs (installed, so compiled at install), then its own session."""
    warm = warm_start(CONSOLE, env, 60)
    programs: list[tuple[str, list[str] | None, str]] = [("console (seed cluster)", CONSOLE, "")]
    programs.append(("glances -t 1", *glances_command()))
    programs.append(("htop -d 10", *htop_command()))
    script = folder / "one_label.py"
    script.write_text(BARE_TEXTUAL)
    programs.append(("bare Textual app, one label", [sys.executable, str(script)], ""))
    # Run by run, each program in turn (not one program's runs in a row): the machine's load
    # drifts over minutes, and it is then shared alike.
    runs: dict[str, list[dict]] = {name: [] for name, cmd, _why in programs if cmd is not None}
    for _run in range(args.runs):
        for name, cmd, _why in programs:
            if cmd is not None:
                measured = meter(cmd, name, 1, args.window, args.warmup,
                                 env if cmd is CONSOLE else None)
                runs[name].extend(measured.get("runs") or [])
    rows = {}
    for name, cmd, why in programs:
        keys = ("first_frame_s", "bytes_per_s", "cpu_pct_one_core", "peak_rss_tree_mb")
        rows[name] = {"skipped": why} if cmd is None else {
            key: median({"runs": runs[name]}, key) for key in keys}
    session = console_session(CONSOLE, env, "A", "B", args, [(0.0, "fail-node B")],
                              load_timeout=60)
    return {"warm_start_s": warm, "programs": rows, "session": session.__dict__}


def big_part(args: argparse.Namespace, folder: Path, env: dict[str, str]) -> dict:
    """Part 2: one console session (in `env`) on the flat 2,000-host / 40,000-VM cluster file,
    after one unmeasured start on a small flat file (the same modules, compiled)."""
    small = folder / "flat_small.toml"
    small.write_text(flat_cluster_text(20, 400))
    warm = warm_start([*CONSOLE, str(small)], env, 60)
    path = folder / "flat.toml"
    path.write_text(flat_cluster_text(args.hosts, args.vms))
    crash, evacuate = (flat_host_name(n, args.hosts) for n in (7, 13))
    commands = [(0.0, f"fail-node {crash}"), (30.0, f"maintenance {evacuate} on")]
    first, second = (flat_host_name(n, args.hosts) for n in (1, 2))
    console = CONSOLE
    if args.stalls is not None:  # the event loop watched (bench/stall_probe.py)
        console = [sys.executable, str(ROOT / "bench" / "stall_probe.py"),
                   "--threshold-ms", f"{args.stalls_ms:g}", str(args.stalls), "--"]
    session = console_session([*console, str(path)], env, first, second,
                              args, commands, load_timeout=args.load_timeout,
                              until=f"{evacuate} is in maintenance".encode())
    return {"warm_start_s": warm, "file_mb": path.stat().st_size / 2**20,
            "commands": commands, "session": session.__dict__}


def keys_line(label: str, keys: dict) -> str:
    """Key-to-repaint figures (whole repaint, then first frame) with a verdict on each max."""
    if not keys:
        return f"  {label:<44} not measured"
    late = keys["timeouts"]
    extra = f", {late} unanswered in {keys['timeout_s']:g} s (counted as that)" if late else ""
    note = f" ({keys['note']})" if keys["note"] else ""
    first = keys["first_frame"]
    for line, at, took in keys["commands"]:
        note += (f"\n    `:{line}` at {at:.1f} s: " + (f"clock running again after {took:.2f} s"
                 if took is not None else "clock not running again in time"))
    return (f"  {label:<44} {keys['count']} keys{extra}{note}\n"
            f"    whole repaint (VMs pane followed): max {fmt(keys['max_ms'], '.0f')} ms, p99 "
            f"{fmt(keys['p99_ms'], '.0f')}, median {fmt(keys['median_ms'], '.0f')}: "
            f"{verdict(keys['max_ms'], KEY_MS)} (max at {fmt(keys['worst_at_s'], '.1f')} s)\n"
            f"    first frame (cursor moved):        max {fmt(first['max_ms'], '.0f')} ms, p99 "
            f"{fmt(first['p99_ms'], '.0f')}, median {fmt(first['median_ms'], '.0f')}: "
            f"{verdict(first['max_ms'], KEY_MS)}"
            + slowest_keys(keys))


def slowest_keys(keys: dict, count: int = SLOWEST_SHOWN) -> str:
    """Lines naming the `count` slowest keys: when each was pressed, its whole repaint and first
    frame, and the seconds since the last command given before it ("" without keys)."""
    ranked = sorted(keys.get("keys") or [], key=lambda key: -key[1])[:count]
    lines = []
    for at, whole, first in ranked:
        given = [(when, line) for line, when, _took in keys["commands"] if when <= at]
        since = (f", {at - given[-1][0]:.1f} s after `:{given[-1][1]}`" if given else "")
        lines.append(f"\n      at {at:6.1f} s: {whole:4.0f} ms (first frame {first:.0f}){since}")
    return ("\n    slowest keys:" + "".join(lines)) if lines else ""


def print_seed(seed: dict, args: argparse.Namespace) -> None:
    """Part 1 as a table, the ratios and verdicts."""
    print(f"\nSeed cluster, {COLS}x{ROWS}, 1 s refresh (pty meter: warm-up {args.warmup:g} s, "
          f"window {args.window:g} s, median of {args.runs} run(s))")
    header = f"  {'program':<30} {'first frame':>11} {'bytes/s':>8} {'CPU %':>6} {'RSS MB':>7}"
    print(header)
    for name, row in seed["programs"].items():
        if "skipped" in row:
            print(f"  {name:<30} skipped: {row['skipped']}")
            continue
        late = (row["first_frame_s"] or 0) > args.warmup
        print(f"  {name:<30} {fmt(row['first_frame_s'], '>9.2f')} s "
              f"{fmt(row['bytes_per_s'], '>8.0f')} {fmt(row['cpu_pct_one_core'], '>6.2f')} "
              f"{fmt(row['peak_rss_tree_mb'], '>7.0f')}"
              + ("  (first frame after the warm-up: the window holds start-up)" if late else ""))
    rows = seed["programs"]
    console = rows["console (seed cluster)"]
    for other, key, what in (("glances -t 1", "first_frame_s", "first frame"),
                             ("htop -d 10", "cpu_pct_one_core", "CPU")):
        mine, theirs = console.get(key), rows[other].get(key)
        if mine is None or theirs is None:
            print(f"  goal: {what} no more than {other}'s: not measured")
            continue
        ratio = f"{mine / theirs:.2f}x" if theirs else "-"
        print(f"  goal: {what} no more than {other}'s: {mine:.2f} vs {theirs:.2f} ({ratio}): "
              f"{verdict(mine, theirs)}")
    session = seed["session"]
    full, theirs = session["first_full_frame_s"], rows["glances -t 1"].get("first_frame_s")
    if full is not None and theirs:
        print(f"  the same with the console's complete main screen (its session, below): "
              f"{full:.2f} vs {theirs:.2f} ({full / theirs:.2f}x): {verdict(full, theirs)}")
    note = f"; {session['note']}" if session["note"] else ""
    print(f"  console, unmeasured start (compiling its bytecode): main screen at "
          f"{fmt(seed['warm_start_s'], '.2f')} s")
    print(f"  console session: first full frame (main screen, footer drawn) "
          f"{fmt(session['first_full_frame_s'], '.2f')} s, "
          f"steady CPU {fmt(session['cpu_pct'], '.2f')} %, peak RSS "
          f"{fmt(session['peak_rss_mb'], '.0f')} MB{note}")
    print(keys_line("key to repaint at rest", session["idle_keys"]))
    print(keys_line(f"key to repaint, fail-node B (x{args.speed:g}, {args.episode:g} s)",
                    session["churn_keys"]))


def print_big(big: dict, args: argparse.Namespace) -> None:
    """Part 2 as lines with goals and verdicts."""
    session = big["session"]
    print(f"\n{args.hosts:,} hosts / {args.vms:,} VMs, a flat file ({big['file_mb']:.1f} MB, "
          f"{args.vms // 2:,} VMs without a host), {COLS}x{ROWS}, x{args.speed:g}")
    loading = session["loading_screen_s"]
    print(f"  unmeasured start on a 20-host / 400-VM flat file (compiling the bytecode): main "
          f"screen at {fmt(big['warm_start_s'], '.2f')} s")
    print(f"  first output {fmt(session['first_byte_s'], '.2f')} s; loading screen "
          + (f"at {loading:.2f} s" if loading is not None else "not seen"))
    full = session["first_full_frame_s"]
    late = session["no_main_screen_after_s"]
    shown = f"over {late:.0f}" if late is not None else fmt(full, ".2f")
    print(f"  {'first full frame (main screen, footer drawn)':<44} {shown} s "
          f"(goal {BIG_FIRST_FRAME_S} s): "
          f"{verdict(late if late is not None else full, BIG_FIRST_FRAME_S)}")
    print(f"    CPU of the console by then {fmt(session.get('first_full_frame_cpu_s'), '.2f')} s "
          "(steadier than the wall time on a busy machine)")
    print(f"  {'steady CPU, no keys, ' + format(args.window, 'g') + ' s':<44} "
          f"{fmt(session['cpu_pct'], '.2f')} % (goal {BIG_CPU_PCT} %): "
          f"{verdict(session['cpu_pct'], BIG_CPU_PCT)}; "
          f"{fmt(session['bytes_per_s'], '.0f')} bytes/s")
    rss = session["peak_rss_mb"]
    judged = verdict(rss, BIG_RSS_MB) if late is None or (rss or 0) > BIG_RSS_MB else (
        "not judged: the loading did not finish")
    print(f"  {'peak RSS of the session':<44} {fmt(rss, '.0f')} MB "
          f"(goal {BIG_RSS_MB:.0f} MB): {judged}")
    print(keys_line("key to repaint at rest", session["idle_keys"]))
    churn = ", then at +30 s ".join(line for _, line in big["commands"])
    print(keys_line(f"key to repaint over churn ({args.episode:g} s)", session["churn_keys"]))
    keys = session["churn_keys"]
    if keys:
        done = keys["until_s"]
        print(f"    (churn: {churn}; keys for {keys['seconds']:.0f} s; "
              + (f"'{keys['until']}' at {done:.0f} s)" if done is not None
                 else f"'{keys['until']}' never seen)"))
    if session["note"]:
        print(f"  note: {session['note']}")


def main() -> int:
    """Parse the options, run the parts, print the figures; 2 when the meter is missing."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="Goals (issue 12): seed first frame <= glances', seed CPU <= htop's; at 40,000 "
               "VMs first full frame <= 1.5 s, CPU <= 3 %, RSS <= 300 MB, every key <= 50 ms.")
    parser.add_argument("--runs", type=int, default=1, help="meter runs per program (1)")
    parser.add_argument("--window", type=float, default=10.0,
                        help="seconds of steady state measured (10)")
    parser.add_argument("--warmup", type=float, default=WARMUP_S,
                        help="seconds before the window: from the start under the meter, "
                             f"after the first full frame in the sessions ({WARMUP_S:g})")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="the console's --speed in the sessions (1)")
    parser.add_argument("--episode", type=float, default=90.0,
                        help="simulated seconds of a churn episode with keys pressed (90)")
    parser.add_argument("--key-interval", type=float, default=0.1,
                        help="seconds between key presses (0.1)")
    parser.add_argument("--key-timeout", type=float, default=10.0,
                        help="seconds a key may wait for its repaint (10)")
    parser.add_argument("--load-timeout", type=float, default=300.0,
                        help="seconds the big cluster may take to show its main screen (300)")
    parser.add_argument("--hosts", type=int, default=2000, help="hosts of the big cluster (2000)")
    parser.add_argument("--vms", type=int, default=40000,
                        help="VMs of the big cluster, half without a host (40000)")
    parser.add_argument("--skip-seed", action="store_true", help="no part 1 (seed cluster)")
    parser.add_argument("--skip-big", action="store_true", help="no part 2 (big cluster)")
    parser.add_argument("--start-only", action="store_true",
                        help="the big cluster's start only: loading screen and first full "
                             "frame, nothing after it (with --skip-seed: about 30 s)")
    parser.add_argument("--stalls", type=Path, default=None,
                        help="the big cluster's console run under bench/stall_probe.py, which "
                             "appends every stretch the event loop was blocked over "
                             "--stalls-ms, and what ran in it, to this file (its figures are "
                             "then slower)")
    parser.add_argument("--stalls-ms", type=float, default=15.0,
                        help="with --stalls: the shortest stretch written, in ms (15)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--out", type=Path, default=None,
                        help="also write the raw figures as JSON to this file")
    args = parser.parse_args()
    if not METER.exists() and not args.skip_seed:
        print(f"console_bench: {METER} not found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        env = console_env(Path(tmp) / "pycache")
        figures: dict = {"machine": machine(), "console": console_code(env),
                         "options": {k: str(v) if isinstance(v, Path) else v
                                     for k, v in vars(args).items()}}
        if not args.skip_seed:
            figures["seed"] = seed_part(args, Path(tmp), env)
        if not args.skip_big:
            figures["big"] = big_part(args, Path(tmp), env)
    if args.out is not None:
        args.out.write_text(json.dumps(figures, indent=2))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"machine: {figures['machine']}")
    print(f"console: {figures['console']}, run as `python -m console` from the checkout")
    print("bytecode: the console's compiled into a folder of the run (PYTHONPYCACHEPREFIX, "
          "PYTHONDONTWRITEBYTECODE unset) by one unmeasured start before the measured ones, as "
          "`pip install` compiles at install")
    if "seed" in figures:
        print_seed(figures["seed"], args)
    if "big" in figures:
        print_big(figures["big"], args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
