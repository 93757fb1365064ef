"""Cluster files: TOML in, a checked `model.Cluster` out, or one line naming file, line and key.

A cluster file is the only way a cluster enters the console, so it is checked the way a compiler
checks code: unknown keys are errors (a typo must not quietly fall back to a default), every value
is range-checked, every name the file refers to must exist, and the cluster must be runnable as
written. The first problem in file order is raised as a `ConfigError` whose `str()` is one line:

    seed.toml:23: nodes[2].memory_gb: must be a number above 0, at most 24576 GB, got -16

`ConfigError` is an `InputError` (console.errors). The reading and checking of TOML in general
(the error type, key paths, line numbers, value checkers) is `console.formats.toml`, shared with
drill files. The cluster file is read in three modules, one job each: `schema` (sections, keys
and value checks; the schema is documented there), `checks` (cross-checks of names, guest OS
support, sizes, services and rules) and `build` (the `Cluster`, with placement). `write` goes the
other way: `cluster_text(cluster)` is a file that reads back into an equal cluster.

Key paths count `[[nodes]]`, `[[vms]]`, `[[services]]`, `[[images]]`, `[[layers]]` and `[[rules]]`
entries from 0, as written in the file (an entry with `count` is one entry however many copies it
makes).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from console import collector
from console.formats.cluster.build import build
from console.formats.cluster.schema import Draft, read_document
from console.formats.toml import (
    ConfigError,
    locate,
    located,
    parse_and_read,
    parse_toml,
    read_file,
)
from console.model.cluster import Cluster
from console.model.entities import VmState
from console.model.names import counted
from console.model.placement import broken_rules


def load_cluster(path: str | Path) -> Cluster:
    """Read and check a cluster file; errors name the file as the caller spelt it.

    Raises `ConfigError` (an `InputError`, one line `file:line: key: message`) for a file that
    cannot be read, is not UTF-8 or TOML, or breaks the schema or a cross-check.
    """
    return parse_cluster(read_file(path), str(path))


#: Host checks (`placement_work`) a cluster's placement does in about half a second; a
#: cluster needing more is slow to build. datacenter.toml (32 nodes, 638 VMs to place: 20,416)
#: is below.
QUICK_PLACEMENT = 50_000


def parse_cluster(text: str, filename: str, base: str | Path | None = None,
                  traces: dict[str, tuple[float, ...]] | None = None, *,
                  place: bool | None = True) -> Cluster:
    """Check a cluster file's text and build its cluster; the first problem is a ConfigError.

    Folders the file names (`[workloads] traces`) are relative to `base`, by default the folder
    of `filename`. `traces` given (a recording embeds them) stand in for that folder's files.
    Without `place`, VMs without a host stay without one (see `build`); `place=None` places
    them when that is quick (`quick_to_place`, from the one reading of the text).
    """
    return _read(text, filename, base, traces, place=place)[1]


def _read(text: str, filename: str, base: str | Path | None,
          traces: dict[str, tuple[float, ...]] | None, *,
          place: bool | None) -> tuple[Draft, Cluster]:
    """The checked draft of a cluster file's text and its cluster (see `parse_cluster`)."""
    folder = Path(filename).parent if base is None else Path(base)
    with collector.paused():  # objects that live on, no garbage cycles: a fifth of the load
        draft = _read_draft(text, filename, folder, traces)
        if place is None:
            place = _placement_work(draft) <= QUICK_PLACEMENT
        with located(text, filename):
            return draft, build(draft, place=place)


def _read_draft(text: str, filename: str, folder: Path,
                traces: dict[str, tuple[float, ...]] | None) -> Draft:
    """The checked draft of a cluster file's text (its sections and values; names not yet
    resolved). Every value has a type and bounds, so the schema refuses what tomllib would
    (`parse_and_read`). Raises ConfigError."""

    def read(document: dict[str, Any]) -> Draft:
        with located(text, filename):
            return read_document(document, folder, traces)

    return parse_and_read(text, filename, read)


