"""Benchmark the console over a 120x40 pseudo-terminal, side by side with `glances -t 1`.

    python bench/console_bench.py [--runs N] [--window S] [--skip-glances] [--skip-big]

Measures, with ../shared/tools/ptymeter.py (first frame, bytes/s, CPU % of one core, RSS):
  (a) the console on the seed cluster, (b) `glances -t 1` in the same run (installed with pip if
  missing), (c) the console on a generated 1,000-host / 20,000-VM cluster;
and, with its own pty driver, the time to the first *full* frame (the main screen drawn, not a
loading screen) and the key-press repaint latency (a key to the end of the repaint it causes).
Prints a table; never part of the test run. Run from the repository root.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PTYMETER = ROOT.parent / "shared" / "tools" / "ptymeter.py"
COLS, ROWS = 120, 40


def big_cluster(folder: Path, hosts: int = 1000, vms: int = 20000) -> Path:
    """A cluster file with `hosts` hosts and `vms` VMs, `count` keys keeping it short."""
    per_host = vms // hosts
    lines = ['[cluster]\nname = "big"\ndescription = "1,000 hosts, 20,000 VMs (benchmark)"\n',
             "[balancer]\ninterval_s = 300.0\n",
             f'[[nodes]]\nname = "h"\ncount = {hosts}\nhypervisor = "esxi"\ncpus = 2\n'
             "cores_per_cpu = 16\nmemory_gb = 512\nnics_gbps = [10, 10]\n"]
    width = 2  # `count` names hosts h01 .. h1000 (two digits at least)
    for i in range(1, hosts + 1):
        lines.append(f'[[vms]]\nname = "v{i:04d}x"\ncount = {per_host}\nhost = "h{i:0{width}d}"\n'
                     'guest_os = "rhel"\nvcpus = 2\nmemory_gb = 8\n'
                     'workload = { cpu = 0.3, memory = 0.5, disk_mbps = 3, dirty_mbps = 20, '
                     'profile = "diurnal" }\n')
    path = folder / "big.toml"
    path.write_text("\n".join(lines))
    return path


def ptymeter(cmd: list[str], label: str, runs: int, window: float, warmup: float) -> dict:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    args = [sys.executable, str(PTYMETER), "--size", f"{COLS}x{ROWS}", "--runs", str(runs),
            "--warmup", str(warmup), "--window", str(window), "--label", label,
            "--out", str(out), "--", *cmd]
    subprocess.run(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False, timeout=600)
    try:
        data = json.loads(out.read_text())
    except (OSError, ValueError):
        return {}
    finally:
        out.unlink(missing_ok=True)
    return data


def median(data: dict, key: str) -> float | None:
    summary = data.get("summary") or {}
    if key in summary:
        return summary[key]["median"]
    runs = data.get("runs") or ([data] if key in data else [])
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


class Pty:
    """A child in a COLSxROWS pty whose output is drained and timestamped."""

    def __init__(self, cmd: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child
            os.environ["TERM"] = "xterm-256color"
            os.environ["COLUMNS"], os.environ["LINES"] = str(COLS), str(ROWS)
            os.chdir(ROOT)
            os.execvp(cmd[0], cmd)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.started = time.monotonic()
        self.buffer = b""

    def read_until(self, predicate, timeout: float, quiet: float = 0.0) -> float | None:
        """Read until predicate(buffer) holds (then until `quiet` seconds without output);
        return the time of the last byte read, relative to start, or None on timeout."""
        deadline = time.monotonic() + timeout
        last = None
        satisfied = False
        while time.monotonic() < deadline:
            wait = quiet if satisfied else 0.05
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                if satisfied:
                    return last
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return last
            self._answer(chunk)
            self.buffer += chunk
            last = time.monotonic()
            if not satisfied and predicate(self.buffer):
                satisfied = True
                if quiet == 0:
                    return last
        return None

    def _answer(self, chunk: bytes) -> None:
        """Answer the terminal queries Textual sends, as a terminal would."""
        if b"\x1b[c" in chunk:
            os.write(self.fd, b"\x1b[?62;22c")
        if b"\x1b[6n" in chunk:
            os.write(self.fd, b"\x1b[1;1R")

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.02)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return
                self._answer(chunk)

    def close(self) -> None:
        try:
            os.write(self.fd, b"q")
            time.sleep(0.5)
            os.kill(self.pid, signal.SIGTERM)
        except OSError:
            pass
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def interactive(cmd: list[str], presses: int = 10) -> dict:
    """First full frame (the nodes pane's title on screen) and key repaint latency."""
    child = Pty(cmd)
    try:
        full = child.read_until(lambda b: b"1 Nodes" in b, timeout=120, quiet=0.2)
        first_full = None if full is None else full - child.started
        child.drain(2.0)  # let the first ticks pass
        latencies = []
        keys = [b"j", b"k"] * (presses // 2)
        for key in keys:
            child.drain(0.3)
            sent = time.monotonic()
            os.write(child.fd, key)
            child.buffer = b""
            done = child.read_until(lambda b: len(b) > 0, timeout=5, quiet=0.03)
            if done is not None:
                latencies.append(done - sent)
        return {"first_full_frame_s": first_full,
                "key_latency_ms": 1000 * statistics.median(latencies) if latencies else None,
                "key_latency_max_ms": 1000 * max(latencies) if latencies else None}
    finally:
        child.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--skip-glances", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    if not PTYMETER.exists():
        print(f"console_bench: {PTYMETER} not found", file=sys.stderr)
        return 2
    console = shutil.which("cluster-console")
    base = [console] if console else [sys.executable, "-m", "console"]
    rows: list[tuple[str, dict, dict]] = []
    with tempfile.TemporaryDirectory() as tmp:
        seed = base[:]
        rows.append(("console, seed cluster", ptymeter(seed, "seed", args.runs, args.window,
                                                        args.warmup), interactive(seed)))
        if not args.skip_glances:
            if shutil.which("glances") is None:
                subprocess.run([sys.executable, "-m", "pip", "install", "-q", "glances"],
                               check=False)
            glances = shutil.which("glances")
            if glances:
                rows.append(("glances -t 1", ptymeter([glances, "-t", "1"], "glances",
                                                      args.runs, args.window, args.warmup), {}))
        if not args.skip_big:
            started = time.perf_counter()
            path = big_cluster(Path(tmp))
            big = [*base, str(path)]
            print(f"(generated {path.name} in {time.perf_counter() - started:.1f} s)",
                  file=sys.stderr)
            rows.append(("console, 1,000 hosts / 20,000 VMs",
                         ptymeter(big, "big", args.runs, args.window, args.warmup + 12),
                         interactive(big)))
    if args.json:
        print(json.dumps([{"name": n, "ptymeter": {k: median(p, k) for k in (
            "first_frame_s", "bytes_per_s", "cpu_pct_one_core", "peak_rss_tree_mb")},
            **i} for n, p, i in rows], indent=2))
        return 0
    header = (f"{'program (120x40, 1 s refresh)':<36} {'first frame':>11} {'full frame':>10} "
              f"{'bytes/s':>8} {'CPU %':>6} {'RSS MB':>7} {'key ms':>7}")
    print(header)
    print("-" * len(header))
    for name, meter, extra in rows:
        def fmt(value, spec):
            return format(value, spec) if value is not None else "-"

        print(f"{name:<36} {fmt(median(meter, 'first_frame_s'), '>10.2f')}s "
              f"{fmt(extra.get('first_full_frame_s'), '>9.2f')}s "
              f"{fmt(median(meter, 'bytes_per_s'), '>8.0f')} "
              f"{fmt(median(meter, 'cpu_pct_one_core'), '>6.1f')} "
              f"{fmt(median(meter, 'peak_rss_tree_mb'), '>7.0f')} "
              f"{fmt(extra.get('key_latency_ms'), '>7.0f')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
