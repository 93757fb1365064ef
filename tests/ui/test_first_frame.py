"""A screen is styled once, laid out once per size, and its first frame is drawn once and whole
(console.ui.screens.steady): Textual drew the main screen's first frame before its widgets knew
their sizes (an empty heartbeats pane), then three more."""

from __future__ import annotations

from textual import events
from textual._compositor import LayoutUpdate
from textual.app import App
from textual.geometry import Region, Size
from ui_helpers import make_app

from console.ui.app import ConsoleApp
from console.ui.screens.main import MainScreen
from console.ui.widgets.footer import ConsoleFooter
from console.ui.widgets.heartbeats import HeartbeatsTable
from console.ui.widgets.nodes import NodeSpark


def _record_frames(monkeypatch) -> list[dict]:
    """Per frame drawn for the terminal: what the main screen showed then."""
    frames: list[dict] = []
    original = App._display

    def recorded(self, screen, renderable):
        if renderable is not None and isinstance(screen, MainScreen):
            beats = screen.query_one(HeartbeatsTable)
            lines = beats.render_lines(Region(0, 0, *beats.size))
            frames.append({"heartbeats": [strip.text.split(" ")[0] for strip in lines],
                           "spark": str(screen.query_one(NodeSpark).render()),
                           "shown": screen.first_frame_by})
        return original(self, screen, renderable)

    monkeypatch.setattr(App, "_display", recorded)
    return frames


async def test_the_main_screens_first_frame_is_drawn_once_and_whole(monkeypatch) -> None:
    frames = _record_frames(monkeypatch)
    shown_after: list[int] = []
    monkeypatch.setattr(ConsoleApp, "first_frame_out", lambda self: shown_after.append(len(frames)))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.first_frame_by == "answers"  # not the timer's fallback
        assert shown_after == [1]  # one frame, then the console is told it is out
        first = frames[0]
        assert first["heartbeats"][:4] == ["Node", "A", "B", "C"]
        assert "(10s steps)" in first["spark"]


async def test_a_resize_to_the_same_size_draws_nothing_and_a_new_size_is_laid_out(
        monkeypatch) -> None:
    frames = _record_frames(monkeypatch)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        drawn = len(frames)
        app.screen.post_message(events.Resize(Size(120, 40), Size(120, 40)))
        await pilot.pause()
        assert len(frames) == drawn
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert len(frames) > drawn
        assert app.screen.query_one("#header").outer_size.width == 100


async def test_opening_the_main_screen_restyles_neither_the_screen_nor_the_footer_keys(
        monkeypatch) -> None:
    restyled: list[str] = []
    original = App.update_styles

    def counted(self, node=None, animate=True):
        if node is not None and (isinstance(node, MainScreen)
                                 or isinstance(node.parent, ConsoleFooter)):
            restyled.append(type(node).__name__)
        return original(self, node, animate)

    monkeypatch.setattr(App, "update_styles", counted)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.first_frame_by == "answers"
        assert restyled == []


async def test_a_cluster_loads_behind_the_loading_screen_once_that_is_drawn(monkeypatch) -> None:
    from ui_helpers import make_session

    from console.ui.screens.loading import LoadingScreen

    drawn_first: list[tuple[str, str | None]] = []
    original = ConsoleApp._start_loading

    def start(self) -> None:
        drawn_first.append((type(self.screen).__name__, self.screen.first_frame_by))
        original(self)

    monkeypatch.setattr(ConsoleApp, "_start_loading", start)
    app = ConsoleApp(loader=make_session, confirm=False, theme="dark")
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, MainScreen) and app.screen.first_frame_by):
            await pilot.pause()
    assert drawn_first == [(LoadingScreen.__name__, "answers")]


async def test_a_tables_header_is_drawn_in_the_columns_its_first_rows_decide(monkeypatch) -> None:
    """At 80 columns the VMs' values leave no room for the role: drawn in one pass, top line
    first, the header had been drawn before the rows' values dropped that column."""
    from console.ui.widgets.vms import VmsTable

    headers: list[tuple[list[str], list[str]]] = []
    original = App._display

    def recorded(self, screen, renderable):
        if isinstance(renderable, LayoutUpdate) and isinstance(screen, MainScreen) \
                and not headers:  # the first frame, whole: a line of strips per screen row
            table = screen.query_one(VmsTable)
            region = table.region
            line = "".join(strip.text for strip in renderable.strips[region.y])
            drawn = line[region.x:region.right].split()
            laid_out = [str(table.columns[i].label) for i, _x, width in table._layout if width]
            headers.append((drawn, laid_out))
        return original(self, screen, renderable)

    monkeypatch.setattr(App, "_display", recorded)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    drawn, laid_out = headers[0]
    assert drawn == laid_out and "Role" not in drawn
