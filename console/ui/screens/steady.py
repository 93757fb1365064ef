"""A screen that Textual styles once, lays out once per size, and shows whole from its first frame.

Textual (8.x) restyles a screen's every widget when the screen is first resumed, just after
they were styled as they mounted; it lays a screen out and paints it whole for every Resize
event, even one of the size the screen has (as a screen opens, the app passes the terminal's
size on twice and the screen's first layout sends the screen its own size); and it paints a
screen's first frame in the step that lays it out, before its widgets are told their sizes, so
what they fit to their size (a table's columns and the rows it has room for, the sparkline's
label) came in the frames after. For the main screen that was 20 ms of styling, four full
frames where one was due, and a first frame with an empty heartbeats pane
(`bench/console_bench.py`).
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget

from console.ui.compositor import HoldingCompositor

#: Real seconds a screen's first frame waits at most for its widgets to answer their first
#: layout (they answer in milliseconds; this keeps a screen from staying blank should one not).
FIRST_FRAME_WAIT_S = 0.5


class SteadyScreen:
    """Mixed into a screen class before Textual's `Screen` (or `ModalScreen`); its handlers run
    before Textual's, which they keep from doing again what was done (event handlers are called
    along the class hierarchy; `prevent_default` stops the rest).

    The screen's compositor (a `HoldingCompositor`) draws nothing until every widget has
    handled what the screen's first layout told it (its size, that it is shown); then one
    frame draws the screen whole, and `first_frame_shown` is called once it is out."""

    _resumed = False
    _answers_due = -1  # widgets yet to answer the first layout; -1: not asked yet
    #: What let the first frame out: "answers" (every widget answered) or "timer"
    #: (FIRST_FRAME_WAIT_S passed first); None while it is held.
    first_frame_by: str | None = None

    #: The screen's compositor: a `HoldingCompositor`.
    compositor_class: type[HoldingCompositor] = HoldingCompositor

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._compositor = self.compositor_class()
        self._compositor.held = True

    def on_mount(self) -> None:
        self.set_timer(FIRST_FRAME_WAIT_S, lambda: self._show("timer"))  # type: ignore[attr-defined]

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """The first resume does not restyle: the widgets were styled as they mounted."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        """A Resize to the size the screen is laid out at changes nothing: no layout, no frame
        (the screen's own `on_resize`, if it has one, has run before this). The first comes
        after the screen's first layout, which has sent its widgets their sizes: each is asked
        to answer once it has handled them (`_answered`)."""
        if event.size != self.outer_size:  # type: ignore[attr-defined]
            return
        event.prevent_default()
        if self._answers_due < 0 and self.first_frame_by is None:
            widgets = list(self.walk_children(Widget))  # type: ignore[attr-defined]
            self._answers_due = len(widgets) + 1
            for widget in widgets:
                if not widget.call_later(self._answered):
                    self._answers_due -= 1
            self._answered()

    def _answered(self) -> None:
        self._answers_due -= 1
        if self._answers_due == 0:
            self._show("answers")

    def _show(self, by: str) -> None:
        """Let the screen's frames out, the first one whole."""
        if self.first_frame_by is not None:
            return
        self.first_frame_by = by
        self._compositor.held = False
        # All the held frames would have drawn is still to draw (the whole screen, since its
        # first layout): one layout pass draws it. Textual draws a layout and a repaint of the
        # screen that are both due as two frames, the second the same as the first: the
        # repaint is dropped (Screen._repaint_required, Textual 8).
        self._repaint_required = False
        self.refresh(layout=True, repaint=False)  # type: ignore[attr-defined]
        self.call_after_refresh(self.first_frame_shown)  # type: ignore[attr-defined]

    def first_frame_shown(self) -> None:
        """Called once the screen's first frame is out; a screen's own may act on it."""
