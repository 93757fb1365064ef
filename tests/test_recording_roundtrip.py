"""Every recording the program writes replays: any sequence of command lines typed into a
session (accepted, refused by the model, or not commands at all), with waits, clock commands
and marks, recorded through the real Session -> Recorder path, reads back (`parse_recording`)
and replays (headless and through the replay player) to the very same event log.

Names are drawn from the cluster's own and from the ones that broke recordings: spaces,
quotes, apostrophes, non-ASCII, control characters, bidirectional overrides, overlong names."""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.formats.cluster import parse_cluster
from console.formats.recording import Recorder, parse_recording
from console.model.commands import CommandError, parse
from console.model.engine import Engine
from console.model.names import label_problem
from console.paths import SAMPLE_CLUSTERS
from console.replay import ReplayPlayer, replay_headless, replay_session
from console.session import Session

CLUSTERS = {name: (SAMPLE_CLUSTERS / f"{name}.toml").read_text()
            for name in ("seed", "xenserver")}
ODD_NAMES = ["B C", "my vm", "it's", '"q"', "a\\b", "💥boom", "é", "x" * 65, "A\n", "\x1b[2J",
             "\x00", "\u202eA", "-x", "on", "", " "]
NODES = {"seed": ["A", "B", "C"], "xenserver": ["xs01", "xs02", "xs03", "xs04"]}
VMS = {"seed": ["web01", "sql01", "exch02", "mon01"], "xenserver": ["web01", "sql01", "dc02"]}
SERVICES = {"seed": ["sql", "exchange", "iis"], "xenserver": ["exchange", "sql"]}
IMAGES = ["win2008", "win2008+iis7", "sles11+apache", "win2003+sql2005+iis7", "nope", "win2008+"]


def words_of(draw, cluster: str) -> list[str]:
    """One command's words: a verb and arguments from the cluster's names or odd ones."""
    def name(pool: list[str]) -> str:
        return draw(st.sampled_from([*pool, "ghost", *ODD_NAMES]))

    node, vm = name(NODES[cluster]), name(VMS[cluster])
    onoff = draw(st.sampled_from(["on", "off", "maybe"]))
    number = draw(st.one_of(st.floats(0, 4000, allow_nan=False),
                            st.sampled_from(["1e308", "-1", "nan", "4", "0.1"])))
    choices = [
        ["fail-node", node], ["power-off", node], ["power-on", node], ["isolate", node],
        ["reconnect", node], ["maintenance", node, onoff], ["maintenance", node, onoff, "--force"],
        ["vm-power", vm, onoff],
        ["migrate", vm], ["migrate", vm, node], ["failover", name(SERVICES[cluster])],
        ["failover", name(SERVICES[cluster]), node], ["rebalance"], ["rebalance", "--dry-run"],
        ["add-node", name(["D", "xs05", "new-host"])], ["add-node", "E", node],
        ["deploy", name(["web09", "app07"]), draw(st.sampled_from(IMAGES))],
        ["deploy", name(["web09"]), draw(st.sampled_from(IMAGES)), "on", node],
        ["publish-image", draw(st.sampled_from(IMAGES))],
        ["reading", node, *(repr(draw(st.floats(0, 1))) for _ in range(3))],
        ["speed", str(number)], ["pause"], ["resume"],
    ]
    return [str(word) for word in draw(st.sampled_from(choices))]


@st.composite
def session_steps(draw, cluster: str) -> list[tuple[str, str | float]]:
    """Steps: ("wait", seconds), ("line", a command line as typed), ("mark", a label)."""
    steps: list[tuple[str, str | float]] = []
    for _ in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from(["wait", "line", "line", "line", "typed", "mark"]))
        if kind == "wait":
            steps.append(("wait", draw(st.sampled_from([0.0, 0.5, 3.0, 17.25, 60.0, 240.0]))))
        elif kind == "mark":
            steps.append(("mark", draw(st.sampled_from(["after crash", "💥 here", "a\nb",
                                                          "\x1b[31m", "\u202e"]))))
        else:
            words = words_of(draw, cluster)
            # A careful operator quotes each word; a careless one types them as they are.
            quoted = draw(st.booleans()) if kind == "line" else False
            steps.append(("line", shlex.join(words) if quoted else " ".join(words)))
    return steps


def run_session(cluster: str, seed: int, read_only: bool, steps, path: Path) -> Engine:
    """What the console does: each line parsed (a line that is not a command is shown, not
    submitted), submitted to the session, heard by its recorder; marks with a bad label are
    refused by the console; the session closed at the end."""
    engine = Engine(parse_cluster(CLUSTERS[cluster], f"{cluster}.toml"), seed)
    session = Session(engine, read_only=read_only)
    session.record(Recorder(path, seed=seed, cluster_file=f"{cluster}.toml",
                            cluster=CLUSTERS[cluster], created_by="console",
                            read_only=read_only))
    for kind, value in steps:
        if kind == "wait":
            session.advance(float(value))
        elif kind == "mark":
            if label_problem(str(value)) is None:
                session.mark(str(value))
        else:
            try:
                command = parse(str(value))
            except CommandError:
                continue
            session.submit(command)
    session.close()
    return engine


def events(engine: Engine) -> list[dict]:
    return [event.as_dict() for event in engine.log.events]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), cluster=st.sampled_from(sorted(CLUSTERS)),
       seed=st.integers(0, 2**32 - 1), read_only=st.booleans())
def test_any_recorded_session_replays_to_the_same_event_log(data, cluster, seed, read_only):
    steps = data.draw(session_steps(cluster))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "session.jsonl"
        live = run_session(cluster, seed, read_only, steps, path)
        recording = parse_recording(path.read_text(encoding="utf-8"), str(path))
    # Every command the model heard is in the recording, as the same command.
    assert [c for _, c in recording.commands()] == [c for _, c in live.command_log]
    assert events(replay_headless(recording)) == events(live)
    session = replay_session(recording)
    player = ReplayPlayer(session, recording)
    player.advance_to(recording.duration)
    assert events(session.engine) == events(live)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.one_of(st.sampled_from(["fail-node", "deploy", "on", "failover",
                                                 "reading", "speed", "rebalance", "--dry-run",
                                                 "maintenance", "off", "win2008+iis7", *ODD_NAMES]),
                                st.text(max_size=8), st.floats().map(repr)),
                      min_size=1, max_size=6),
       quoted=st.booleans())
def test_a_command_that_parses_reads_back_from_its_text_as_itself(words, quoted):
    line = shlex.join(words) if quoted else " ".join(words)
    try:
        command = parse(line)
    except CommandError:
        return
    assert parse(command.text()) == command
