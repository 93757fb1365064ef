"""Commands are frozen values (console.model.commands.Command): built by position or by name,
equal and hashing alike by class and fields, refusing assignment, with a dataclass-like repr;
a class whose fields differ from its parameters is refused when it is defined."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError

import pytest

from console.model.commands import (
    COMMANDS,
    AddNode,
    Command,
    FailNode,
    Maintenance,
    Param,
    PowerOff,
    parse,
)

#: One line per verb, every parameter given.
LINES = {
    "fail-node": "fail-node A", "power-off": "power-off A", "power-on": "power-on A",
    "add-node": "add-node X A", "isolate": "isolate A", "reconnect": "reconnect A",
    "failover": "failover sql B", "vm-power": "vm-power web-1 off",
    "ha-state": "ha-state web-1 stopped", "relocate": "relocate web-1 B",
    "cold-migrate": "cold-migrate web-1 B", "cancel-migration": "cancel-migration web-1",
    "fail-starts": "fail-starts A 3", "fail-migrations": "fail-migrations A 2",
    "maintenance": "maintenance A on --force", "migrate": "migrate web-1 B",
    "rebalance": "rebalance --dry-run", "deploy": "deploy web-9 ubuntu+nginx on A",
    "publish-image": "publish-image ubuntu", "reading": "reading A 0.5 0.25 0.125",
    "speed": "speed 10", "pause": "pause", "resume": "resume",
}


def test_every_verb_is_listed() -> None:
    assert set(LINES) == set(COMMANDS)


@pytest.mark.parametrize("verb", sorted(LINES))
def test_a_command_is_a_frozen_value(verb: str) -> None:
    command = parse(LINES[verb])
    cls = type(command)
    again = cls(*command.values())
    by_name = cls(**dict(zip(cls.field_names, command.values(), strict=True)))
    assert command == again == by_name and hash(command) == hash(again)
    assert parse(command.text()) == command
    assert copy.deepcopy(command) == command == pickle.loads(pickle.dumps(command))
    assert repr(command) == f"{cls.__name__}(" + ", ".join(
        f"{name}={value!r}" for name, value in zip(cls.field_names, command.values(),
                                                   strict=True)) + ")"
    for name in cls.field_names:
        with pytest.raises(FrozenInstanceError):
            setattr(command, name, None)
        with pytest.raises(FrozenInstanceError):
            delattr(command, name)


def test_defaults_equality_and_bad_arguments() -> None:
    assert AddNode("X") == AddNode("X", None) == AddNode(node="X", template=None)
    assert AddNode("X").template is None and Maintenance("A", True).force is False
    assert FailNode("A") != PowerOff("A") and FailNode("A") != FailNode("B")
    assert len({FailNode("A"), FailNode("A"), FailNode("B")}) == 2
    with pytest.raises(TypeError, match="missing argument 'node'"):
        FailNode()
    with pytest.raises(TypeError, match="unexpected argument 'host'"):
        FailNode(host="A")
    with pytest.raises(TypeError, match="'node' twice"):
        FailNode("A", node="A")
    with pytest.raises(TypeError, match="takes 1 arguments, 2 given"):
        FailNode("A", "B")


def test_fields_must_be_the_parameters() -> None:
    with pytest.raises(TypeError, match="fields"):
        class Odd(Command):  # a field that is no parameter
            params = (Param("node", "node"),)
            node: str
            extra: int = 0
