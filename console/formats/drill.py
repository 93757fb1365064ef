"""The drill file format: TOML in, a checked `Drill` out, or one line naming file, line and key.

The file's tables are documented in `console.drills` (the package docstring). This module reads
`[drill]`, the `[[steps]]` (commands of the command language, their names checked against the
cluster) and the cluster, named by file or embedded; each `[[expect]]` sentence it hands to the
`ExpectationReader` its caller gives (the expectation language belongs to `console.drills`), so
that a bad sentence is reported, like every other problem, in file order on its own line.

Errors follow the cluster files' rule through the toolkit both share (`console.formats.toml`): the
first problem in file order is a `ConfigError` (an `InputError`) whose `str()` is
`file:line: key: message`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from console.formats.cluster import parse_cluster
from console.formats.cluster.schema import SECTIONS as CLUSTER_SECTIONS
from console.formats.timed import MAX_TIME_S
from console.formats.toml import (
    Between,
    ConfigError,
    Integer,
    Key,
    Problem,
    at,
    bare,
    boolean,
    entries,
    identifier,
    label,
    listing,
    located,
    parse_toml,
    read_file,
    read_table,
    show,
    string,
    table_header,
)
from console.model.cluster import Cluster
from console.model.commands import (
    CLOCK_COMMANDS,
    Command,
    CommandError,
    FailNode,
    Failover,
    Isolate,
    PowerOff,
)
from console.model.commands import parse as parse_command
from console.model.seeds import MAX_SEED

DRILL_SECTIONS = ("drill", "steps", "expect")
#: Steps that open an incident, whose recovery time the report gives.
INCIDENT_COMMANDS = (FailNode, PowerOff, Isolate, Failover)

_DRILL_KEYS = {
    "name": Key(identifier, required=True),
    "description": Key(string),
    "cluster": Key(string),
    "seed": Key(Integer(0, MAX_SEED)),
    "duration_s": Key(Between(0, MAX_TIME_S, "s", above=True), required=True),
    "interactive": Key(boolean),
    "hold_clock": Key(boolean),
}
_STEP_KEYS = {
    "at": Key(Between(0, MAX_TIME_S, "s"), required=True),
    "do": Key(string, required=True),
    "name": Key(identifier),
}
_EXPECT_KEYS = {"that": Key(string, required=True), "name": Key(label)}

#: What the caller makes of one `[[expect]]` entry.
E = TypeVar("E")


@dataclass
class Step:
    """One `[[steps]]` entry: `command` submitted at `at` simulated seconds."""

    index: int          # 0-based, in file order (which is time order)
    at: float
    command: Command
    name: str | None = None

    @property
    def number(self) -> int:
        """1-based, as expectations and reports count steps."""
        return self.index + 1

    @property
    def clock(self) -> bool:
        """A command for the console's clock (speed, pause, resume), skipped headless."""
        return isinstance(self.command, CLOCK_COMMANDS)

    @property
    def incident(self) -> bool:
        """A step that opens an incident (`INCIDENT_COMMANDS`)."""
        return isinstance(self.command, INCIDENT_COMMANDS)


class ExpectationReader(Protocol[E]):
    """Makes one `[[expect]]` entry into what the caller checks (console.drills: an expectation
    resolved against the drill)."""

    def __call__(self, index: int, that: str, name: str, steps: list[Step], duration: float,
                 cluster: Cluster) -> E:
        """Entry `index` (0-based): its sentence `that` and its `name` ("" when not given),
        read against the drill's steps, `duration` (simulated seconds) and cluster. Raises
        `Problem` (key "" for the sentence itself) when the sentence is bad."""
        ...


@dataclass
class Drill(Generic[E]):
    """A checked drill file: its `[drill]` table, its steps in time order, its expectations as
    the `ExpectationReader` made them, and its cluster (named by file, or embedded)."""

    path: str
    name: str
    description: str
    seed: int
    duration: float
    steps: list[Step]
    expectations: list[E]
    cluster_file: str            # the cluster file as the drill names it, or the drill itself
    cluster_text: str            # text to parse (an embedded cluster: the drill, other lines
                                 # blanked, so error lines match the drill file)
    recorded_cluster_text: str   # the cluster file alone, as a recording embeds it
    cluster_name: str = ""
    embedded: bool = False
    #: The operator must act (the fix is not in the steps): headless, the drill passes only
    #: with the operator's commands given (`drill --do`).
    interactive: bool = False
    source: str = ""             # the drill file's text

    def self_contained_text(self) -> str:
        """The drill as one file that needs no other (what a recording embeds, so that a
        replay shows the drill panel): the drill's text with its cluster embedded in place of
        the `cluster = ...` key naming a file."""
        if self.embedded:
            return self.source
        kept: list[str] = []
        top = ""
        for line in self.source.splitlines():
            header = table_header(line)
            if header is not None:
                top = header[1].split(".")[0]
            if top == "drill" and line.split("=")[0].strip() == "cluster":
                continue
            kept.append(line)
        return "\n".join(kept).rstrip("\n") + "\n\n" + self.recorded_cluster_text
    hold_clock: bool = True      # the console's clock holds while a dialog is open (timed: off)

    def build_cluster(self) -> Cluster:
        """A fresh cluster for one run (runs change their cluster). Raises `ConfigError` if
        the cluster file changed since the drill was loaded, or if a cluster too big to place
        at loading (console.formats.cluster.quick_to_place) cannot be placed."""
        return parse_cluster(self.cluster_text, self.cluster_file)


