"""The checks of a cluster file's arrays of tables a key at a time (`toml.read_tables`, used a
chunk of entries at a time by `schema._each_entry`) give exactly what the plain reading entry by
entry (`read_table`) gives: the same draft for a good file, the same one-line error for a bad
one, on randomised files (fixed seeds) with bad values, types, keys and names anywhere, in
entries past the first chunk too. And `locate`, which reads only an entry's part of the text
when it can, gives the line the reading of the whole text gives."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import pytest

from console.formats import toml
from console.formats.cluster import schema
from console.formats.toml import (
    ConfigError,
    Key,
    bare,
    locate,
    located,
    parse_toml,
    read_table,
    read_tables,
)
from console.paths import SAMPLE_CLUSTERS

CORPUS = Path(__file__).parent / "bad_inputs"

NODE_LINES = [
    'hypervisor = "esxi"', "cpus = 2", "cores_per_cpu = 8", "memory_gb = 256",
    "disks_gb = [900, 900.5]", "nics_gbps = [10, 1]", "boot_s = 60",
]
VM_SHAPES = [
    ['guest_os = "rhel"', "vcpus = 2", "memory_gb = 8",
     'workload = { cpu = 0.3, memory = 0.5, profile = "steady" }'],
    ['guest_os = "windows2012"', "vcpus = 4", "memory_gb = 16.5", 'priority = "high"',
     'state = "stopped"', "disk_gb = 40"],
    ['guest_os = "ubuntu"', 'ha_state = "stopped"', "boot_s = 0",
     "workload = { cpu = 1, disk_mbps = 5, dirty_mbps = 0 }"],
    ['guest_os = "debian"', 'isolation_response = "power_off"', 'group = "g0"'],
]
#: Values put in place of a good one: good ones of other types, and every kind of bad one.
VALUES = ["-1", "0", "1", "0.5", "1e400", "-1e400", "nan", "inf", "99999999999999999999",
          "true", '"x"', '""', '"bad name!"', '"h01"', "[]", "[1, 2]", '["vm0001"]', "{}",
          '{ cpu = 2 }', '{ profile = "trace" }', '{ trace = "a" }', "2.5", "768", "769",
          '"running"', '"stopped"', '"disabled"', '"lowest"', "12", "1000", "[0]", "-0.0",
          "1.0", '{ cpu = 1.0, memory = -0.0 }', '{ cpu = 1, memory = 0 }']
KEYS = ["name", "guest_os", "vcpus", "memory_gb", "disk_gb", "priority", "state", "ha_state",
        "boot_s", "host", "group", "anti_affinity", "count", "workload", "image",
        "isolation_response", "colour", "workload.cpu", "workload.profile"]


def cluster_text(rng: random.Random, vms: int) -> str:
    """A good cluster file of a few nodes and `vms` flat VMs, then one to three changes."""
    parts = ['[cluster]\nname = "fast"\n']
    for n in range(1, 5):
        parts.append(f'[[nodes]]\nname = "h{n:02d}"\n' + "\n".join(NODE_LINES) + "\n")
    parts.append('[[groups]]\nname = "g0"\nnodes = ["h01", "h02:2"]\n')
    entries = []
    for k in range(vms):
        lines = [f'name = "vm{k:04d}"', *VM_SHAPES[rng.randrange(len(VM_SHAPES))]]
        if rng.random() < 0.5:
            lines.append(f'host = "h{rng.randrange(1, 5):02d}"')
        entries.append(lines)
    for _ in range(rng.randrange(3)):  # no change: a good file
        lines = entries[rng.randrange(len(entries))]
        key, value = rng.choice(KEYS), rng.choice(VALUES)
        change = rng.random()
        if change < 0.15:  # a key taken out
            lines[:] = [line for line in lines if not line.startswith(key)]
        elif change < 0.25:  # a name used twice
            lines[0] = entries[rng.randrange(len(entries))][0]
        elif key.startswith("workload."):
            lines[:] = [line for line in lines if not line.startswith("workload")]
            lines.append(f"workload = {{ {key.split('.')[1]} = {value} }}")
        else:
            lines[:] = [line for line in lines if not line.startswith(f"{key} ")]
            lines.append(f"{key} = {value}")
    parts += ["[[vms]]\n" + "\n".join(lines) + "\n" for lines in entries]
    return "\n".join(parts)


def outcome(text: str) -> str:
    """The draft's VMs and nodes as text, or the one-line error."""
    try:
        document = parse_toml(text, "fast.toml")
        with located(text, "fast.toml"):
            draft = schema.read_document(document, Path("."))
    except ConfigError as error:
        return f"error: {error}"
    return repr([(e.path, e.vm, sorted(e.given), e.image) for e in draft.vms]) + repr(draft.nodes)