def check_cluster(text: str, filename: str) -> tuple[Cluster, list[str]]:
    """`parse_cluster` (placing every VM), and one warning line per `must` rule the file's
    placements break (allowed: a starting situation to repair), at the host key of a VM that
    breaks it: `file:line: vms[i].host: warning: message`. Raises ConfigError as
    `parse_cluster`."""
    draft, cluster = _read(text, filename, None, None, place=True)
    paths = {entry.vm.name: entry.path for entry in draft.vms}
    warnings = []
    for broken in broken_rules(cluster):
        key = f"{paths[broken.vm]}.host"
        warnings.append(str(ConfigError(filename, locate(text, key), key,
                                        f"warning: {broken.message}")))
    return cluster, warnings


def placement_work(text: str, filename: str,
                   traces: dict[str, tuple[float, ...]] | None = None) -> int:
    """The most host checks building the cluster in `text` can take: its VMs without a host
    times its nodes (placement may weigh every node for a VM, though through the host order,
    console.model.host_order, it mostly weighs a few), the cost that grows fastest with a
    cluster's size. Reads and
    checks the sections and values only, not names, so it is fast; raises `ConfigError` (an
    `InputError`) for text that is not TOML or breaks the schema. `traces` as `parse_cluster`."""
    return _placement_work(_read_draft(text, filename, Path(filename).parent, traces))


def _placement_work(draft: Draft) -> int:
    """`placement_work` of a checked draft."""
    return len(draft.nodes) * sum(1 for entry in draft.vms if entry.vm.host is None)


def quick_to_place(text: str, filename: str,
                   traces: dict[str, tuple[float, ...]] | None = None) -> bool:
    """Whether placing the cluster in `text` takes at most `QUICK_PLACEMENT` host checks.
    Raises `ConfigError` as `placement_work`."""
    return placement_work(text, filename, traces) <= QUICK_PLACEMENT


def trace_folder(text: str, filename: str) -> Path | None:
    """The folder of CPU traces a cluster file's text names (`[workloads] traces`, relative to
    the file's folder), or None when it names none. Raises `ConfigError` (an `InputError`) for
    text that is not TOML and says `workloads` (text that does not is not parsed here: the
    loader finds its problems)."""
    if "workloads" not in text:  # the cheap test first: a 40,000-VM file is not parsed here
        return None
    workloads = parse_toml(text, filename).get("workloads")
    folder = workloads.get("traces") if isinstance(workloads, dict) else None
    return Path(filename).parent / folder if isinstance(folder, str) else None


def summarize(cluster: Cluster) -> str:
    """One line for `cluster-console validate`: what the file describes, in numbers."""
    kinds = Counter(node.hypervisor for node in cluster.nodes.values())
    if len(kinds) == 1:
        kind_text = next(iter(kinds))
    else:
        kind_text = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    states = Counter(vm.state for vm in cluster.vms.values())
    state_text = ", ".join(f"{states[s]} {s.value}" for s in VmState if states[s])
    extras = []
    bases = sum(1 for image in cluster.images.values() if image.kind == "base")
    if cluster.images:
        extras.append(f"{counted(bases, 'base image')} + "
                      f"{counted(len(cluster.images) - bases, 'layer')}")
    if cluster.rules:
        extras.append(counted(len(cluster.rules), "rule"))
    if cluster.traces:
        extras.append(counted(len(cluster.traces), "trace"))
    return (f"cluster {cluster.name!r} (HA profile {cluster.settings.profile}): "
            f"{counted(len(cluster.nodes), 'node')} ({kind_text}), "
            f"{counted(len(cluster.vms), 'VM')}" + (f" ({state_text})" if state_text else "")
            + f", {counted(len(cluster.services), 'service')}"
            + "".join(f", {extra}" for extra in extras))

