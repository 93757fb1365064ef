"""Headless runs and headless replay: timed commands fed through `Engine.submit_at`, then the
engine run to the end. `simulate`, headless drills (through the same door) and `replay
--headless` drive the engine this way, so for the same cluster, seed, commands and duration they
give the same event log byte for byte."""

from __future__ import annotations

from collections.abc import Iterable

from console.formats.recording import Recording
from console.formats.timed import TimedCommand
from console.model.engine import Engine


def run(engine: Engine, until: float, steps: Iterable[TimedCommand] = ()) -> None:
    """Submit each step at its time (in time order, ties in the given order), then run the
    engine to `until` (simulated seconds). A step's command lands after the timers due by its
    time; a refused command is logged, never raised."""
    for step in sorted(steps, key=lambda s: s.t):
        engine.submit_at(step.t, step.command)
    engine.run_until(until)


def replay_headless(recording: Recording) -> Engine:
    """A fresh engine on the recording's cluster and seed, with the recorded model commands
    run exactly as `run` runs `simulate --do`, up to the recording's end (or its last line).
    Raises `ConfigError` (an `InputError`) when the embedded cluster is bad."""
    engine = recording.build_engine()
    run(engine, recording.duration,
        (TimedCommand(t, command) for t, command in recording.commands()))
    return engine
