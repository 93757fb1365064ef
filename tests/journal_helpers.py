"""Helpers for the journal tests: a seed-cluster Session journaling to a file (in-process,
paused clock, driven by hand) and an interactive drill's leader, as `cluster-console` and
`drill --interactive` journal theirs; and the ways a journal file is spoilt, one function each,
that the refusal tests apply to a good journal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from console.drills import load_drill
from console.drills.live import LiveDrill, drill_session
from console.formats.cluster import parse_cluster
from console.formats.journal import JournalWriter
from console.formats.toml import read_file
from console.model.engine import Engine
from console.paths import DEFAULT_CLUSTER, SAMPLE_CLUSTERS
from console.session import Session

SEED_TEXT = read_file(DEFAULT_CLUSTER)
NODE_CRASH = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"


def seed_session(seed: int = 7) -> Session:
    """A session on the seed cluster (`seed.toml`) with the model's `seed`, paused, no
    journal."""
    return Session(Engine(parse_cluster(SEED_TEXT, "seed.toml"), seed), paused=True)


def seed_header(seed: int = 7, *, created_by: str = "console", local_node: str | None = None,
                drill: str | None = None) -> dict[str, object]:
    """The journal header (the `Recorder`'s keyword arguments) of a seed-cluster session with
    `seed`: `local_node` as a --local session's, `drill` the name a drill's header carries."""
    header: dict[str, object] = {"seed": seed, "cluster_file": "seed.toml",
                                 "cluster": SEED_TEXT, "created_by": created_by}
    if local_node is not None:
        header["local_node"] = local_node
    if drill is not None:
        header["drill"] = drill
    return header


def journaled_session(path: Path, seed: int = 7, *, created_by: str = "console",
                      local_node: str | None = None, drill: str | None = None,
                      synced: bool = False) -> tuple[Session, JournalWriter]:
    """`seed_session(seed)` journaling to `path` (a new file) with `seed_header`'s header;
    committed once at 0 s when `synced` (as a leader is, for its followers to find it). Raises
    `JournalError` when `path` exists."""
    session = seed_session(seed)
    journal = JournalWriter(path, events=session.engine.log.events,
                            header=seed_header(seed, created_by=created_by,
                                               local_node=local_node, drill=drill))
    session.keep_journal(journal)
    if synced:
        journal.sync(0.0)
    return session, journal


def drill_leader(path: Path, report: Path) -> tuple[LiveDrill, JournalWriter]:
    """An interactive node-crash drill, paused, journaling to `path` with its drill embedded
    (committed once at 0 s, its first steps run); its report goes to `report`."""
    drill = load_drill(NODE_CRASH)
    session = drill_session(drill, paused=True)
    journal = JournalWriter(path, events=session.engine.log.events,
                            header={"seed": drill.seed, "cluster_file": drill.cluster_file,
                                    "cluster": drill.recorded_cluster_text,
                                    "created_by": "drill", "drill": drill.name,
                                    "traces": session.engine.cluster.traces,
                                    "drill_file": drill.self_contained_text()})
    session.keep_journal(journal)
    live = LiveDrill(session, drill, report)
    live.start()
    journal.sync(0.0)
    return live, journal


def run(session: Session, seconds: int) -> None:
    """The leader's clock going on `seconds` simulated seconds, a second at a time (as the
    console steps it), each step journaled as time passing."""
    for _ in range(seconds):
        session.run_for(1)


# -- spoiling a good journal ---------------------------------------------------------------------


def not_sqlite(path: Path) -> None:
    """`path` overwritten by a line of text."""
    path.write_text("hello\n")


def foreign(path: Path) -> None:
    """`path` replaced by an SQLite database of another program (a table `notes`)."""
    path.unlink()
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (text TEXT)")
    connection.close()


def newer(path: Path, version: int = 2) -> None:
    """The journal at `path` marked as written in the newer journal format `version`."""
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {version}")
    connection.close()


def damaged(path: Path) -> None:
    """Bytes 200 to 4000 of `path` overwritten (its SQLite pages broken)."""
    data = bytearray(path.read_bytes())
    data[200:4000] = b"\xff" * 3800
    path.write_bytes(bytes(data))
