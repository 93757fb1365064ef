"""Readings of the real machine (`--local`): the latest measured utilisation per local node.

psutil readings enter the model as `reading NODE CPU MEM DISK` commands (commands.LocalReading), so
a recording stores them and a replay shows the same figures. This component only keeps the latest
reading and a short CPU history per node; the views report a local node's utilisation from it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from console.model.commands import Command, LocalReading
from console.model.kernel import Context, Handler, Outcome

HISTORY = 120  # CPU readings kept per node, for the sparkline


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of the real machine at simulated time `t`: CPU, memory and disk busy, 0-1."""

    t: float
    cpu: float
    memory: float
    disk: float


class Readings:
    """The latest reading and the last HISTORY CPU readings per local node."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.latest: dict[str, Reading] = {}
        self.cpu_history: dict[str, deque[float]] = {}

    def handlers(self) -> dict[type[Command], Handler]:
        """`reading NODE CPU MEM DISK` (fractions 0-1; refused for a node that is not local)."""
        return {LocalReading: self._reading}

    def reconcile(self) -> None:
        """Readings change nothing else in the model."""

    def _reading(self, command: Command) -> Outcome:
        assert isinstance(command, LocalReading)
        node = self.context.cluster.nodes.get(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        if not node.local:
            return Outcome.refuse(f"{node.name} is not the local machine; only a local node "
                                  "takes readings")
        for name, value in (("cpu", command.cpu), ("memory", command.memory),
                            ("disk", command.disk)):
            if not 0.0 <= value <= 1.0:
                return Outcome.refuse(f"{name} must be a fraction 0-1, got {value:g}")
        self.latest[node.name] = Reading(self.context.now, command.cpu, command.memory,
                                         command.disk)
        self.cpu_history.setdefault(node.name, deque(maxlen=HISTORY)).append(command.cpu)
        return Outcome.ok()

