"""F6: a small list of a table's columns to sort it by (htop's "Sort by")."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from console.ui.screens.steady import SteadyScreen

#: What the picker answers for "the table's own order".
OWN_ORDER = -1


class SortPicker(SteadyScreen, ModalScreen[int | None]):
    """Pick a column: answers its index, OWN_ORDER for the table's own order, None on esc."""

    DEFAULT_CSS = """
    SortPicker { align: center middle; }
    SortPicker > Vertical {
        width: 36; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    SortPicker OptionList { height: auto; max-height: 16; border: none; }
    SortPicker #sort-help { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Cancel")]

    def __init__(self, labels: list[str], current: int | None) -> None:
        super().__init__()
        self.labels = labels
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Sort by"
            yield OptionList("(the list's own order)", *self.labels)
            yield Static("enter: sort   esc: cancel", id="sort-help")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0 if self.current is None else self.current + 1
        options.focus()

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        self.dismiss(message.option_index - 1)

    def action_cancel(self) -> None:
        self.dismiss(None)
