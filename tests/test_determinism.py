"""Same cluster file, seed and commands: the same event log, byte for byte.

Run in separate interpreters with different hash seeds too: iterating a set of names would pass
in-process and still differ between two real runs.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from console.paths import DEFAULT_CLUSTER, SAMPLE_CLUSTERS

ARGS = ["simulate", str(DEFAULT_CLUSTER), "--seed", "7", "--for", "900", "--json",
        "--do", "60 fail-node B", "--do", "200 isolate A", "--do", "400 power-on B",
        "--do", "500 reconnect A", "--do", "600 failover sql"]


def _run(hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run([sys.executable, "-m", "console", *ARGS], env=env,
                            capture_output=True, check=True)
    return result.stdout


def test_same_inputs_give_byte_identical_output_across_processes():
    first, second = _run("1"), _run("2")
    assert first == second
    assert first.count(b"\n") > 20  # it did run a scenario


def test_same_inputs_give_identical_event_logs_in_process():
    from cluster_helpers import make_engine, run_checked

    logs = []
    for _ in range(2):
        engine = make_engine(seed=3)
        run_checked(engine, 900, {60: "fail-node B", 200: "isolate A", 400: "power-on B"})
        logs.append([e.as_dict() for e in engine.log.events])
    assert logs[0] == logs[1]


def _scenario(path) -> list[str]:
    """A crash, a partition, maintenance and a failover on whichever cluster the file holds."""
    from console.formats.cluster import load_cluster

    cluster = load_cluster(path)
    first, second, *_ = cluster.nodes
    steps = ["60 fail-node " + first, "200 isolate " + second, "400 power-on " + first,
             "500 reconnect " + second, "700 maintenance " + second + " on", "900 rebalance"]
    steps += [f"800 failover {name}" for name in list(cluster.services)[:1]]
    return [arg for step in steps for arg in ("--do", step)]


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLE_CLUSTERS.glob("*.toml")))
def test_every_sample_cluster_is_deterministic_across_processes(name):
    path = SAMPLE_CLUSTERS / name
    args = ["simulate", str(path), "--seed", "5", "--for", "1800", "--json", *_scenario(path)]
    outputs = set()
    for hash_seed in ("11", "12"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run([sys.executable, "-m", "console", *args], env=env,
                                capture_output=True, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1
