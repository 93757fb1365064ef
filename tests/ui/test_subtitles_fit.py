"""A pane's subtitle (`quorum 5/5 ok (4 hosts + witness) · 1/4`) is whole at 80x24 from the
first frame: it was fitted to the pane's width before the first layout (no width yet: its
longest form), and Textual cut it (`quorum 5/5 ok (4 hosts + …`) until the next key. The same
after a resize to 80 columns."""

from __future__ import annotations

import pytest
from ui_helpers import make_app

from console.formats.cluster import load_cluster
from console.model.engine import Engine
from console.paths import SAMPLE_CLUSTERS

PANES = ("nodes", "heartbeats", "vms", "services", "migrations", "events")


def cut_subtitles(app) -> list[tuple[str, str, int]]:
    """(pane, subtitle, room) for each pane on show whose subtitle is longer than its border's
    room (its width less the corners and a space each side)."""
    cut = []
    for name in PANES:
        pane = app.screen.query_one(f"#{name}-pane")
        subtitle, room = str(pane.border_subtitle or ""), pane.region.width - 4
        if pane.region.width and len(subtitle) > room:
            cut.append((name, subtitle, room))
    return cut


def wsfc_app():
    return make_app(Engine(load_cluster(SAMPLE_CLUSTERS / "wsfc.toml"), 0))


@pytest.mark.parametrize("height", [24, 40])
async def test_every_subtitle_is_whole_at_80_columns_from_the_first_frame(height) -> None:
    app = wsfc_app()
    async with app.run_test(size=(80, height)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert str(app.screen.query_one("#heartbeats-pane").border_subtitle).endswith("1/4")
        assert cut_subtitles(app) == []


async def test_every_subtitle_is_whole_after_a_resize_to_80_columns() -> None:
    app = wsfc_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert cut_subtitles(app) == []
