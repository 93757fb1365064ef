"""A toast is small at every size: one line (title and message together) when its message is
short, two when long, at the bottom right above the footer and flush with the screen's right
edge. At 80x24 Textual's toast (a title line, a message line, a blank line above and below)
covered the lower panes for its whole timeout, and its rack's scrollbar column beside it let a
pane show through (a cut cell's `…`). The toast widgets are found by their CSS type names
(`Toast`, `ToastRack`), which the app's CSS styles: a Textual that renames them fails here."""

from __future__ import annotations

import pytest
from ui_helpers import make_app

SIZES = [(80, 24), (100, 30), (120, 40)]


async def shown_toast(app, pilot):
    """The one toast on the screen once Textual has mounted and laid it out."""
    for _ in range(20):
        await pilot.pause()
        toasts = app.screen.query("Toast")
        if toasts and toasts.first().region.height:
            return toasts.first()
    raise AssertionError("no toast shown")


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_a_refusal_is_one_line_toast_above_the_footer_at_the_right_edge(size) -> None:
    width, height = size
    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        app.run_text("migrate nothere B")
        toast = await shown_toast(app, pilot)
        assert toast.render().plain == "Refused: migrate nothere B: no VM named nothere"
        assert toast.region.height == 1
        assert toast.region.right == width  # nothing of a pane beside it
        assert toast.region.bottom == height - 1  # the footer stays whole
        assert app.screen.query_one("ToastRack").scrollbar_size_vertical == 0


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_a_long_toast_wraps_to_two_lines_and_keeps_brackets(size) -> None:
    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        message = "the balancer's plan is stale [x]: " + "move web01 to C, " * 5
        app.notify(message, title="Balancer", severity="warning", markup=False)
        toast = await shown_toast(app, pilot)
        assert toast.region.height == 2 and toast.region.width == 70
        assert " ".join(toast.render().plain.split()) == " ".join(
            f"Balancer: {message}".split())
