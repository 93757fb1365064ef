"""Every number an input gives has a range, and README.md's "Limits" table states each range as
the code checks it (the table is the one place users read them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from console.cli.serve import MAX_PORT
from console.formats import drill
from console.formats.cluster import schema
from console.formats.timed import MAX_TIME_S
from console.formats.toml import MAX_NESTING, Between, Integer, Key
from console.model.commands import MAX_SPEED
from console.model.seeds import MAX_SEED

README = Path(__file__).parent.parent / "README.md"

TABLES: dict[str, dict[str, Key]] = {
    "heartbeat": schema._HEARTBEAT_KEYS, "quorum": schema._QUORUM_KEYS, "ha": schema._HA_KEYS,
    "migration": schema._MIGRATION_KEYS, "balancer": schema._BALANCER_KEYS,
    "images": schema._IMAGE_KEYS, "layers": schema._LAYER_KEYS, "nodes": schema._NODE_KEYS,
    "vms": schema._VM_KEYS, "vms.workload": schema._WORKLOAD_KEYS,
    "services": schema._SERVICE_KEYS, "groups": schema._GROUP_KEYS, "drill": drill._DRILL_KEYS,
    "steps": drill._STEP_KEYS,
}


def limits_table() -> dict[str, str]:
    """README's Limits table: each key or option it names (`` `a.b` ``) -> its range cell."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]
    ranges = {}
    for row in section.splitlines():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if len(cells) == 3 and cells[1] not in ("range", "---"):
            for name in re.findall(r"`([^`]+)`", cells[0]):
                ranges[name] = cells[1]
    return ranges


def numeric_keys() -> list[tuple[str, Between | Integer]]:
    """(section.key, its range checker) for every number a cluster or drill file gives."""
    found = []
    for section, keys in TABLES.items():
        for name, key in keys.items():
            check = getattr(key.check, "item", key.check)  # list_of: the element's check
            if isinstance(check, (Between, Integer)):
                found.append((f"{section}.{name}", check))
    return found


def test_every_number_of_a_cluster_or_drill_file_has_a_range() -> None:
    """No number key is left to an open-ended check (the kind that let 2**1100 or 1e308 in)."""
    numbers = {name for name, _ in numeric_keys()}
    assert len(numbers) == 55
    for section, keys in TABLES.items():
        for name, key in keys.items():
            check = getattr(key.check, "item", key.check)
            if f"{section}.{name}" not in numbers:
                assert not isinstance(check, (Between, Integer))


@pytest.mark.parametrize(("name", "check"), numeric_keys(), ids=lambda v: str(v))
def test_the_readme_states_each_range_as_it_is_checked(name: str,
                                                       check: Between | Integer) -> None:
    assert limits_table().get(name) == check.text


def test_the_readme_states_the_shared_limits() -> None:
    table = limits_table()
    assert table["simulate --for"] == f"from 0 to {MAX_TIME_S:.0f} s"
    assert table["drill.seed"] == f"from 0 to {MAX_SEED}"
    assert table["--speed"] == f"above 0, at most {MAX_SPEED:g}"
    assert f"at most {MAX_NESTING} levels" in table["nesting"]
    assert table["serve --port"] == f"from 1 to {MAX_PORT}"
