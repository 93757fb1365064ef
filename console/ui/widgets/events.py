"""The Events pane: the event log, newest first, coloured by severity, with the simulated time."""

from __future__ import annotations

from collections.abc import Hashable

from console.model import views
from console.ui.widgets.base import ModelTable, clock
from console.ui.widgets.keyed_table import Cells, Column

SEVERITY_STYLE = {"debug": "muted", "info": "", "warning": "warn", "error": "error"}


SEVERITY_LABEL = {"debug": "DBG", "info": "INFO", "warning": "WARN", "error": "ERR"}


class EventsTable(ModelTable):
    """The events pane's table: the event log newest first (readings left out), filtered by
    `text_filter` (every word in kind, subject, severity or message), keyed by the event's index in
    the log."""

    columns = (
        Column("Time", 8),
        Column("Sev", 5, priority=2),
        Column("Subject", 8, priority=1),
        Column("Message", 20, flex=True),
    )
    empty_text = "no events yet"
    stick_to_top = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text_filter = ""
        self._shown_events: list[int] = []  # indices into the log, oldest first
        self._seen = 0
        self._filter_seen = ""

    def _rows(self) -> list[int]:
        events = self.engine.log.events
        if self._filter_seen != self.text_filter:
            self._filter_seen = self.text_filter
            self._shown_events = []
            self._seen = 0
        words = self.text_filter.lower().split()
        for index in range(self._seen, len(events)):
            event = events[index]
            if views.is_reading(event):
                continue
            if words:
                text = f"{event.kind} {event.subject} {event.severity.value} {event.message}"
                if not all(w in text.lower() for w in words):
                    continue
            self._shown_events.append(index)
        self._seen = len(events)
        return self._shown_events

    def row_count(self) -> int:
        """The number of events shown."""
        return len(self._rows())

    def row_key(self, index: int) -> Hashable:
        """The log index of the event on row `index` (row 0 is the newest)."""
        rows = self._rows()
        return rows[len(rows) - 1 - index]

    def index_of(self, key: Hashable) -> int | None:
        """The row of the event at log index `key`, or None when the filter hides it."""
        rows = self._rows()
        # Newest first: the key (a log index) sits near the top; search from the end.
        for i in range(len(rows) - 1, -1, -1):
            if rows[i] == key:
                return len(rows) - 1 - i
        return None

    def row_cells(self, key: Hashable) -> Cells:
        """Time (`HH:MM:SS`), severity, subject and message."""
        event = self.engine.log.events[key]  # type: ignore[index]
        style = SEVERITY_STYLE.get(event.severity.value, "")
        return (
            (clock(event.t), "muted"),
            (SEVERITY_LABEL.get(event.severity.value, event.severity.value), style),
            event.subject,
            (event.message, style),
        )
