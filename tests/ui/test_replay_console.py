"""Recording a console session (`--record`) and replaying it in the console (`replay FILE`).

A session driven by keys (Pilot, paused clock) records every command with its simulated time;
its headless replay prints the session's event log byte for byte (also with `--local`, whose node
the recording embeds). In the console, a replay plays the commands back through
the session's door, steps (s), pauses (space), changes speed (+/-), shows its progress, and refuses
every mutating key and typed command with the reason."""

from __future__ import annotations

import json

from ui_helpers import make_app, make_session, notes, seed_engine, select_node, select_vm

from console.cli import main
from console.formats.cluster import load_cluster
from console.formats.event_log import render_json, render_text
from console.formats.recording import Recorder, load_recording
from console.model.commands import LocalReading, parse
from console.model.engine import Engine
from console.model.entities import Node, NodeState
from console.paths import SAMPLE_CLUSTERS
from console.replay import ReplayPlayer, replay_headless, replay_session
from console.ui.launch import console_recorder
from console.ui.replay import ReplayMode
from console.ui.widgets.replay import ReplayBar

SEED = SAMPLE_CLUSTERS / "seed.toml"






def recorded_app(path, engine=None, read_only: bool = False, **options):
    """The console on a session recorded to `path` as `cluster-console --record` records."""
    session = make_session(engine, read_only=read_only, **options)
    session.record(console_recorder(path, session.engine, cluster_file=str(SEED),
                                    cluster_text=SEED.read_text(), read_only=read_only))
    return make_app(session=session)


async def keyed_session(path, **options):
    """A session driven by keys: crash, maintenance, a migration picked in the dialog, a typed
    failover, a refused command, speed keys; then q."""
    app = recorded_app(path, **options)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.advance(12.5)
        await select_node(pilot, "B")
        await pilot.press("x")  # crash B (no confirmation in tests)
        await pilot.press("plus", "plus", "minus")  # clock commands: recorded as clock lines
        app.advance(61.25)
        await pilot.press("colon", *"mark B down", "enter")  # a moment for replay --svg
        await select_node(pilot, "C")
        await pilot.press("m")
        app.advance(30)
        await select_node(pilot, "A")
        await select_vm(pilot, "dc01")
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("a")  # the balancer chooses
        await pilot.pause()
        await pilot.press("colon", *"failover sql", "enter")
        await pilot.press("colon", *"power-on A", "enter")  # refused: A is on
        await pilot.pause()
        app.advance(97.75)
        await select_node(pilot, "B")
        await pilot.press("r")
        app.advance(200)
        await pilot.press("q")
        await pilot.pause()
    return app


async def test_a_keyed_session_replays_headless_to_an_identical_event_log(tmp_path, capsys):
    rec = tmp_path / "session.jsonl"
    app = await keyed_session(rec)
    lines = [json.loads(line) for line in rec.read_text().splitlines()]
    header, body = lines[0], lines[1:]
    assert header["created_by"] == "console" and header["cluster"] == SEED.read_text()
    assert [line.get("clock") for line in body if "clock" in line] == \
        ["speed 2", "speed 4", "speed 2"]
    commands = [line["command"] for line in body if "command" in line]
    assert commands[0] == "fail-node B" and "power-on A" in commands
    assert {"t": 73.75, "mark": "B down"} in body
    assert body[-1] == {"t": app.engine.now, "end": True}  # q wrote the end line
    recording = load_recording(rec)
    replayed = replay_headless(recording)
    assert render_text(replayed) == render_text(app.engine)
    assert render_json(replayed) == render_json(app.engine)
    assert main(["replay", str(rec), "--headless"]) == 0
    assert capsys.readouterr().out == render_text(app.engine)


