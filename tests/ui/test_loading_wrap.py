"""The loading screen's line wraps within the screen at 80 columns (the follower's, naming a
long journal, was cut), and shows a path with brackets as it is."""

from __future__ import annotations

import threading

from textual.widgets import Static
from ui_helpers import make_session

from console.ui.app import ConsoleApp
from console.ui.screens.loading import LoadingScreen

STATUS = ("cluster-console: following /srv/journals/[prod]/datacenter-east-2026-11-30.journal: "
          "catching up with the leader, 42% ...  (q quits)")


async def test_a_long_loading_line_wraps_whole_within_80_columns() -> None:
    release = threading.Event()

    def held() -> object:
        release.wait()
        return make_session()

    app = ConsoleApp(loader=held, theme="dark")
    app.loading_status = lambda: STATUS
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            while not isinstance(app.screen, LoadingScreen):
                await pilot.pause()
            await pilot.pause()
            line = app.screen.query_one(Static)
            assert line.region.x >= 0 and line.region.right <= 80
            assert line.region.height >= 2  # wrapped, not cut
            shown = [strip.text for strip in line.render_lines(line.region.reset_offset)]
            assert " ".join(shown).split() == STATUS.split()
            await pilot.press("q")
    finally:
        release.set()
