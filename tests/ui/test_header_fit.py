"""The header's width budget: the widest form that fits the terminal, never a part cut at the
line's end where a shorter form (or dropping a figure that may go) would fit; and the first
frame already in the form of its width (it used to show the short form for one frame, fitted
before the first layout)."""

from __future__ import annotations

from libvirt_support import needs_libvirt, sample_uri
from ui_helpers import make_app, make_session

from console.model.commands import parse
from console.model.engine import Engine
from console.ui.widgets import header as header_module
from console.ui.widgets.header import ClusterHeader, Item, fit


def line(parts: list[tuple[str, str]]) -> str:
    return "".join(text for text, _style in parts)


ITEMS = [
    Item.plain("seed", "header--name"),
    Item.plain("READ-ONLY", "header--readonly"),
    Item((("00:01:40 ", ""), ("x1", "")), (("00:01:40 ", ""), ("x1", ""))),
    Item((("hosts 3/3 heard", ""),), (("3/3 heard", ""),), shorten=4, drop=4),
    Item.plain("HA on", "", drop=3),
    Item((("DRS full t3", ""),), (("full t3", ""),), shorten=2, drop=2),
    Item((("imbalance 0.10", ""),), (("imb 0.10", ""),), shorten=1, drop=1),
    Item((("alerts 2 (! list)", ""),), (("alerts 2", ""),), shorten=3),
]


def test_the_widest_form_that_fits_and_the_items_that_stay_are_never_cut() -> None:
    wide = line(fit(ITEMS, 500))
    assert wide == (" seed │ READ-ONLY │ 00:01:40 x1 │ hosts 3/3 heard │ HA on │ DRS full t3 │ "
                    "imbalance 0.10 │ alerts 2 (! list)")
    short = " seed READ-ONLY 00:01:40 x1 3/3 heard HA on full t3 imb 0.10 alerts 2"
    assert line(fit(ITEMS, len(wide))) == wide
    assert line(fit(ITEMS, len(wide) - 1)) == wide.replace("imbalance", "imb")  # one by one
    assert line(fit(ITEMS, len(wide) - 6)) == wide.replace("imbalance", "imb")
    assert line(fit(ITEMS, len(wide) - 7)) == wide.replace("imbalance", "imb").replace(
        "DRS ", "")
    assert line(fit(ITEMS, len(short) + 1)) == short
    assert line(fit(ITEMS, len(short))) == short
    assert line(fit(ITEMS, len(short) - 1)) == " seed READ-ONLY 00:01:40 x1 3/3 heard HA on " \
                                               "full t3 alerts 2"  # the imbalance went first
    narrowest = " seed READ-ONLY 00:01:40 x1 alerts 2"
    for width in range(len(narrowest), len(wide) + 1):
        shown = line(fit(ITEMS, width))
        assert len(shown) <= width, width
        assert "alerts 2" in shown and "READ-ONLY" in shown and "00:01:40 x1" in shown
    assert line(fit(ITEMS, 10)) == narrowest  # cut at the line's end, as before


@needs_libvirt
async def test_a_read_only_console_on_real_hosts_shows_the_alerts_at_120_columns() -> None:
    from console.sources.libvirt import LibvirtSource

    source = LibvirtSource([sample_uri("host-a"), sample_uri("host-b")], allow_actions=False)
    app = make_app(session=make_session(Engine(source.build(), 0)), source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = app.screen.query_one(ClusterHeader).render_line(0).text
        assert "libvirt" in shown and "READ-ONLY" in shown
        assert shown.rstrip().endswith("alerts 0"), shown


async def test_the_first_frame_shows_the_headers_form_for_its_width(monkeypatch) -> None:
    drawn: list[str] = []
    original = ClusterHeader.render_line

    def render_line(self, y):
        strip = original(self, y)
        drawn.append(strip.text)
        return strip

    monkeypatch.setattr(ClusterHeader, "render_line", render_line)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        full = line(app.screen.query_one(ClusterHeader).parts())
        assert " │ " in full and "imbalance" in full  # 120 columns: the wide form
        assert drawn and drawn[0].rstrip() == full.rstrip()


def shown(app) -> str:
    """The header's line as drawn now."""
    return app.screen.query_one(ClusterHeader).render_line(0).text


async def test_a_tick_that_moves_only_the_clock_fits_no_line_and_shows_the_time(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(5.0)
        await pilot.pause()
        fitted: list[int] = []
        monkeypatch.setattr(header_module, "fit",
                            lambda items, width: fitted.append(width) or fit(items, width))
        app.advance(1.0)
        await pilot.pause()
        assert fitted == []
        assert shown(app).rstrip() == line(app.screen.query_one(ClusterHeader).parts()).rstrip()
        assert "00:00:06" in shown(app)


async def test_the_header_is_fitted_again_when_more_than_the_clock_changes():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(5.0)
        await pilot.pause()
        assert "alerts 0" in shown(app)
        app.run_command(parse("fail-node A"))
        app.advance(30.0)
        await pilot.pause()
        assert "alerts 0" not in shown(app)
        assert shown(app).rstrip() == line(app.screen.query_one(ClusterHeader).parts()).rstrip()


async def test_a_clock_past_99_hours_is_fitted_again_whole():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(99 * 3600 + 3599.0)
        await pilot.pause()
        assert "99:59:59" in shown(app)
        app.advance(1.0)
        await pilot.pause()
        assert "100:00:00" in shown(app)
        assert shown(app).rstrip() == line(app.screen.query_one(ClusterHeader).parts()).rstrip()
