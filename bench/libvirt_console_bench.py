"""Benchmark the console on two real hosts (libvirt's test driver, the shipped sample hosts)
beside the same console on the seed cluster, over a 120x40 pseudo-terminal.

    python bench/libvirt_console_bench.py                 # 3 meter runs each, 10 s windows
    python bench/libvirt_console_bench.py --runs 1 --window 20

Both consoles run as `python -m console --no-journal` from this checkout, with their bytecode
compiled by one unmeasured start (console_bench's `console_env`). In one run, alternating:

* the pty meter kept beside the repository (console_bench.METER): first frame, bytes/s, CPU %
  of one core and peak RSS over a window after a warm-up, for the seed console and for
  `--connect host-a --connect host-b`;
* the libvirt console's first *full* frame (the main screen with both hosts' rows drawn), its
  goal 1 s (issue 14: both hosts and all their VMs shown within 1 s);
* with `--allow-actions`: `2` (the VMs pane, host-a's VMs), the cursor on web-01, then `p`:
  the seconds from the key to the first frame that shows `paused` (libvirt's event, through
  the session, on screen; goal 1 s), median of --suspends suspend/resume pairs.

Prints the machine and a table; never part of the test run. Needs libvirt-python (the
`[libvirt]` extra).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchlib import machine
from console_bench import (
    CONSOLE,
    METER,
    ROOT,
    Pty,
    console_code,
    console_env,
    fmt,
    full_frame,
    median,
    meter,
    verdict,
    warm_start,
)

HOSTS = ROOT / "console" / "data" / "sample_clusters" / "libvirt"
REAL = [*CONSOLE, "--no-journal", "--connect", f"test://{HOSTS / 'host-a.xml'}",
        "--connect", f"test://{HOSTS / 'host-b.xml'}"]
SEED = [*CONSOLE, "--no-journal"]
#: issue 14: both hosts shown within 1 s; a suspend shown within 1 s.
SHOWN_S = 1.0


def both_hosts(buffer: bytes) -> bool:
    """The main screen is out with both hosts' rows."""
    return full_frame(buffer) and b"host-a" in buffer and b"host-b" in buffer


def suspends(env: dict[str, str], count: int) -> tuple[float | None, list[float]]:
    """(first full frame in seconds, key-to-`paused` seconds of each suspend) of one console
    session on the two hosts with --allow-actions; each suspend is followed by a resume."""
    child = Pty([*REAL, "--allow-actions"], env)
    shown: list[float] = []
    try:
        ready = child.read_until(both_hosts, 30)
        first = None if ready is None else ready - child.started
        child.send(b"2")  # the VMs pane: host-a's VMs, build-01 db-01 web-01 web-02
        child.drain(0.5)
        child.send(b"jj")
        child.drain(0.5)
        for _ in range(count):
            mark = len(child.buffer)
            sent = child.send(b"p")
            at = child.read_until(lambda buffer, mark=mark: b"paused" in buffer[mark:], 5)
            if at is not None:
                shown.append(at - sent)
            child.drain(0.3)
            mark = len(child.buffer)
            child.send(b"p")  # resume
            child.read_until(lambda buffer, mark=mark: b"running" in buffer[mark:], 5)
            child.drain(0.3)
        return first, shown
    finally:
        child.close()


def main() -> int:
    """Run the measures and print the table; 2 when the meter or libvirt-python is missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="meter runs per console (3)")
    parser.add_argument("--window", type=float, default=10.0, help="meter window, s (10)")
    parser.add_argument("--warmup", type=float, default=5.0, help="meter warm-up, s (5)")
    parser.add_argument("--suspends", type=int, default=10,
                        help="suspend/resume pairs timed (10)")
    args = parser.parse_args()
    if not METER.exists():
        print(f"libvirt_console_bench: {METER} not found", file=sys.stderr)
        return 2
    try:
        import libvirt  # noqa: F401
    except ImportError:
        print("libvirt_console_bench: libvirt-python is not installed "
              "(pip install '.[libvirt]')", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        env = console_env(Path(tmp) / "pycache")
        warm_start(SEED, env, 60)
        warm_start(REAL, env, 60)
        rows: dict[str, list[dict]] = {"seed": [], "libvirt": []}
        for _ in range(args.runs):  # alternating, so the machine's noise falls on both
            for name, cmd in (("seed", SEED), ("libvirt", REAL)):
                measured = meter(cmd, name, 1, args.window, args.warmup, env)
                rows[name].append({key: median(measured, key) for key in (
                    "first_frame_s", "bytes_per_s", "cpu_pct_one_core", "peak_rss_tree_mb")})
        started = time.monotonic()
        first, shown = suspends(env, args.suspends)
        took = time.monotonic() - started
    print(f"machine: {machine()}")
    print(f"console: {console_code(env)}, run as `python -m console --no-journal`")
    print(f"\n{120}x{40}, 1 s refresh (pty meter: warm-up {args.warmup:g} s, window "
          f"{args.window:g} s, median of {args.runs} alternating runs)")
    print(f"  {'console':<34} {'first frame':>11} {'bytes/s':>8} {'CPU %':>6} {'RSS MB':>7}")
    for name, label in (("seed", "seed cluster (3 simulated hosts)"),
                        ("libvirt", "2 test-driver hosts (--connect)")):
        def mid(key: str, name: str = name) -> float | None:
            values = [row[key] for row in rows[name] if row[key] is not None]
            return statistics.median(values) if values else None
        print(f"  {label:<34} {fmt(mid('first_frame_s'), '>9.2f')} s "
              f"{fmt(mid('bytes_per_s'), '>8.0f')} {fmt(mid('cpu_pct_one_core'), '>6.2f')} "
              f"{fmt(mid('peak_rss_tree_mb'), '>7.0f')}")
    print(f"  libvirt console, first full frame with both hosts: {fmt(first, '.2f')} s "
          f"(goal {SHOWN_S:g} s): {verdict(first, SHOWN_S)}")
    if shown:
        print(f"  suspend key to `paused` on screen (libvirt's event): median "
              f"{statistics.median(shown) * 1000:.0f} ms, max {max(shown) * 1000:.0f} ms over "
              f"{len(shown)} (goal {SHOWN_S:g} s): {verdict(max(shown), SHOWN_S)}  "
              f"[{took:.0f} s]")
    else:
        print("  suspend key to `paused` on screen: not seen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
