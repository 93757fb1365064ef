"""The replay player (console.replay): a recording played into a Session as its entries fall due,
stepped entry by entry, the operator refused, the recorded speed applied (noted only when the
viewer fixed the speed). A session
recorded through its listeners replays to the very same event log. No Textual."""

from __future__ import annotations

from cluster_helpers import make_engine

from console.formats.event_log import render_text
from console.formats.recording import Recorder, load_recording
from console.model.commands import Speed, parse
from console.paths import SAMPLE_CLUSTERS
from console.replay import NOT_APPLIED, ReplayPlayer, replay_headless, replay_session
from console.session import REPLAY, Session

SEED = SAMPLE_CLUSTERS / "seed.toml"


def recorded_session(path) -> Session:
    """A live session, recorded: a crash, a speed change, a mark, a migration, a refusal."""
    session = Session(make_engine())
    session.record(Recorder(path, seed=0, cluster_file=str(SEED), cluster=SEED.read_text(),
                            created_by="console"))
    session.advance(30)
    session.submit(parse("fail-node B"))
    session.submit(Speed(4))
    session.advance(30)
    session.mark("B is down")
    session.submit(parse("migrate web01 C"))
    session.submit(parse("power-on A"))  # refused: A is on
    session.advance(60)
    session.close()
    return session


def test_playing_to_the_end_gives_the_recorded_log(tmp_path):
    live = recorded_session(tmp_path / "r.jsonl")
    recording = load_recording(tmp_path / "r.jsonl")
    session = replay_session(recording)
    ends: list[float] = []
    player = ReplayPlayer(session, recording, on_end=lambda: ends.append(session.now))
    heard = []
    session.add_listener(heard.append)
    player.start()
    while not player.ended:
        session.advance(7.3)
    assert session.now == 120.0 and ends == [120.0] and session.clock.paused
    assert render_text(session.engine) == render_text(live.engine)
    assert render_text(replay_headless(recording)) == render_text(live.engine)
    assert session.clock.speed == 4.0  # the recorded `speed 4` is applied: one clock
    assert [h.command.text() for h in heard] == ["fail-node B", "speed 4", "migrate web01 C",
                                                 "power-on A"]
    assert {h.source for h in heard} == {REPLAY}
    assert (player.applied, player.commands) == (3, 3)
    assert player.last is not None and player.last[1].startswith("refused: ")


def test_a_fixed_speed_holds_and_the_recorded_speed_is_only_noted(tmp_path):
    recorded_session(tmp_path / "r.jsonl")
    recording = load_recording(tmp_path / "r.jsonl")
    session = replay_session(recording, speed=60.0)
    player = ReplayPlayer(session, recording, follow_speed=False)
    notes = []
    while (entry := player.step()) is not None:
        if entry.kind == "clock":
            notes.append((entry.text, player.last[1] if player.last else None))
    assert notes == [("speed 4", NOT_APPLIED)]
    assert session.clock.speed == 60.0


def test_step_pauses_and_plays_one_entry_at_a_time(tmp_path):
    recorded_session(tmp_path / "r.jsonl")
    recording = load_recording(tmp_path / "r.jsonl")
    session = replay_session(recording)
    marks = []
    player = ReplayPlayer(session, recording, on_mark=lambda e: marks.append(e.text))
    kinds = []
    while (entry := player.step()) is not None:
        kinds.append((entry.t, entry.kind))
        assert session.clock.paused
    assert kinds == [(30.0, "command"), (30.0, "clock"), (60.0, "mark"), (60.0, "command"),
                     (60.0, "command")]
    assert marks == ["B is down"] and player.ended and session.now == 120.0


def test_the_operator_is_refused_but_drives_the_clock(tmp_path):
    recorded_session(tmp_path / "r.jsonl")
    recording = load_recording(tmp_path / "r.jsonl")
    session = replay_session(recording, paused=True)
    player = ReplayPlayer(session, recording)
    refused = session.submit(parse("maintenance C on"))
    assert not refused.accepted and "this is a replay of" in refused.reason
    assert session.engine.command_log == []
    assert session.submit(parse("resume")).accepted and session.submit(Speed(8)).accepted
    player.advance_to(1000)
    assert player.ended
    assert session.submit(parse("resume")).reason == "the replay is at its end; q quits"
