"""The Events pane: the event log, newest first, coloured by severity, with the simulated time."""

from __future__ import annotations

from collections.abc import Hashable

from console.model import views
from console.model.events import Event
from console.ui.widgets.base import ModelTable, clock
from console.ui.widgets.keyed_table import Cells, Column, RowTexts

SEVERITY_STYLE = {"debug": "muted", "info": "", "warning": "warn", "error": "error"}


SEVERITY_LABEL = {"debug": "DBG", "info": "INFO", "warning": "WARN", "error": "ERR"}
SEVERITY_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3}


class EventsTable(ModelTable):
    """The events pane's table: the event log newest first (readings left out), filtered by the `/`
    query (its columns on screen, `sev:ERR`, `subject:A`), keyed by the event's index in the
    log."""

    columns = (
        Column("Time", 8, sort=lambda t, k: k),
        Column("Sev", 5, priority=2, alias="severity",
               sort=lambda t, k: SEVERITY_RANK.get(t.engine.log.events[k].severity.value, 0),
               biggest_first=True),
        Column("Subject", 8, priority=1),
        Column("Message", 20, flex=True, fit=False),
    )
    empty_text = "no events yet"
    stick_to_top = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown_events: list[int] = []  # indices into the log, oldest first
        self._seen = 0
        self._matching: list[int] = []  # those matching the query, oldest first
        self._matched_upto = 0
        self._matched_for: tuple | None = None

    def _rows(self) -> list[int]:
        events = self.engine.log.events
        for index in range(self._seen, len(events)):
            if not views.is_reading(events[index]):
                self._shown_events.append(index)
        self._seen = len(events)
        return self._shown_events

    def filtered_keys(self) -> list[Hashable]:
        """The events matching the query, newest first; the log only grows, so only events new
        since the last call are matched."""
        rows = self._rows()
        if not self.query.text:
            return rows[::-1]
        shown = [i for i, _x, _w in self._layout]
        marker = (self.query, tuple(shown))
        if marker != self._matched_for:
            self._matched_for = marker
            self._matching, self._matched_upto = [], 0
        for index in rows[self._matched_upto:]:
            if self.query.matches(RowTexts(self, index), shown):
                self._matching.append(index)
        self._matched_upto = len(rows)
        return self._matching[::-1]

    def row_count(self) -> int:
        """The number of events shown."""
        return len(self._rows())

    def row_key(self, index: int) -> Hashable:
        """The log index of the event on row `index` (row 0 is the newest)."""
        rows = self._rows()
        return rows[len(rows) - 1 - index]

    def index_of(self, key: Hashable) -> int | None:
        """The row of the event at log index `key` (before the filter), or None."""
        rows = self._rows()
        # Newest first: the key (a log index) sits near the top; search from the end.
        for i in range(len(rows) - 1, -1, -1):
            if rows[i] == key:
                return len(rows) - 1 - i
        return None

    def view_marker(self) -> Hashable:
        """The log's length: an event's row never changes, and rows come only with events."""
        return len(self.engine.log)

    def row_cells(self, key: Hashable) -> Cells:
        """Time (`HH:MM:SS`), severity, subject and message."""
        return event_cells(self.engine.log.events[key])  # type: ignore[index]


def event_cells(event: Event, *, kind: bool = False) -> Cells:
    """An event's row: time (`HH:MM:SS`), severity, its kind when `kind`, subject and message,
    the severity's style on the severity and the message."""
    style = SEVERITY_STYLE.get(event.severity.value, "")
    head = ((clock(event.t), "muted"),
            (SEVERITY_LABEL.get(event.severity.value, event.severity.value), style))
    middle = ((event.kind, "muted"),) if kind else ()
    return (*head, *middle, event.subject, (event.message, style))
