"""Commands are values: fields set once, equal when their class and fields are, hashable as
such, and shown as their class and fields (console.model.commands: `Command` gives all four to
every command class, rather than each class generating its own)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import pytest

from console.model.commands import Deploy, FailNode, Maintenance, Migrate, parse


def test_a_commands_fields_are_set_once() -> None:
    command = parse("migrate web01 B")
    with pytest.raises(FrozenInstanceError):
        command.vm = "dc01"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del command.vm  # type: ignore[misc]
    assert command == Migrate("web01", "B")


def test_commands_are_equal_by_class_and_fields_and_hash_alike() -> None:
    assert parse("fail-node A") == FailNode("A")
    assert hash(parse("fail-node A")) == hash(FailNode("A"))
    assert FailNode("A") != FailNode("B")
    assert parse("maintenance A on") != parse("maintenance A off")
    assert FailNode("A") != ("A",)  # not a tuple of its fields
    assert len({FailNode("A"), FailNode("A"), FailNode("B")}) == 2


def test_a_command_is_shown_as_its_class_and_fields_and_replaced_as_a_dataclass() -> None:
    command = parse("maintenance A on")
    assert repr(command) == "Maintenance(node='A', on=True, force=False)"
    assert replace(command, on=False) == Maintenance("A", False)
    assert parse(replace(command, on=False).text()) == Maintenance("A", False)
    assert "Deploy(" in repr(parse("deploy web05 base+iis"))
    assert isinstance(parse("deploy web05 base+iis"), Deploy)
