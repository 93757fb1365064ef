"""The full-screen event log (`L`): every event, oldest first, filtered by severity and by words.

Like `less +F` it follows new events while its cursor is on the last row and stays put once
scrolled up (`G` or `end` follows again). The table holds no rows: it keeps the log indices of the
events it shows (found once, then only the new ones each tick) and draws the visible ones, so a
log of 100,000 events opens as fast as a short one.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Iterable, Sequence
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

from console.model import views
from console.model.events import Event, Severity
from console.ui.keys import LOG_KEYS
from console.ui.screens.alerts import ALERTS_BINDING
from console.ui.screens.steady import SteadyScreen
from console.ui.widgets.bar import Bar
from console.ui.widgets.base import ModelTable, Pane
from console.ui.widgets.events import event_cells
from console.ui.widgets.footer import ConsoleFooter
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.keyed_table import Cells, Column

#: The keys that open the search bar.
SEARCH_KEYS = next(keys for keys, action, *_ in LOG_KEYS if action == "search").split(",")
#: Severities from the least to the most serious: a filter shows one and those after it.
SEVERITY_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3}
#: How the log's title names each severity filter.
SEVERITY_SHOWN = {"debug": "all", "info": "info and up", "warning": "warnings and errors",
                  "error": "errors only"}


def search_text(event: Event) -> str:
    """What a search looks in: the event's kind, subject, severity and message, lower case."""
    return f"{event.kind} {event.subject} {event.severity.value} {event.message}".lower()


def matches(event: Event, least: int, words: list[str]) -> bool:
    """Whether the log shows `event`: at least severity rank `least`, every word (lower case)
    in its `search_text`, and not a `reading`."""
    return bool(_scan([event], range(1), least, words, [search_text(event)] if words else []))


def _scan(log: Sequence[Event], indices: Iterable[int], least: int, words: list[str],
          texts: Sequence[str]) -> list[int]:
    """The `indices` of `log` that `matches` keeps, `texts` holding each event's `search_text`
    (needed only with `words`): one pass with the checks inlined, as a log may hold 100,000
    events."""
    allowed = frozenset(s for s in Severity if SEVERITY_RANK[s.value] >= least)
    found = [i for i in indices if log[i].severity in allowed
             and not (log[i].kind == "command" and log[i].message.startswith("reading "))]
    for word in words:
        found = [i for i in found if word in texts[i]]
    return found


class EventLogTable(ModelTable):
    """The log's table: the events `matches` keeps, oldest first, keyed by log index; the cursor
    on the last row follows new events."""

    columns = (
        Column("Time", 8),
        Column("Sev", 4),
        Column("Kind", 20, priority=1),
        Column("Subject", 10),
        Column("Message", 40, flex=True),  # the kind gives way first when narrow
    )
    empty_text = "no events match"

    def on_mount(self) -> None:
        engine = self.engine
        self.fit_names(3, [*views.nodes(engine), *views.vms(engine), *views.services(engine),
                           "cluster"], 7, 16)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.least = "debug"
        self.text_filter = ""
        self._shown_events: list[int] = []  # log indices, ascending
        self._seen = 0
        self._filter_seen: tuple[str, str] | None = None
        self._texts: list[str] = []  # each event's search_text, made at the first search

    def events(self) -> list[int]:
        """The log indices shown, oldest first (the new events since the last call added). A
        search that only grew (`fen` to `fenced`) looks again at the events shown, not the log;
        the events' search texts are made once, at the first search."""
        log = self.engine.log.events
        least = SEVERITY_RANK[self.least]
        words = self.text_filter.lower().split()
        if words and len(self._texts) < len(log):
            self._texts += [search_text(log[i]) for i in range(len(self._texts), len(log))]
        if self._filter_seen != (self.least, self.text_filter):
            before = self._filter_seen
            self._filter_seen = (self.least, self.text_filter)
            narrower = (before is not None and before[0] == self.least
                        and self.text_filter.startswith(before[1]))
            self._shown_events = (_scan(log, self._shown_events, least, words, self._texts)
                                  if narrower else [])
            self._seen = self._seen if narrower else 0
        self._shown_events += _scan(log, range(self._seen, len(log)), least, words, self._texts)
        self._seen = len(log)
        return self._shown_events

    def row_count(self) -> int:
        """The number of events shown."""
        return len(self.events())

    def row_key(self, index: int) -> Hashable:
        """The log index of the event on row `index` (row 0 is the oldest)."""
        return self.events()[index]

    def index_of(self, key: Hashable) -> int | None:
        """The row of the event at log index `key` (a binary search), or None when hidden."""
        rows = self.events()
        row = bisect_left(rows, key)  # type: ignore[type-var]
        return row if row < len(rows) and rows[row] == key else None

    def row_cells(self, key: Hashable) -> Cells:
        """Time, severity, kind, subject and message."""
        return event_cells(self.engine.log.events[key], kind=True)  # type: ignore[index]

    @property
    def following(self) -> bool:
        """The cursor is on the last row (or there is none): new events move it along."""
        return self.cursor >= self._count - 1

    def refresh_rows(self, force: bool = False) -> None:
        """As `KeyedTable.refresh_rows`, the cursor moved to the newest event when following."""
        if self.following:
            self.cursor = max(0, self.row_count() - 1)
            self.cursor_key = None  # the cursor goes with the end, not with its old event
        super().refresh_rows(force)

    def show_from(self, index: int) -> None:
        """Put the cursor on the event at log index `index` (or the first shown after it)."""
        rows = self.events()
        row = min(bisect_left(rows, index), max(0, len(rows) - 1))
        self._count = len(rows)
        self.cursor = row
        self.cursor_key = rows[row] if rows else None
        self._stale = True
        self.refresh()


