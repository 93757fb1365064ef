"""The kernel every behaviour builds on: a command's outcome, the handler and component shapes.

A behaviour (membership, HA, services, migration, maintenance, balancer, images, readings) is a
component: it answers some commands (`handlers`) and reacts to the cluster's state after each
command and timer (`reconcile`). It imports this module, never the engine that wires it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from console.model.commands import Command


@dataclass(frozen=True, slots=True)
class Outcome:
    """A command's answer: accepted (with an optional note) or refused with a reason."""

    accepted: bool
    reason: str = ""

    @classmethod
    def ok(cls, note: str = "") -> Outcome:
        return cls(True, note)

    @classmethod
    def refuse(cls, reason: str) -> Outcome:
        return cls(False, reason)


Handler = Callable[[Command], Outcome]


class Component(Protocol):
    """A behaviour: the commands it answers, and its reaction to the current state."""

    def handlers(self) -> dict[type[Command], Handler]: ...

    def reconcile(self) -> None: ...
