"""Helpers for the followers' tests: a leader Session journaling to a file (in-process, paused
clock, driven by hand), as `cluster-console` and `drill --interactive` journal theirs."""

from __future__ import annotations

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


def leader(path: Path, seed: int = 7) -> tuple[Session, JournalWriter]:
    """A console session on the seed cluster, paused, journaling to `path` (committed once)."""
    session = Session(Engine(parse_cluster(SEED_TEXT, "seed.toml"), seed), paused=True)
    journal = JournalWriter(path, events=session.engine.log.events,
                            header={"seed": seed, "cluster_file": "seed.toml",
                                    "cluster": SEED_TEXT, "created_by": "console"})
    session.keep_journal(journal)
    journal.sync(0.0)
    return session, journal


def drill_leader(path: Path, report: Path) -> tuple[LiveDrill, JournalWriter]:
    """An interactive node-crash drill, paused, journaling to `path` with its drill embedded."""
    drill = load_drill(NODE_CRASH)
    session = drill_session(drill, paused=True)
    journal = JournalWriter(path, events=session.engine.log.events,
                            header={"seed": drill.seed, "cluster_file": drill.cluster_file,
                                    "cluster": drill.recorded_cluster_text,
                                    "created_by": "drill", "drill": drill.name,
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
