"""Sources (console.sources): the embedded model from a cluster file, and the `--local` machine
whose psutil readings enter the session as `reading` commands, polled off the session's thread.
The polling thread is given a stand-in sampler and a `post` that queues what it hands over; the
test waits on a condition, never on time."""

from __future__ import annotations

import threading

import pytest

from console.formats.toml import ConfigError
from console.model.commands import LocalReading, parse
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS
from console.session import OBSERVATION, Session
from console.sources.base import Source
from console.sources.local import LocalSource, Sample
from console.sources.sim import SimSource

SEED = SAMPLE_CLUSTERS / "seed.toml"


def test_the_sim_source_builds_the_file_and_supports_every_command(tmp_path):
    source: Source = SimSource(SEED)
    cluster = source.build()
    assert list(cluster.nodes) == ["A", "B", "C"]
    assert source.supports(parse("fail-node B"))
    source.start(Session(Engine(cluster)), lambda call: call())  # nothing to observe
    source.stop()
    bad = tmp_path / "bad.toml"
    bad.write_text("[cluster]\nname = 1\n")
    with pytest.raises(ConfigError):
        SimSource(bad).build()


def test_the_sim_source_given_the_files_text_builds_from_it_and_reads_nothing(tmp_path):
    """The console reads a cluster file once (a 40,000-VM file is 6.6 MB): the source builds
    from the text the command line read, errors still naming the file."""
    gone = tmp_path / "seed.toml"  # no such file: nothing is read
    cluster = SimSource(gone, SEED.read_text()).build()
    assert list(cluster.nodes) == ["A", "B", "C"]
    assert sorted(cluster.vms) == sorted(SimSource(SEED).build().vms)
    with pytest.raises(ConfigError, match=r"seed\.toml:2"):
        SimSource(gone, "[cluster]\nname = 1\n").build()


class ScriptedSampler:
    """Stands in for LocalSampler: the same reading every time, counted."""

    def __init__(self) -> None:
        self.count = 0

    def sample(self, processes: bool = False, top: int = 5) -> Sample:
        self.count += 1
        return Sample(0.25, 0.5, 0.125, [("python", 10.0, 1.0)] if processes else [])


def local_session() -> tuple[LocalSource, Session]:
    source = LocalSource(SimSource(SEED))
    cluster = source.build()
    local = cluster.local_node()
    assert local is not None and local.name not in ("A", "B", "C")
    return source, Session(Engine(cluster), read_only=True)


def test_the_local_source_adds_this_machine_and_submits_readings_as_observations():
    source, session = local_session()
    heard = []
    session.add_listener(heard.append)
    source.attach(session)
    source.submit(Sample(0.42, 0.5, 0.1, [("python", 12.0, 3.0)]))
    (entry,) = heard
    assert entry.source == OBSERVATION and entry.outcome.accepted  # read-only lets it in
    assert entry.command == LocalReading(source.node, 0.42, 0.5, 0.1)
    assert source.processes == [("python", 12.0, 3.0)]


def test_a_refused_reading_stops_the_readings():
    source, session = local_session()
    source.attach(session)
    node = source.node
    session.engine.cluster.nodes[node].local = False  # the model no longer takes its readings
    heard = []
    session.add_listener(heard.append)
    source.submit(Sample(0.1, 0.1, 0.1))
    source.submit(Sample(0.2, 0.2, 0.2))
    assert len(heard) == 1 and not heard[0].outcome.accepted and source.node is None


def test_polling_runs_in_its_own_thread_and_posts_to_the_sessions_thread():
    sampler = ScriptedSampler()
    source = LocalSource(SimSource(SEED), sampler=lambda: sampler)
    session = Session(Engine(source.build()))
    posted: list = []
    threads: set[threading.Thread] = set()
    arrived = threading.Event()

    def post(call) -> None:  # the console passes App.call_from_thread
        threads.add(threading.current_thread())
        posted.append(call)
        arrived.set()

    source.start(session, post)
    assert arrived.wait(timeout=10)
    for call in list(posted):
        call()  # on this (the session's) thread
    source.stop()
    assert threading.main_thread() not in threads
    readings = [c for _, c in session.engine.command_log if isinstance(c, LocalReading)]
    assert readings and readings[0] == LocalReading(source.node, 0.25, 0.5, 0.125)
    assert source.processes == [("python", 10.0, 1.0)]


def test_no_thread_without_a_local_node():
    source = LocalSource(SimSource(SEED))
    session = Session(Engine(SimSource(SEED).build()))
    source.start(session, lambda call: call())
    assert source.node is None and source._thread is None
