"""Readings of the real machine (`--local`): the latest measured utilisation per local node.

psutil readings enter the model as `reading NODE CPU MEM DISK` commands (commands.LocalReading), so
a recording stores them and a replay shows the same figures. This component keeps the latest
reading per node (the views report a local node's utilisation from it) and the readings since the
last history sample, whose mean the recorder (console.model.history) takes as that node's sample.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.model.commands import Command, LocalReading
from console.model.kernel import Context, Handler, Outcome


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of the real machine at simulated time `t`: CPU, memory and disk busy, 0-1."""

    t: float
    cpu: float
    memory: float
    disk: float


class Readings:
    """The latest reading per local node, and the sums of its readings since the last sample."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.latest: dict[str, Reading] = {}
        self._pending: dict[str, tuple[float, float, int]] = {}  # CPU sum, memory sum, count

    def handlers(self) -> dict[type[Command], Handler]:
        """`reading NODE CPU MEM DISK` (fractions 0-1; refused for a node that is neither local
        nor in an observed cluster)."""
        return {LocalReading: self._reading}

    def reconcile(self) -> None:
        """Readings change nothing else in the model."""

    def _reading(self, command: Command) -> Outcome:
        assert isinstance(command, LocalReading)
        node = self.context.cluster.nodes.get(command.node)
        if node is None:
            return Outcome.refuse(f"no node named {command.node}")
        if not node.local and not self.context.cluster.observed:
            return Outcome.refuse(f"{node.name} is not the local machine; only a local node "
                                  "or an observed cluster's takes readings")
        for name, value in (("cpu", command.cpu), ("memory", command.memory),
                            ("disk", command.disk)):
            if not 0.0 <= value <= 1.0:
                return Outcome.refuse(f"{name} must be a fraction 0-1, got {value:g}")
        self.latest[node.name] = Reading(self.context.now, command.cpu, command.memory,
                                         command.disk)
        cpu, memory, count = self._pending.get(node.name, (0.0, 0.0, 0))
        self._pending[node.name] = (cpu + command.cpu, memory + command.memory, count + 1)
        return Outcome.ok()

    def since_sample(self, node: str) -> tuple[float, float] | None:
        """(CPU, memory) of `node` for a history sample, fractions 0-1: the mean of its readings
        since the last call, else its latest reading; None for a node never read."""
        pending = self._pending.pop(node, None)
        if pending is not None:
            cpu, memory, count = pending
            return cpu / count, memory / count
        latest = self.latest.get(node)
        return None if latest is None else (latest.cpu, latest.memory)

