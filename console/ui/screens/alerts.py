"""The open alerts as a list (`!`): what needs an operator's eye now, each with its subject;
enter opens the subject's details, escape or q goes back. The list follows the model."""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from console.model import views
from console.ui.keys import KEYS
from console.ui.screens.steady import SteadyScreen
from console.ui.widgets.base import ModelTable, Pane
from console.ui.widgets.footer import ConsoleFooter
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.keyed_table import Cells, Column

_ALERTS_KEY = next(spec for spec in KEYS if spec.id == "alerts")
#: `!` on the screens besides the main one that show the header (`alerts N (! list)`); a screen
#: with it has an `action_alerts` opening `AlertsScreen`. The id lets a key map remap it.
ALERTS_BINDING = Binding(_ALERTS_KEY.keys, "alerts", _ALERTS_KEY.footer, show=False,
                         id=_ALERTS_KEY.id)


class AlertsTable(ModelTable):
    """One row per open alert (`views.open_alerts`), in the model's order, keyed by its text."""

    columns = (
        Column("Subject", 7),
        Column("Alert", 30, flex=True),
    )
    empty_text = "no open alerts"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._key: object = None
        self._alerts: dict[str, views.Alert] = {}

    def alerts(self) -> dict[str, views.Alert]:
        """The open alerts by text, found again when the log grew or a simulated second
        passed."""
        engine = self.engine
        key = (len(engine.log), int(engine.now))
        if key != self._key:
            self._key = key
            self._alerts = {alert.text: alert for alert in views.open_alerts(engine)}
        return self._alerts

    def row_count(self) -> int:
        """The number of open alerts."""
        return len(self.alerts())

    def row_key(self, index: int) -> Hashable:
        """The text of alert `index`."""
        return list(self.alerts())[index]

    def index_of(self, key: Hashable) -> int | None:
        """The row of the alert with text `key`, or None once it is closed."""
        alerts = self.alerts()
        return list(alerts).index(key) if key in alerts else None

    def row_cells(self, key: Hashable) -> Cells:
        """The subject's name (`cluster` for the cluster as a whole) and the alert's line."""
        alert = self.alerts().get(key)  # type: ignore[call-overload]
        if alert is None:
            return ("", "")
        return ((alert.subject or "cluster", "accent"), (alert.text, "warn"))

    def refresh_rows(self, force: bool = False) -> None:
        """As `KeyedTable.refresh_rows`, the subject column as wide as the longest subject."""
        names = [alert.subject or "cluster" for alert in self.alerts().values()]
        self.fit_names(0, names, 7, 24)
        super().refresh_rows(force)


class AlertsScreen(SteadyScreen, Screen[None]):
    """The open alerts full screen; enter goes to the selected alert's subject (its details)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("enter", "details", "Details"),
    ]

    def compose(self) -> ComposeResult:
        yield ClusterHeader()
        with Pane(id="alerts-pane"):
            yield AlertsTable(id="alerts-table")
        yield ConsoleFooter(compact=True, show_command_palette=False)

    @property
    def table(self) -> AlertsTable:
        """The alerts table."""
        return self.query_one(AlertsTable)

    def on_mount(self) -> None:
        self.query_one("#alerts-pane").border_title = "Open alerts"
        self.table.focus()
        self._ready = True
        self.update_view()

    def update_view(self) -> None:
        """Repaint the header, the rows that changed and the count; nothing before mounting."""
        if not getattr(self, "_ready", False):
            return
        self.query_one(ClusterHeader).update_view()
        self.table.refresh_rows()
        pane = self.query_one("#alerts-pane", Pane)
        subtitle = f"{self.table.row_count()} open · enter: go to the subject · esc: back"
        if pane.border_subtitle != subtitle:
            pane.set_border_text(subtitle=subtitle)

    def on_keyed_table_selected(self, message: AlertsTable.Selected) -> None:
        message.stop()
        self.action_details()

    def action_details(self) -> None:
        """The details of the selected alert's subject; a notice for the cluster as a whole."""
        from console.ui.screens.details import DetailsScreen

        table = self.table
        if not table.row_count():
            return
        alert = table.alerts().get(table.row_key(table.cursor))  # type: ignore[call-overload]
        if alert is None:
            return
        if alert.kind is None or alert.subject is None:
            self.notify("this alert is about the cluster as a whole (see the heartbeats pane)",
                        severity="warning", markup=False)
            return
        self.app.push_screen(DetailsScreen(alert.kind, alert.subject))

    def action_close(self) -> None:
        self.dismiss(None)