# -- loading ----------------------------------------------------------------------------------


def load_drill_file(path: str | Path, read: ExpectationReader[E]) -> Drill[E]:
    """Read and check the drill file at `path`, each `[[expect]]` made by `read`.

    Raises `ConfigError` (an `InputError`, `file:line: key: message`): the first problem in
    file order, a cluster file it names included.
    """
    return parse_drill_file(read_file(path), str(path), read)


def is_drill(text: str, filename: str) -> bool:
    """Whether the TOML text is a drill file (it has a `[drill]` table) rather than a cluster
    file. Raises `ConfigError` for text that is not TOML."""
    return "drill" in parse_toml(text, filename)


def parse_drill_file(text: str, filename: str, read: ExpectationReader[E]) -> Drill[E]:
    """`load_drill_file` on a drill file's text; `filename` names it in errors and anchors the
    cluster file it names."""
    document = parse_toml(text, filename)
    with located(text, filename):
        return _parse(document, text, filename, read)


@dataclass(frozen=True)
class DrillSource:
    """A drill file's `[drill]` table read and its cluster's text found, the cluster not yet
    checked: what a big drill's console needs before its loading screen (the cluster is
    checked behind it, with the rest of the drill)."""

    path: str
    name: str
    cluster_file: str            # as `Drill.cluster_file`
    cluster_text: str            # as `Drill.cluster_text`


def read_drill_source(path: str | Path) -> DrillSource:
    """The drill file at `path` as far as its cluster's text. Raises `ConfigError` for the
    first problem up to there, as `load_drill_file` would."""
    filename = str(path)
    text = read_file(path)
    document = parse_toml(text, filename)
    with located(text, filename):
        head, embedded = _head(document)
        cluster_file, cluster_text, _ = _cluster(head, embedded, document, text, filename)
    return DrillSource(filename, head["name"], cluster_file, cluster_text)


