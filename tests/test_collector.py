"""Python's cycle collector held off while a program starts (console.collector): the command
line holds it, a sub-command that opens no console releases it as soon as it is imported, and
the collector is on again once the program is done; `release` without `hold`, or after the
program turned the collector off itself, changes nothing; `paused` turns it off for a block and
back as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from console import collector
from console.cli import main
from console.cli import validate as validate_command
from console.paths import DEFAULT_CLUSTER


@pytest.fixture(autouse=True)
def _collector_as_found() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    collector.release()
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
