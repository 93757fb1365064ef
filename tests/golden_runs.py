"""The golden runs: a fixed day of commands on every sample cluster, and every sample drill.

Their output (`simulate --json`, `simulate` as text, `drill --json`) was recorded before the
house was reshaped (issue 8) and must stay byte-identical through any change that does not mean
to change behaviour; `tests/test_golden.py` compares. When a change *does* mean to change behaviour,
regenerate with `python tests/golden_runs.py` and say in the commit what changed and why.

The day's commands are chosen from each cluster's own names, taken from the summary that
`simulate --for 0 --json` prints (public output, so the scenario does not move when the code
does).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

from console.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from console.paths import SAMPLE_CLUSTERS

GOLDEN = Path(__file__).parent / "golden"
CLUSTERS = ("seed", "hyperv", "datacenter", "planetlab", "xenserver", "wsfc", "pve")
DAY_S = 86_400


def day_of_commands(cluster_file: Path) -> list[str]:
    """`"T COMMAND"` lines: maintenance, crash, isolation, forced failover, migration,
    balancing, power, a new host, image streaming and a crash during maintenance."""
    start = json.loads(output_of(["simulate", str(cluster_file), "--for", "0", "--json"])
                       .splitlines()[-1])
    nodes, vms, services = list(start["nodes"]), list(start["vms"]), list(start["services"])
    data = tomllib.loads(cluster_file.read_text(encoding="utf-8"))
    images = [i["name"] for i in data.get("images", [])]
    n0, n1, n2 = nodes[0], nodes[1], nodes[2]
    steps = [
        f"600 maintenance {n1} on", f"2400 maintenance {n1} off",
        f"3600 fail-node {n0}", f"4200 power-on {n0}",
        f"7200 isolate {n2}", f"7800 reconnect {n2}",
        f"10000 migrate {vms[0]}", f"10001 migrate {vms[0]} {n0}",
        "10800 rebalance --dry-run", "11000 rebalance",
        f"12000 vm-power {vms[1]} off", f"12600 vm-power {vms[1]} on",
        f"14000 power-off {n1}", f"15000 power-on {n1}",
        f"20000 add-node extra01 {n0}", "20500 rebalance",
        f"50000 fail-node {n0}", f"50030 power-on {n0}",
        f"60000 maintenance {n2} on", f"60010 fail-node {n1}",
        f"61000 power-on {n1}", f"62000 maintenance {n2} off",
        "70000 failover no-such-service", "70001 maintenance no-such-node on",
    ]
    if services:
        steps += [f"9000 failover {services[0]}", f"9100 failover {services[-1]} {n0}"]
    if images:
        steps += [f"30000 deploy golden01 {images[0]} on {n0}", f"40000 publish-image {images[0]}"]
    return steps


def simulate_args(name: str) -> list[str]:
    path = SAMPLE_CLUSTERS / f"{name}.toml"
    args = ["simulate", str(path), "--seed", "0", "--for", str(DAY_S), "--json"]
    for step in day_of_commands(path):
        args += ["--do", step]
    return args


def drill_args() -> list[str]:
    return ["drill", *sorted(str(p) for p in (SAMPLE_CLUSTERS / "drills").glob("*.toml")),
            "--json"]


def output_of(args: list[str]) -> str:
    """What `cluster-console ARGS` prints on standard output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(args)
    if status not in (0, 1):  # drill: 1 when an expectation failed
        raise RuntimeError(f"cluster-console {args[0]} exited {status}")
    return out.getvalue().replace(str(SAMPLE_CLUSTERS), "<samples>")


def runs() -> dict[str, list[str]]:
    """Golden file name -> the arguments whose output it holds."""
    found = {f"{name}.jsonl": simulate_args(name) for name in CLUSTERS}
    found["seed.txt"] = [arg for arg in simulate_args("seed") if arg != "--json"]
    found["drills.jsonl"] = drill_args()
    return found


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for file, args in runs().items():
        (GOLDEN / file).write_text(output_of(args), encoding="utf-8")
        print(f"wrote {GOLDEN / file}", file=sys.stderr)