def _head(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The checked `[drill]` table, and the cluster sections the drill embeds."""
    for section in document:
        if section not in DRILL_SECTIONS and section not in CLUSTER_SECTIONS:
            raise Problem(bare(section),
                          f"unknown section (drill: {', '.join(DRILL_SECTIONS)}; an embedded "
                          f"cluster: {', '.join(CLUSTER_SECTIONS)})")
    if "drill" not in document:
        raise Problem("drill", "required section [drill] is missing")
    with at("drill"):
        head = read_table(document["drill"], _DRILL_KEYS)
    return head, [s for s in document if s in CLUSTER_SECTIONS]


def _parse(document: dict[str, Any], text: str, filename: str,
           read: ExpectationReader[E]) -> Drill[E]:
    head, embedded = _head(document)
    cluster_file, cluster_text, recorded = _cluster(head, embedded, document, text, filename)
    cluster = _checking_cluster(cluster_text, cluster_file)
    duration = head["duration_s"]
    steps = _steps(document.get("steps", []), duration, cluster)
    expectations = _expectations(document.get("expect"), steps, duration, cluster, read)
    return Drill(path=filename, name=head["name"], description=head.get("description", ""),
                 seed=head.get("seed", 0), duration=duration, steps=steps,
                 expectations=expectations, cluster_file=cluster_file, cluster_text=cluster_text,
                 recorded_cluster_text=recorded, cluster_name=cluster.name,
                 embedded=bool(embedded), interactive=head.get("interactive", False),
                 source=text, hold_clock=head.get("hold_clock", True))


def _cluster(head: dict[str, Any], embedded: list[str], document: dict[str, Any], text: str,
             filename: str) -> tuple[str, str, str]:
    """(cluster file name, text to parse, text to record)."""
    if "cluster" in head:
        if embedded:
            raise Problem("drill.cluster", "names a cluster file, but the drill also embeds "
                                           f"[{embedded[0]}]; use one or the other")
        relative = head["cluster"]
        path = os.path.normpath(os.path.join(os.path.dirname(filename), relative))
        try:  # a regular file only: a FIFO would block
            cluster_text = read_file(path)
        except ConfigError as error:
            why = error.message.removeprefix("cannot read: ")
            raise Problem("drill.cluster", f"cannot read {show(relative)} ({path}): "
                                           f"{why}") from None
        return path, cluster_text, cluster_text
    if not embedded:
        raise Problem("drill.cluster", "required: a cluster file (relative to this drill), "
                                       "unless the drill embeds [cluster] and [[nodes]]")
    blanked, alone = _split(text)
    wanted = {k: v for k, v in document.items() if k not in DRILL_SECTIONS}
    for candidate in (blanked, alone):
        try:
            same = parse_toml(candidate, filename) == wanted
        except ConfigError:
            same = False
        if not same:
            raise Problem("drill", "cannot separate the embedded cluster from the drill's own "
                                   "sections (a multi-line string that looks like a table "
                                   "header?); put the cluster in its own file")
    return filename, blanked, alone


def _checking_cluster(text: str, filename: str) -> Cluster:
    """The drill's cluster, for the names its steps and expectations use: placed when that is
    quick (its errors are then the drill file's), else not: a big cluster is placed when the
    drill runs (the console's loading screen shows meanwhile)."""
    return parse_cluster(text, filename, place=None)


def _split(text: str) -> tuple[str, str]:
    """The cluster part of a drill file: with drill lines blanked (same line numbers), and
    alone (what a recording embeds)."""
    blanked: list[str] = []
    alone: list[str] = []
    top = ""
    for line in text.splitlines():
        header = table_header(line)
        if header is not None:
            top = header[1].split(".")[0]
        if top in DRILL_SECTIONS:
            blanked.append("")
        else:
            blanked.append(line)
            alone.append(line)
    return "\n".join(blanked) + "\n", "\n".join(alone).strip("\n") + "\n"


def _steps(raw: Any, duration: float, cluster: Cluster) -> list[Step]:
    with at("steps"):
        entries(raw, "steps")
    steps: list[Step] = []
    names: set[str] = set()
    deployed: set[str] = set()
    for i, entry in enumerate(raw):
        with at(f"steps[{i}]"):
            values = read_table(entry, _STEP_KEYS)
            when = values["at"]
            if when > duration:
                raise Problem(".at", f"{when:g} s is after the end of the drill "
                                     f"(duration_s = {duration:g})")
            if steps and when < steps[-1].at:
                raise Problem(".at", f"{when:g} s is before step {i}'s time "
                                     f"({steps[-1].at:g} s); list steps in time order")
            try:
                command = parse_command(values["do"])
            except CommandError as error:
                raise Problem(".do", str(error)) from None
            with at(".do"):
                _check_names(command, cluster, deployed)
            name = values.get("name")
            if name is not None:
                if name.isdigit():
                    raise Problem(".name", "must not be a number (expectations say 'step 2' "
                                           "for the second step)")
                if name in names:
                    raise Problem(".name", f"duplicate step name {show(name)}")
                names.add(name)
            steps.append(Step(i, when, command, name))
    return steps


def _check_names(command: Command, cluster: Cluster, deployed: set[str]) -> None:
    for param in command.params:
        value = getattr(command, param.name)
        if not isinstance(value, str):
            continue
        if param.kind in ("node", "keyword-node") and value not in cluster.nodes:
            raise Problem("", f"{command.verb}: unknown node {show(value)} "
                              f"(nodes: {listing(list(cluster.nodes))})")
        if param.kind == "vm" and value not in cluster.vms and value not in deployed:
            raise Problem("", f"{command.verb}: unknown VM {show(value)}")
        if param.kind == "service" and value not in cluster.services:
            raise Problem("", f"{command.verb}: unknown service {show(value)} "
                              f"(services: {', '.join(cluster.services) or 'none'})")
        if param.kind == "target" and value not in cluster.vms and value not in cluster.nodes:
            raise Problem("", f"{command.verb}: {show(value)} is neither a VM nor a node")
        if param.kind == "name":
            deployed.add(value)


def _expectations(raw: Any, steps: list[Step], duration: float, cluster: Cluster,
                  read: ExpectationReader[E]) -> list[E]:
    if raw is None:
        raise Problem("expect", "at least one [[expect]] entry is required (a drill without "
                                "expectations would always pass)")
    with at("expect"):
        entries(raw, "expect", non_empty=True)
    found = []
    for i, entry in enumerate(raw):
        with at(f"expect[{i}]"):
            values = read_table(entry, _EXPECT_KEYS)
            with at(".that"):
                found.append(read(i, values["that"], values.get("name", ""), steps, duration,
                                  cluster))
    return found
