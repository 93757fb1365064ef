"""The loading screen's line wraps within the screen at 80 columns (the follower's, naming a
long journal, was cut), and shows a path with brackets as it is."""

from __future__ import annotations

from textual.widgets import Static
from ui_helpers import loading_app

STATUS = ("cluster-console: following /srv/journals/[prod]/datacenter-east-2026-11-30.journal: "
          "catching up with the leader, 42% ...  (q quits)")


async def test_a_long_loading_line_wraps_whole_within_80_columns() -> None:
    async with loading_app((80, 24), STATUS) as (app, pilot, _release):
        await pilot.pause()
        line = app.screen.query_one(Static)
        assert line.region.x >= 0 and line.region.right <= 80
        assert line.region.height >= 2  # wrapped, not cut
        shown = [strip.text for strip in line.render_lines(line.region.reset_offset)]
        assert " ".join(shown).split() == STATUS.split()
        await pilot.press("q")
