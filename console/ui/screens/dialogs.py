"""Small modal dialogs: confirmation of destructive actions and the migration target picker."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Static

from console.model import views
from console.model.commands import Command, Migrate
from console.ui.screens.steady import SteadyScreen
from console.ui.widgets.keyed_table import Cells, Column, KeyedTable, meter


class ConfirmScreen(SteadyScreen, ModalScreen[bool]):
    """Ask before a destructive command: y / enter runs it, n / esc does not. Under the question,
    its `detail` and the model's `preview` of what will follow (console.model.preview), wrapped
    to the dialog and scrolled (up/down, pgup/pgdn) when long. The clock holds while it is open
    (`holds_clock`; on real hosts it never holds: ConsoleApp.clock_held)."""

    holds_clock = True
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    ConfirmScreen #question { text-style: bold; }
    ConfirmScreen #detail { color: $text-muted; }
    ConfirmScreen #preview { height: auto; max-height: 100%; margin-top: 1; }
    ConfirmScreen #preview > Static { width: 1fr; }
    ConfirmScreen #answer { margin-top: 1; color: $text-accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "", preview: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.preview = preview

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question", markup=False)
            if self.detail:
                yield Static(self.detail, id="detail", markup=False)
            if self.preview:
                with VerticalScroll(id="preview"):
                    yield Static(self.preview, id="preview-text", markup=False)
            yield Static("y / enter: yes      n / esc: no      ↑ ↓: scroll", id="answer")

    def on_mount(self) -> None:
        if self.preview:
            self.query_one("#preview", VerticalScroll).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TargetTable(KeyedTable):
    """The migration target picker's table: one row per other host (`views.TargetOption`), with its
    state, projected CPU and memory, and whether the VM fits."""

    columns = (
        Column("Host", 8),
        Column("State", 9),
        Column("CPU after", 10),
        Column("Mem after", 10),
        Column("Fit", 24, flex=True),
    )
    empty_text = "no other host"

    def __init__(self, options: list[views.TargetOption], **kwargs) -> None:
        super().__init__(**kwargs)
        self.options = {o.node: o for o in options}
        self.order = [o.node for o in options]

    def row_count(self) -> int:
        """The number of hosts offered."""
        return len(self.order)

    def row_key(self, index: int) -> Hashable:
        """The host on row `index`, in the order given (the ones that fit first)."""
        return self.order[index]

    def row_cells(self, key: Hashable) -> Cells:
        """Host, state, CPU and memory after the move as meters, and `fits` or the refusal."""
        o = self.options[key]  # type: ignore[index]
        fit = ("fits", "ok") if o.refusal is None else (o.refusal, "muted")
        return (o.node, o.state, meter(o.cpu_after, 10), meter(o.memory_after, 10), fit)


class TargetPicker(SteadyScreen, ModalScreen[Command | None]):
    """Where should this VM go? Hosts that fit first, each with its projected load; the hosts the
    model would refuse are greyed with the reason, and picking one says it and stays open. The
    clock holds while it is open (`holds_clock`; not on real hosts: ConsoleApp.clock_held)."""

    holds_clock = True

    DEFAULT_CSS = """
    TargetPicker { align: center middle; }
    TargetPicker > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    TargetPicker TargetTable { height: auto; max-height: 20; }
    TargetPicker #picker-help { color: $text-muted; margin-top: 1; }
    TargetPicker #picker-count { color: $text-warning; }
    TargetPicker #picker-preview { height: auto; max-height: 8; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "auto", "Balancer chooses"),
        Binding("escape,q", "cancel", "Cancel"),
    ]

    #: Real seconds the cursor rests on a host before its preview is worked out (a fork of a
    #: big cluster costs tenths of a second: not on every step of the cursor).
    PREVIEW_DELAY_S = 0.3

    def __init__(self, vm: str, options: list[views.TargetOption],
                 preview: Callable[[Command], str] | None = None) -> None:
        """`preview(command)`: what migrating to a host would do, in words (the model's
        preview), shown under the table for the host under the cursor."""
        super().__init__()
        self.vm = vm
        self.options = options
        self.preview = preview
        self._pending: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Migrate {self.vm} to"
            yield TargetTable(self.options, id="targets")
            refused = sum(1 for o in self.options if o.refusal is not None)
            if refused:
                yield Static(f"{len(self.options) - refused} of {len(self.options)} hosts can "
                             f"take {self.vm}; {refused} refused (greyed, with the reason)",
                             id="picker-count", markup=False)
            if self.preview is not None:
                with VerticalScroll(id="picker-preview"):
                    yield Static("", id="picker-preview-text", markup=False)
            yield Static("enter: migrate to the selected host   a: let the balancer choose   "
                         "esc: cancel", id="picker-help")

    def on_mount(self) -> None:
        table = self.query_one(TargetTable)
        table.styles.height = min(len(self.options) + 1, 20)
        table.focus()
        self.call_after_refresh(self._rest_on_cursor)

    def _rest_on_cursor(self) -> None:
        """The row the picker opens on gets its preview too (no highlight message comes for
        it)."""
        table = self.query_one(TargetTable)
        key = table.cursor_key
        if key is None and table.cursor < table.shown_count():
            key = table.shown_key(table.cursor)
        if key is not None and self._pending is None:
            self._rest_on(str(key))

    def on_keyed_table_highlighted(self, message: KeyedTable.Highlighted) -> None:
        message.stop()
        if message.key is not None:
            self._rest_on(str(message.key))

    def _rest_on(self, key: str) -> None:
        """Preview `key`'s host once the cursor has rested on it `PREVIEW_DELAY_S`."""
        if self.preview is None:
            return
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(self.PREVIEW_DELAY_S, lambda: self.show_preview(key))

    def show_preview(self, node: str) -> None:
        """Show under the table what migrating to `node` would do (the model's preview), or
        why it cannot take the VM."""
        option = next((o for o in self.options if o.node == node), None)
        if option is None or self.preview is None or not self.is_mounted:
            return
        text = (f"{node} cannot take {self.vm}: {option.refusal}" if option.refusal is not None
                else f"migrate {self.vm} {node}:\n{self.preview(Migrate(self.vm, node))}")
        self.query_one("#picker-preview-text", Static).update(text)

    def on_keyed_table_selected(self, message: KeyedTable.Selected) -> None:
        message.stop()
        option = next(o for o in self.options if o.node == str(message.key))
        if option.refusal is not None:
            self.notify(f"{option.node} cannot take {self.vm}: {option.refusal}",
                        title="Refused", severity="warning", timeout=6, markup=False)
            return
        self.dismiss(Migrate(self.vm, option.node))

    def action_auto(self) -> None:
        self.dismiss(Migrate(self.vm))

    def action_cancel(self) -> None:
        self.dismiss(None)
