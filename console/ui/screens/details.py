"""The details view of a node, a VM or a service; refreshed as the model moves; esc goes back."""

from __future__ import annotations

import textwrap
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from console.model import views
from console.ui import details
from console.ui.screens.steady import SteadyScreen
from console.ui.widgets.footer import ConsoleFooter
from console.ui.widgets.header import ClusterHeader

LABEL_WIDTH = 15  # "state          ", "anti-affinity  ": the values start in one column


def hang(lines: list[str], width: int) -> list[str]:
    """Wrap the labelled lines longer than `width` under their value, not under the label."""
    if width <= LABEL_WIDTH + 10:
        return lines
    out: list[str] = []
    for line in lines:
        labelled = (line[:1] not in ("", " ") and line[:LABEL_WIDTH].strip()
                    and line[LABEL_WIDTH - 2:LABEL_WIDTH] == "  ")
        if labelled and len(line) > width:
            out += textwrap.wrap(line, width, subsequent_indent=" " * LABEL_WIDTH,
                                 drop_whitespace=True)
        else:
            out.append(line)
    return out


class DetailsScreen(SteadyScreen, Screen[None]):
    """The details of one node, VM or service (`kind`, `name`), full screen, scrollable; escape or q
    goes back."""

    DEFAULT_CSS = """
    DetailsScreen > VerticalScroll { border: round $accent; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("j,down", "scroll(1)", "Down", show=False),
        Binding("k,up", "scroll(-1)", "Up", show=False),
    ]

    def __init__(self, kind: str, name: str) -> None:
        super().__init__()
        self.kind = kind
        self.subject = name
        self._text = ""
        self._history: list[int] = []  # log indices of the subject's events, oldest first
        self._history_seen = 0

    def compose(self) -> ComposeResult:
        yield ClusterHeader()
        with VerticalScroll() as box:
            box.can_focus = True
            box.border_title = f"{self.kind} {self.subject}"
            yield Static("", id="details-text", markup=False)
        yield ConsoleFooter()

    def on_mount(self) -> None:
        box = self.query_one(VerticalScroll)
        box.focus()
        self._ready = True
        self.update_view()
        # the scrollbar's thumb, a sliver beside a long list, reads as an unlabelled
        # sparkline: the box's subtitle says which lines it shows
        self.watch(box, "scroll_y", self._show_position)
        self.watch(box, "virtual_size", self._show_position)

    def position(self) -> str:
        """`lines 1-36 of 2,240` when the text is longer than the box shows, else ""."""
        box = self.query_one(VerticalScroll)
        total, shown = box.virtual_size.height, box.scrollable_content_region.height
        if total <= shown or shown <= 0:
            return ""
        top = round(box.scroll_y)
        return f"lines {top + 1}-{min(total, top + shown)} of {total:,}"

    def _show_position(self) -> None:
        self.query_one(VerticalScroll).border_subtitle = self.position()

    def lines(self) -> list[str]:
        """The details text now, one string a line (`console.ui.details`); a node that is the local
        machine also lists its busiest processes; then the subject's history."""
        return self._details() + details.history_lines(self.app.engine,  # type: ignore[attr-defined]
                                                       self.history())

    def _details(self) -> list[str]:
        engine = self.app.engine  # type: ignore[attr-defined]
        session = self.app.session  # type: ignore[attr-defined]
        speed = session.clock.speed
        if self.kind == "node":
            return details.node_details(engine, self.subject,
                                        self.app.local_processes  # type: ignore[attr-defined]
                                        if views.local_node_name(engine) == self.subject
                                        else None, speed, session.real_hosts.get(self.subject),
                                        readings=session.readings.get(self.subject))
        if self.kind == "vm":
            return details.vm_details(engine, self.subject, speed)
        return details.service_details(engine, self.subject)

    def history(self) -> list[int]:
        """The log indices of the subject's events, oldest first (only new events are looked
        at on each call)."""
        engine = self.app.engine  # type: ignore[attr-defined]
        self._history += views.events_about(engine, self.subject, self._history_seen)
        self._history_seen = len(engine.log)
        return self._history

    def update_view(self) -> None:
        """Repaint the header and, when it changed, the text wrapped to the screen's width; nothing
        before the screen is mounted."""
        if not getattr(self, "_ready", False):
            return
        self.query_one(ClusterHeader).update_view()
        text = "\n".join(hang(self.lines(), self.query_one("#details-text", Static).size.width))
        if text != self._text:
            self._text = text
            self.query_one("#details-text", Static).update(text)

    def on_resize(self) -> None:
        self._text = ""  # wrap again for the new width
        self.call_after_refresh(self.update_view)

    def action_scroll(self, lines: int) -> None:
        self.query_one(VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