def one_by_one(tables: list[Any], keys: dict[str, Key]) -> None:
    """`read_tables` as if every chunk had a problem: each entry read by `read_table`."""
    return None


@pytest.mark.parametrize("seed", range(60))
def test_the_same_draft_or_error_as_entry_by_entry(seed: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    monkeypatch.setattr(schema, "CHUNK", rng.choice([4, 16, 1000]))
    text = cluster_text(rng, vms=rng.choice([5, 40, 120]))
    fast = outcome(text)
    monkeypatch.setattr(schema, "read_tables", one_by_one)
    assert fast == outcome(text)


def test_the_fast_reading_is_taken_for_good_tables() -> None:
    tables = [{"name": f"vm{k}", "vcpus": 2, "memory_gb": 8, "guest_os": "rhel"}
              for k in range(50)]
    read = read_tables(tables, schema._VM_KEYS)
    assert read == [read_table(table, schema._VM_KEYS) for table in tables]
    assert type(read[0]["memory_gb"]) is float and type(tables[0]["memory_gb"]) is int


@pytest.mark.parametrize("value", [math.nan, True, 2**1100, -0.0, "8", None, [8]])
def test_a_bad_value_anywhere_sends_the_chunk_to_the_plain_reading(value: Any) -> None:
    tables = [{"name": f"vm{k}", "memory_gb": 8.0} for k in range(50)]
    tables[37]["memory_gb"] = value  # -0.0: memory_gb must be above 0
    assert read_tables(tables, schema._VM_KEYS) is None


def spelt(path: tuple[str | int, ...]) -> str:
    """A key path as problems spell it (`vms[3].workload.cpu`)."""
    key = ""
    for step in path:
        key += f"[{step}]" if isinstance(step, int) else ("." if key else "") + bare(step)
    return key


LOCATED = sorted([*SAMPLE_CLUSTERS.rglob("*.toml"), *(CORPUS / "cluster").glob("*.toml")])


@pytest.mark.parametrize("path", LOCATED, ids=lambda p: p.name)
def test_an_entrys_line_found_in_its_part_of_the_text_is_the_whole_readings(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        whole = toml._KeyLines(text).read()
    except RecursionError:  # nesting refused before any line is looked for (deep-array.toml)
        pytest.skip("not a file whose lines are looked for")
    for key_path in whole:
        if len(key_path) >= 2 and isinstance(key_path[1], int):
            assert locate(text, spelt(key_path)) == whole[key_path], spelt(key_path)
            assert locate(text, spelt(key_path) + ".unknown") == whole[key_path]


@pytest.mark.parametrize("seed", range(10))
def test_the_same_lines_on_random_files(seed: int) -> None:
    rng = random.Random(seed)
    text = cluster_text(rng, vms=30)
    if rng.random() < 0.3:  # a quoted header: the entry's part cannot be told, all is read
        text = text.replace("[[vms]]", '[["vms"]]', 1)
    whole = toml._KeyLines(text).read()
    assert any(isinstance(p[1], int) for p in whole if len(p) >= 2)
    for key_path, line in whole.items():
        if len(key_path) >= 2 and isinstance(key_path[1], int):
            assert locate(text, spelt(key_path)) == line


#: Good workload values, some equal across types or signs (1, 1.0; 0, 0.0, -0.0), and bad ones
#: (true equals 1 and false 0), for the tables the reading at once shares a Workload between.
GOOD_WORKLOAD_VALUES = {"cpu": [0.3, 1, 1.0, 0, 0.0, -0.0], "memory": [0.5, 1, 0.0, -0.0],
                        "disk_mbps": [5, 5.0, 0, -0.0], "profile": ["steady", "bursty"]}
BAD_WORKLOAD_VALUES = [True, False, -1, math.nan, [1], {"x": 1}, "", 2**5000]


@pytest.mark.parametrize("seed", range(30))
def test_workloads_read_at_once_are_the_ones_read_one_by_one(seed: int) -> None:
    rng = random.Random(seed)
    keys = list(GOOD_WORKLOAD_VALUES)
    shapes = [{key: rng.choice(GOOD_WORKLOAD_VALUES[key])  # keys mostly in one order
               for key in (keys[:k] if rng.random() < 0.8 else rng.sample(keys, k))}
              for k in rng.choices((1, 2, 3), k=rng.choice((3, 8)))]
    if seed % 2:  # one bad table, perhaps equal to a good one
        bad = dict(rng.choice(shapes))
        key = rng.choice([*bad, "colour"])
        bad[key] = rng.choice(BAD_WORKLOAD_VALUES)
        shapes.append(bad)
    tables = [dict(rng.choice(shapes)) for _ in range(rng.choice((30, 200)))]
    try:
        plain = repr([schema._workload(table) for table in tables])
    except toml.Problem:
        plain = None
    at_once = schema._workload_column(tables)
    assert (None if at_once is None else repr(at_once)) == plain
