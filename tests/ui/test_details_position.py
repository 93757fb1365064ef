"""A details view longer than its box says which lines it shows in the box's subtitle, so the
scrollbar's thumb (a sliver beside a long list) never stands unlabelled; a view that fits says
nothing."""

from __future__ import annotations

from textual.containers import VerticalScroll
from ui_helpers import make_app

from console.ui.screens.details import DetailsScreen


async def test_a_long_details_view_labels_the_lines_it_shows() -> None:
    app = make_app()
    async with app.run_test(size=(100, 20)) as pilot:
        app.push_screen(DetailsScreen("node", "A"))
        await pilot.pause()
        screen = app.screen
        box = screen.query_one(VerticalScroll)
        total = box.virtual_size.height
        shown = box.scrollable_content_region.height
        assert total > shown > 0
        assert box.border_subtitle == f"lines 1-{shown} of {total}"
        await pilot.press("j", "j")
        await pilot.pause()
        assert box.border_subtitle == f"lines 3-{shown + 2} of {total}"


async def test_a_details_view_that_fits_has_no_position() -> None:
    app = make_app()
    async with app.run_test(size=(100, 80)) as pilot:
        app.push_screen(DetailsScreen("service", "exchange"))
        await pilot.pause()
        box = app.screen.query_one(VerticalScroll)
        assert box.virtual_size.height <= box.scrollable_content_region.height
        assert not box.border_subtitle
