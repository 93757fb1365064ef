"""The main screen's compositor renders only the lines an update spans, and draws them as
Textual's own compositor does."""

from __future__ import annotations

from functools import partial

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.widget import Widget
from ui_helpers import make_app

from console.model.commands import parse
from console.ui.compositor import LineCroppingCompositor


async def test_a_clock_tick_renders_the_header_line_alone(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(33.0)  # the heartbeat strips full, past the 30 s sample
        await pilot.pause()
        assert isinstance(app.screen._compositor, LineCroppingCompositor)
        asked: list[tuple[str, int]] = []
        original = Widget.render_lines

        def counted(self, crop):
            asked.append((type(self).__name__, crop.height))
            return original(self, crop)

        monkeypatch.setattr(Widget, "render_lines", counted)
        app.advance(1.0)  # the clock moves, nothing else
        await pilot.pause()
        assert asked == [("ClusterHeader", 1)]  # the screen behind it is hidden there


def _written(compositor: Compositor, crop: Region, regions: list[Region], console) -> str:
    """What `compositor` writes to the terminal for an update of `regions` (within `crop`)."""
    spans = list(compositor._regions_to_spans(regions))
    chops = compositor._render_chops(crop, {y for y, _x1, _x2 in spans}.__contains__)
    ends = [cuts[1:] for cuts in compositor.cuts]
    return ChopsUpdate(chops, spans, ends).render_segments(console)


async def test_partial_updates_draw_what_textuals_compositor_draws(monkeypatch):
    compared: list[int] = []
    plain_render = LineCroppingCompositor.render_partial_update

    def checked(self):
        regions = list(self._dirty_regions)
        if regions:
            crop = Region.from_union(regions).intersection(self.size.region)
            ours = _written(self, crop, regions, app.console)
            self._get_renders = partial(Compositor._get_renders, self)  # Textual's own
            try:
                assert _written(self, crop, regions, app.console) == ours
            finally:
                del self._get_renders
            compared.append(crop.height)
        return plain_render(self)

    monkeypatch.setattr(LineCroppingCompositor, "render_partial_update", checked)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(3.0)
        await pilot.pause()
        app.run_command(parse("fail-node B"), quiet=True)
        for second in range(40):  # detection, failover, restarts: every pane moves
            app.advance(1.0)
            await pilot.pause()
            if second % 5 == 0:
                await pilot.press("j", "2", "j", "1")
    assert len(compared) > 30 and max(compared) > 5