class EventLogScreen(SteadyScreen, Screen[None]):
    """The whole event log full screen: severity filter (a, w, e), search (/), enter for the
    subject's details, escape or q back. `start`: the log index to open at (default: the end,
    following)."""

    DEFAULT_CSS = """
    EventLogScreen #log-search { dock: bottom; height: 1; display: none; border: none;
                                 padding: 0 1; background: $panel; }
    EventLogScreen #log-search:focus { border: none; }
    EventLogScreen #log-search.-open { display: block; }
    EventLogScreen.-searching Footer { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(keys, action, label, key_display="/" if keys == "slash" else None)
        for keys, action, label, _help in LOG_KEYS
    ] + [ALERTS_BINDING]

    def __init__(self, start: int | None = None) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        yield ClusterHeader()
        with Pane(id="log-pane"):
            yield EventLogTable(id="log-table")
        yield Bar(placeholder="search the log (enter keeps it, esc clears)", id="log-search")
        yield ConsoleFooter(compact=True, show_command_palette=False)

    @property
    def table(self) -> EventLogTable:
        """The log's table."""
        return self.query_one(EventLogTable)

    def on_mount(self) -> None:
        self.query_one("#log-pane").border_title = "Event log"
        if self.start is not None:
            self.table.show_from(self.start)
        self.table.focus()
        self._ready = True
        self.update_view()

    def update_view(self) -> None:
        """Repaint the header, the rows that changed and the title; nothing before mounting."""
        if not getattr(self, "_ready", False):
            return
        self.query_one(ClusterHeader).update_view()
        self.table.refresh_rows()
        self._update_title()

    def _update_title(self) -> None:
        table = self.table
        count = table.row_count()
        where = f"{table.cursor + 1 if count else 0}/{count}"
        search = f" · /{table.text_filter}" if table.text_filter else ""
        follow = " · following" if table.following and count else ""
        subtitle = f"{SEVERITY_SHOWN[table.least]}{search} · {where}{follow}"
        pane = self.query_one("#log-pane", Pane)
        if pane.border_subtitle != subtitle:
            pane.set_border_text(subtitle=subtitle)

    def on_keyed_table_highlighted(self, message: EventLogTable.Highlighted) -> None:
        if getattr(self, "_ready", False):
            self._update_title()

    def action_severity(self, least: str) -> None:
        """Show events of severity `least` and up, the cursor kept on its event when shown."""
        table = self.table
        key = None if table.following else table.cursor_key
        table.least = least
        if key is not None:
            table.show_from(key)  # type: ignore[arg-type]
        table.refresh_rows(force=True)
        self._update_title()

    def take_key(self, event: events.Key) -> bool:
        """`/` opens the search bar as the app reads it (ConsoleApp.on_event), so the keys read
        behind it go into the bar in the order typed; whether it was taken."""
        if event.key not in SEARCH_KEYS or isinstance(self.focused, Bar):
            return False
        self.action_search()
        return True

    def action_search(self) -> None:
        search = self.query_one("#log-search", Bar)
        search.value = self.table.text_filter
        self.add_class("-searching")
        search.open(return_to=self.table)

    def on_input_changed(self, message: Input.Changed) -> None:
        message.stop()
        table = self.table
        table.text_filter = message.value.strip()
        table.refresh_rows(force=True)
        self._update_title()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()  # the search stays; the bar closed as enter was read (`Bar.take`)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """The search bar lost the focus: it closes (unless it has it again), the footer back."""
        search = event.widget
        if isinstance(search, Bar) and self.focused is not search:
            search.remove_class("-open")
            self.remove_class("-searching")

    def action_details(self) -> None:
        """The details of the selected event's subject; a notice when it is the cluster or
        gone."""
        from console.ui.screens.details import DetailsScreen

        table = self.table
        if not table.row_count():
            return
        engine = self.app.engine  # type: ignore[attr-defined]
        event = engine.log.events[table.row_key(table.cursor)]
        kind = views.subject_kind(engine, event.subject)
        if kind is None:
            self.notify(f"{event.subject} has no details (not a node, VM or service now)",
                        severity="warning", markup=False)
            return
        self.app.push_screen(DetailsScreen(kind, event.subject))

    def on_keyed_table_selected(self, message: EventLogTable.Selected) -> None:
        message.stop()
        self.action_details()

    def action_alerts(self) -> None:
        """`!`: the open alerts as a list."""
        from console.ui.screens.alerts import AlertsScreen

        self.app.push_screen(AlertsScreen())

    def action_close(self) -> None:
        self.dismiss(None)
