"""The screens' compositors: Textual's, holding a screen's first frame back until the screen says
it is whole (`HoldingCompositor`); and, for the main screen, asking each widget only for the
lines an update spans (`LineCroppingCompositor`).

For a partial update (widgets refreshed regions of themselves) Textual 8's compositor renders
every widget whose clip touches the update, and each one whole wherever it lies inside its
clip. A screen's own children have the whole screen as their clip, so the clock's nine cells
in the header had the screen (40 lines at 120x40), the body below the header (38) and the
footer render every line each second, to be cut into pieces and filtered, and all but one
thrown away: a third of the idle console's frame. Here a widget is asked for the lines the
update spans only, as Textual asks a widget its clip cuts: whole lines, since the compositor
cuts each line at the widgets' edges; only widgets that touch the update; and none whose lines
there lie wholly under a widget drawn before it (the compositor draws front first and keeps
the first piece of each cut: the screen behind the header never shows).

The line cropping overrides a private method of `textual._compositor.Compositor` (Textual >= 8.2,
< 9, as pinned); `tests/ui/test_compositor.py` checks that an update still renders only its lines
and that frames are drawn as Textual draws them.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import RenderableType
from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


class HoldingCompositor(Compositor):
    """A compositor that renders no update while `held` (what changed stays to be drawn: the
    update after `held` is cleared draws it), but for a full render asked for (a screenshot).
    Textual draws a screen's first frame in the step that lays it out, before its widgets are
    told their sizes (console.ui.screens.steady holds that frame back until they have been)."""

    held = False

    def render_update(self, full: bool = False, screen_stack: list | None = None,
                      simplify: bool = False) -> RenderableType | None:
        """Textual's; None (nothing to draw) while `held`, unless `full`."""
        if self.held and not full:
            return None
        return super().render_update(full, screen_stack, simplify)


class LineCroppingCompositor(HoldingCompositor):
    """A compositor whose partial updates render only the lines they span (see the module)."""

    def _get_renders(self, crop: Region | None = None
                     ) -> Iterable[tuple[Region, Region, list[Strip]]]:
        """(region, the part rendered, its strips) of each widget touching `crop`, front to back,
        the part being the widget's visible lines within `crop`'s lines; Textual's own for a
        full render (`crop` None)."""
        if crop is None:
            yield from super()._get_renders(crop)
            return
        top, bottom = crop.y, crop.bottom
        touches = crop.overlaps
        drawn: list[Region] = []
        for widget, (region, clip) in self.visible_widgets.items():
            visible = region.intersection(clip)
            if not touches(visible):
                continue
            x, y, width, height = visible
            first, last = max(y, top), min(y + height, bottom)
            lines = Region(x, first, width, last - first)
            if any(front.contains_region(lines) for front in drawn):
                continue  # hidden behind one drawn before (front first): none of it would show
            drawn.append(lines)
            yield region, lines, widget.render_lines(
                Region(x - region.x, first - region.y, width, last - first))
