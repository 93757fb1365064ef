"""Events: everything that happens in the model leaves it as one of these.

An event is immutable and carries the simulated time, so the log of a run is a plain list that can
be printed, diffed, journalled and compared byte for byte between two runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

#: Every kind of event the model emits, grouped by subject. Drills name them in expectations
#: (`no event node_failed`), so the list is public and the engine refuses to emit any other.
EVENT_KINDS: tuple[str, ...] = (
    "command", "refused",
    "node_suspect", "node_failed", "node_isolated", "node_offline", "node_online",
    "node_recovered", "node_booting", "node_fencing", "node_fenced", "node_reset",
    "node_entering_maintenance", "node_maintenance", "evacuation_blocked",
    "ha_capacity_reduced", "quorum_lost", "quorum_regained",
    "vm_down", "vm_restarting", "vm_running", "vm_pending", "vm_stopped", "vm_not_restarted",
    "vm_deployed", "vm_start_failed", "vm_moved", "vm_paused", "vm_resumed",
    "vm_defined", "vm_undefined", "action_requested", "action_failed", "host_connection",
    "observed",
    "service_offline", "service_failover", "service_online", "service_stalled", "service_failed",
    "migration_queued", "migration_started", "migration_completed", "migration_failed",
    "migration_cancelled",
    "balancer", "recommendation", "image_streaming", "image_arrived", "image_published",
    "rule_broken",
)
KNOWN_KINDS = frozenset(EVENT_KINDS)


class Severity(str, Enum):
    """How much an event matters; the console colours and filters by it."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened: simulated time `t` (seconds), kind (one of EVENT_KINDS), subject
    (a node, VM, service name or `cluster`), severity and a one-line message.
    """

    t: float
    kind: str
    subject: str
    severity: Severity
    message: str

    def as_dict(self) -> dict[str, object]:
        """The event as one JSON object: t (rounded to ms), kind, subject, severity, message."""
        return {
            "t": round(self.t, 3),
            "kind": self.kind,
            "subject": self.subject,
            "severity": self.severity.value,
            "message": self.message,
        }

    def as_text(self) -> str:
        """The event as one fixed-width text line (time, severity, kind, subject, message)."""
        return (f"{self.t:10.1f}  {self.severity.value.upper():<7}  {self.kind:<22} "
                f"{self.subject:<10} {self.message}")


Listener = Callable[[Event], None]


class EventLog:
    """The append-only event list plus listeners (UI panes, journal, recorder)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call `listener` with every event appended from now on."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling `listener`; raises ValueError if it was not subscribed."""
        self._listeners.remove(listener)

    def append(self, event: Event) -> None:
        """Add `event` and hand it to every listener, in subscription order."""
        self.events.append(event)
        for listener in self._listeners:
            listener(event)

    def __len__(self) -> int:
        return len(self.events)