async def test_a_read_only_session_records_its_refusals(tmp_path):
    rec = tmp_path / "ro.jsonl"
    app = recorded_app(rec, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(10)
        await select_node(pilot, "A")
        await pilot.press("x", "m")
        app.advance(5)
        await pilot.press("q")
        await pilot.pause()
    recording = load_recording(rec)
    assert recording.read_only
    assert [c.text() for _, c in recording.commands()] == ["fail-node A", "maintenance A on"]
    assert render_text(replay_headless(recording)) == render_text(app.engine)


def local_node() -> Node:
    """A stand-in for `build_node()`: this machine as psutil would describe it."""
    return Node(name="here", hypervisor="kvm", cpus=1, cores_per_cpu=8, mhz=2900,
                memory_gb=31.3, disks_gb=(476.9, 1863.0), nics_gbps=(1.0, 10.0),
                disk_mbps=400.0, local=True)


async def test_a_local_session_embeds_its_node_and_replays_identically(tmp_path):
    from console.sources.local import LocalSource, Sample
    from console.sources.sim import SimSource

    cluster = load_cluster(SEED)
    cluster.add_node(local_node())  # as launch does for --local
    engine = Engine(cluster, 0)
    rec = tmp_path / "local.jsonl"
    app = recorded_app(rec, engine)
    source = LocalSource(SimSource(SEED))
    source.attach(app.session)  # no psutil thread: readings are handed in below
    async with app.run_test(size=(120, 40)) as pilot:
        for k in range(5):
            app.advance(1.0)
            source.submit(Sample(0.1 * (k + 1), 0.5, 0.02))
        await select_node(pilot, "here")
        await pilot.press("m")  # the local node into maintenance
        app.advance(20)
        await pilot.press("q")
        await pilot.pause()
    recording = load_recording(rec)
    assert recording.local_node == "here"
    assert recording.cluster.startswith(SEED.read_text().rstrip("\n"))
    assert '[[nodes]]\nname = "here"\nhypervisor = "kvm"' in recording.cluster
    assert sum(isinstance(c, LocalReading) for _, c in recording.commands()) == 5
    replayed = replay_headless(recording)
    assert render_text(replayed) == render_text(app.engine)
    assert "refused" not in render_text(replayed)  # the readings were taken, not refused
    assert replayed.readings.latest["here"].cpu == 0.5
    node = replayed.cluster.nodes["here"]
    assert node.local and node.disks_gb == (476.9, 1863.0) and node.nics_gbps == (1.0, 10.0)


def a_recording(path, *dos: str, end: float = 300.0, marks=()):
    """A recording of commands at times, as a console session would write it."""
    engine = seed_engine()
    with Recorder(path, seed=0, cluster_file=str(SEED), cluster=SEED.read_text(),
                  created_by="console") as recorder:
        timed = sorted([(float(t), "command", text) for t, _, text in
                        (do.partition(" ") for do in dos)]
                       + [(float(t), "mark", label) for t, label in marks])
        for t, kind, text in timed:
            if kind == "mark":
                engine.run_until(t)
                recorder.mark(t, text)
                continue
            command = parse(text)
            if command.verb in ("speed", "pause", "resume"):
                engine.run_until(t)
                recorder.clock(t, command)
            else:
                engine.submit_at(t, command)
                recorder.engine_command(t, command)
        engine.run_until(end)
        recorder.close(end)
    return engine


def replay_app(path, paused: bool = True):
    recording = load_recording(path)
    session = replay_session(recording, paused=paused)
    player = ReplayPlayer(session, recording)
    app = make_app(session=session, mode=ReplayMode(player))
    return app, player


async def test_the_console_replay_plays_to_the_recorded_log(tmp_path):
    rec = tmp_path / "r.jsonl"
    live = a_recording(rec, "30 fail-node B", "45 speed 4", "90 migrate web01 B",
                       "200 power-on B", end=300.0)
    app, mode = replay_app(rec)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        t = 0.0
        while t < 300:
            app.advance(6.7)
            t += 6.7
        await pilot.pause()
        assert app.engine.now == 300.0 and mode.ended and app.session.clock.paused
        assert render_text(app.engine) == render_text(live)
        assert app.session.clock.speed == 4.0  # the recorded `speed 4` is applied
        bar = app.screen.query_one(ReplayBar)
        text = str(bar.render())
        assert "REPLAY" in text and "00:05:00 / 00:05:00" in text and " END " in text
        assert "END · 3/3 · last 00:03:20 power-on B" in text
        assert "end of the recording (00:05:00); q quits" in notes(app)  # not (300.0 s)


async def test_s_steps_to_each_recorded_command_and_space_and_speed_drive_the_replay(tmp_path):
    rec = tmp_path / "r.jsonl"
    a_recording(rec, "30 fail-node B", "90 maintenance C on", end=200.0, marks=[(60, "crash")])
    app, mode = replay_app(rec, paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        assert app.session.clock.paused  # stepping pauses
        assert app.engine.now == 30.0 and not app.engine.cluster.nodes["B"].powered
        assert app.engine.command_log[-1][1].text() == "fail-node B"
        await pilot.press("s")  # the mark
        assert app.engine.now == 60.0 and "crash" in notes(app)
        await pilot.press("s")
        assert app.engine.now == 90.0
        assert app.engine.cluster.nodes["C"].state is NodeState.ENTERING_MAINTENANCE
        await pilot.pause()
        assert "00:01:30 / 00:03:20" in str(app.screen.query_one(ReplayBar).render())
        await pilot.press("plus")
        assert app.session.clock.speed == 2.0
        await pilot.press("space")
        assert not app.session.clock.paused  # playing on
        await pilot.press("space")
        assert app.session.clock.paused
        await pilot.press("s")  # no more commands: on to the end
        assert app.engine.now == 200.0 and mode.ended


async def test_a_replay_refuses_mutating_keys_and_commands_with_a_reason(tmp_path):
    rec = tmp_path / "r.jsonl"
    a_recording(rec, "30 fail-node B", end=100.0)
    app, _ = replay_app(rec)
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(40)
        before = list(app.engine.command_log)
        await select_node(pilot, "A")
        for key in ("m", "x", "i", "r", "b", "f"):
            await pilot.press(key)
        await select_vm(pilot, "web01")
        await pilot.press("v")
        await pilot.press("colon", *"maintenance C on", "enter")
        await pilot.pause()
        assert app.engine.command_log == before  # nothing reached the model
        refusals = [n for n in notes(app) if "this is a replay of" in n]
        assert len(refusals) == 8
        assert refusals[0].startswith("maintenance A on: this is a replay of ")
        assert "changes are disabled" in refusals[0]
        screen = app.screen
        assert screen.check_action("crash", ()) is None  # greyed in the footer
        assert screen.check_action("replay_step", ()) is True
        assert "REPLAY" in str(screen.query_one("#header").render_line(0))


async def test_mark_without_recording_says_so():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *"mark x", "enter")
        await pilot.pause()
        assert "mark: this session is not being recorded (--record FILE)" in notes(app)


async def test_the_step_key_belongs_to_replays_only():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.screen.check_action("replay_step", ()) is False
        await pilot.press("s")
        assert app.engine.command_log == []


def test_replay_options_are_checked(tmp_path, capsys):
    rec = tmp_path / "r.jsonl"
    a_recording(rec, "30 fail-node B", end=60.0)
    assert main(["replay", str(rec), "--json"]) == 2
    assert "--json goes with --headless" in capsys.readouterr().err
    assert main(["replay", str(rec), "--cast", str(tmp_path / "x.cast"), "--size", "9x9"]) == 2
    assert "--size must be WIDTHxHEIGHT" in capsys.readouterr().err
    assert main(["replay", str(rec), "--cast", str(tmp_path / "no" / "x.cast")]) == 2
    assert "--cast" in capsys.readouterr().err


async def test_the_header_and_the_bar_say_the_same_speed_in_a_replay(tmp_path):
    from console.ui.widgets.header import ClusterHeader

    rec = tmp_path / "r.jsonl"
    a_recording(rec, "10 speed 8", "30 fail-node B", end=100.0)
    app, _ = replay_app(rec, paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(20)
        await pilot.pause()
        header = "".join(text for text, _ in app.screen.query_one(ClusterHeader).parts())
        bar = str(app.screen.query_one(ReplayBar).render())
        assert app.session.clock.speed == 8.0
        assert " x8 " in header + " " and "PLAYING x8" in bar
        assert "x1" not in header
        await pilot.press("minus")  # the viewer changes it: both follow the one clock
        await pilot.pause()
        header = "".join(text for text, _ in app.screen.query_one(ClusterHeader).parts())
        assert "x4" in header and "PLAYING x4" in str(app.screen.query_one(ReplayBar).render())


async def _seek(pilot, key: str) -> None:
    await pilot.press(key)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def fresh_replay_log(rec, t: float) -> str:
    """The event log of a fresh replay of `rec` played to `t`."""
    recording = load_recording(rec)
    session = replay_session(recording, paused=True)
    player = ReplayPlayer(session, recording)
    player.start()
    player.advance_to(t)
    return render_text(session.engine)


async def test_seeking_back_re_simulates_to_the_earlier_instant(tmp_path):
    rec = tmp_path / "r.jsonl"
    a_recording(rec, "30 fail-node B", "90 migrate web01 C", "200 power-on B", end=400.0,
                marks=[(150, "after the move")])
    app, player = replay_app(rec)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.advance(250)
        await pilot.pause()
        assert app.engine.cluster.nodes["B"].powered  # powered on at 200 s
        before = app.engine
        await _seek(pilot, "left_square_bracket")  # back to the power-on at 200 s
        assert app.engine is not before and app.engine.now == 200.0
        assert render_text(app.engine) == fresh_replay_log(rec, 200.0)
        await _seek(pilot, "left_square_bracket")  # the mark at 150 s
        assert app.engine.now == 150.0
        assert render_text(app.engine) == fresh_replay_log(rec, 150.0)
        assert not app.engine.cluster.nodes["B"].powered  # the screen's model is 150 s old
        assert app.session.clock.paused
        bar = str(app.screen.query_one(ReplayBar).render())
        assert "00:02:30 / 00:06:40" in bar and "SEEKING" not in bar
        await _seek(pilot, "left_square_bracket")  # at most 60 s back: 90 s, the migration
        assert app.engine.now == 90.0
        await _seek(pilot, "right_square_bracket")  # on to the mark at 150 s
        assert app.engine.now == 150.0
        assert render_text(app.engine) == fresh_replay_log(rec, 150.0)
        app.advance(250)  # played on from there: the end, as recorded
        await pilot.pause()
        assert player.ended and render_text(app.engine) == fresh_replay_log(rec, 400.0)


async def test_seeking_back_shows_its_progress_in_the_bar(tmp_path):
    rec = tmp_path / "r.jsonl"
    a_recording(rec, "30 fail-node B", end=100.0)
    app, _ = replay_app(rec)
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(100)
        await pilot.pause()
        mode = app.mode
        mode._seek_progress(0.5)  # what the worker thread tells the screen as it goes
        await pilot.pause()
        assert "SEEKING BACK 50%" in str(app.screen.query_one(ReplayBar).render())
        mode.seeking = None
        await _seek(pilot, "left_square_bracket")
        assert app.engine.now == 40.0  # 60 s back: no entry nearer than the one at 30 s


async def test_the_palette_says_a_replays_and_a_read_only_consoles_refusal(tmp_path):
    """A change picked in the command palette is refused aloud, as its key is."""
    rec = tmp_path / "r.jsonl"
    a_recording(rec, "30 fail-node B", end=100.0)
    replay, _ = replay_app(rec)
    for app, why in ((replay, "this is a replay of"), (make_app(read_only=True), "read-only")):
        async with app.run_test(size=(120, 40)) as pilot:
            await select_node(pilot, "A")
            await pilot.press("ctrl+p", *"crash the selected")
            await app.workers.wait_for_complete()  # the palette searches in a worker
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert any(why in n and "fail-node A" in n for n in notes(app)), notes(app)
            assert app.engine.cluster.nodes["A"].state.value == "online"


async def test_a_bar_too_narrow_leaves_out_the_keys_reminder_then_shortens_the_commands(
        tmp_path):
    """Where the replay stands stays whole: the keys' reminder (the footer says them too) goes
    first, whole, then the next and last commands give way to an ellipsis, or go whole where
    little of them would be left. The recording is named by its file name, as the follower's
    journal is."""
    rec = tmp_path / "r.jsonl"
    a_recording(rec, "30 migrate web01 C", "90 maintenance C on", end=200.0)
    app, _mode = replay_app(rec)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        bar = app.screen.query_one(ReplayBar)
        text = str(bar.render()).rstrip()
        assert text.startswith(" REPLAY  r.jsonl 00:00:30 / 00:03:20 ")
        assert text.endswith("· next 00:01:30 maintenance C on  (space pause, s step, [ ] seek, "
                             "+/- speed)")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        text = str(bar.render()).rstrip()
        assert "seek" not in text and len(text) <= bar.content_size.width
        assert text.endswith("PAUSED · 1/2 · last 00:00:30 migrate web01 C (refused)")
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        text = str(bar.render()).rstrip()
        assert text.endswith("PAUSED · 1/2 · last 00:00:30 migrate web01 C…")
        assert len(text) <= bar.content_size.width


def test_fit_leaves_out_optional_parts_then_shortens_elastic_ones_last_first():
    from console.ui.widgets.status_bar import Part, fit

    parts = [Part(" FOLLOWING "), Part(" a-long-journal-name.journal ", elastic=True),
             Part("live"), Part(" · last 00:01:00 maintenance h0013 on", elastic=True),
             Part("  (q quits)", optional=True)]

    def line(width: int) -> str:
        return "".join(part.text for part in fit(parts, width))

    whole = line(200)
    assert fit(parts, 0) == parts and whole == "".join(part.text for part in parts)
    assert line(len(whole) - 1) == whole.removesuffix("  (q quits)")  # the reminder goes first
    assert line(70) == (" FOLLOWING  a-long-journal-name.journal live · last 00:01:00 "
                        "maintena…")
    # the last command would keep fewer than MIN_KEPT characters: left out, not `· las…`
    assert line(52) == " FOLLOWING  a-long-journal-name.journal live"
    assert line(30) == " FOLLOWING  a-long-journa…live"
    for width in range(26, 120):
        assert len(line(width)) <= width and "……" not in line(width)
