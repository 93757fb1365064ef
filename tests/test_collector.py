"""Python's cycle collector held off while a program starts (console.collector): the command
line holds it, a sub-command that opens no console releases it as soon as it is imported, and
the collector is on again once the program is done; `release` without `hold`, or after the
program turned the collector off itself, changes nothing; `paused` turns it off for a block and
back as it was. Once the console's first frame is out (`release(freeze=True)`) full passes run
only when the console asks (`tidy`: the operator idle, or a long time since the last one)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from console import collector
from console.cli import main
from console.cli import validate as validate_command
from console.paths import DEFAULT_CLUSTER


@pytest.fixture(autouse=True)
def _collector_as_found(monkeypatch) -> Iterator[None]:
    enabled = gc.isenabled()
    thresholds = gc.get_threshold()
    monkeypatch.setattr(collector, "_full_passes_asked", False)  # the process's own policy back
    yield
    collector.release()
    gc.set_threshold(*thresholds)
    if enabled:
        gc.enable()


def test_hold_and_release() -> None:
    gc.enable()
    collector.hold()
    assert not gc.isenabled()
    collector.hold()  # held once: one release turns it on
    collector.release()
    assert gc.isenabled()
    collector.release()  # without hold: nothing
    assert gc.isenabled()


def test_release_may_freeze_what_the_start_made() -> None:
    gc.enable()
    collector.hold()
    kept = gc.get_freeze_count()
    try:
        collector.release(freeze=True)
        assert gc.isenabled() and gc.get_freeze_count() > kept
    finally:
        gc.collect()  # the first full pass after it: frozen too, once
        gc.unfreeze()


def test_the_first_full_pass_after_the_release_is_frozen_once() -> None:
    gc.enable()
    callbacks = list(gc.callbacks)
    collector.hold()
    try:
        collector.release(freeze=True)
        kept = gc.get_freeze_count()
        survivors = [[] for _ in range(100)]  # made after the first frame, live on
        gc.collect()
        assert gc.get_freeze_count() >= kept + len(survivors)
        assert gc.callbacks == callbacks  # once: nothing frozen at later passes
    finally:
        gc.collect()
        gc.unfreeze()


def test_a_collector_turned_off_by_the_program_stays_off() -> None:
    gc.disable()
    collector.hold()
    collector.release()
    assert not gc.isenabled()


def test_a_headless_sub_command_runs_with_the_collector(monkeypatch, capsys) -> None:
    gc.enable()
    seen: list[bool] = []
    real = validate_command.run

    def run(argv) -> int:
        seen.append(gc.isenabled())
        return real(argv)

    monkeypatch.setattr(validate_command, "run", run)
    assert main(["validate", str(DEFAULT_CLUSTER)]) == 0
    assert seen == [True] and gc.isenabled()


def test_bad_input_leaves_the_collector_on(capsys) -> None:
    gc.enable()
    assert main(["nowhere.toml"]) == 2  # the console's path, refused before any screen
    assert gc.isenabled()
    assert "nowhere.toml" in capsys.readouterr().err


def test_paused_turns_the_collector_off_inside_and_back_as_found() -> None:
    gc.enable()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():  # nested: the outer block's state is kept
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector.paused():
        raise ValueError  # a file that fails to load leaves the collector on
    assert gc.isenabled()


def test_paused_leaves_a_held_collector_held() -> None:
    gc.enable()
    collector.hold()
    with collector.paused():  # the console's loader, while the start holds it
        assert not gc.isenabled()
    assert not gc.isenabled()
    collector.release()
    assert gc.isenabled()


def test_the_console_leaves_full_passes_to_tidy(monkeypatch) -> None:
    gc.enable()
    ran: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: None)  # not this test process's objects
    monkeypatch.setattr(gc, "collect", lambda generation=2: ran.append(generation) or 0)
    callbacks = list(gc.callbacks)
    collector.hold()
    try:
        collector.release(freeze=True)
        assert gc.get_threshold()[2] == collector.NO_AUTOMATIC_FULL_PASS
        start = collector._last_full_pass
        idle, gap = collector.FULL_PASS_IDLE_S, collector.FULL_PASS_GAP_S
        assert not collector.tidy(idle, start + gap - 1)  # too soon after the last
        assert not collector.tidy(idle - 0.5, start + gap + 1)  # the operator is pressing keys
        assert ran == []
        assert collector.tidy(idle, start + gap + 1)  # idle, and a while since the last
        assert ran == [2]
        assert not collector.tidy(idle, start + gap + 2)
        latest = start + gap + 1 + collector.FULL_PASS_LATEST_S
        assert collector.tidy(0.0, latest)  # busy, but too long since the last
        assert ran == [2, 2]
    finally:
        gc.callbacks[:] = callbacks


def test_without_the_console_python_keeps_its_own_full_passes(monkeypatch) -> None:
    gc.enable()
    thresholds = gc.get_threshold()
    collector.hold()
    collector.release()  # a sub-command without a console
    assert gc.get_threshold() == thresholds
    assert not collector.tidy(3600.0)
    collector.release()  # without hold
    assert not collector.tidy(3600.0)
