"""The full-screen event log (`L`) and the open alerts list (`!`)."""

from __future__ import annotations

from ui_helpers import make_app

from console.model.commands import parse
from console.model.events import Event, Severity
from console.ui.screens.alerts import AlertsScreen, AlertsTable
from console.ui.screens.details import DetailsScreen
from console.ui.screens.log import EventLogScreen, EventLogTable


def shown(table) -> list[Event]:
    log = table.engine.log.events
    return [log[table.row_key(i)] for i in range(table.row_count())]


async def test_l_opens_the_log_and_the_severity_keys_filter_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, EventLogScreen)
        table = app.screen.query_one(EventLogTable)
        everything = shown(table)
        assert {e.severity for e in everything} >= {Severity.INFO, Severity.ERROR}
        await pilot.press("w")
        await pilot.pause()
        warnings = shown(table)
        assert warnings and all(e.severity in (Severity.WARNING, Severity.ERROR)
                                for e in warnings)
        assert len(warnings) < len(everything)
        await pilot.press("e")
        await pilot.pause()
        assert shown(table) and all(e.severity is Severity.ERROR for e in shown(table))
        await pilot.press("a")
        await pilot.pause()
        assert shown(table) == everything
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, EventLogScreen)


async def test_the_log_follows_new_events_at_the_bottom_and_stays_put_above() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(20)
        await pilot.press("L")
        await pilot.pause()
        table = app.screen.query_one(EventLogTable)
        assert table.cursor == table.row_count() - 1
        before = table.row_count()
        app.advance(120)
        await pilot.pause()
        assert table.row_count() > before
        assert table.cursor == table.row_count() - 1  # followed to the newest
        await pilot.press("up", "up")
        await pilot.pause()
        held = table.cursor_key
        assert assert_scrolled_up(table)
        assert app.session.submit(parse("power-on B")).accepted
        app.advance(200)
        await pilot.pause()
        assert table.cursor_key == held  # stayed on its event
        await pilot.press("G")
        await pilot.pause()
        count = table.row_count()
        app.advance(600)
        await pilot.pause()
        assert table.row_count() > count
        assert table.cursor == table.row_count() - 1


def assert_scrolled_up(table: EventLogTable) -> bool:
    return table.cursor < table.row_count() - 1


async def test_search_narrows_the_log_and_esc_clears_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        await pilot.press("L", "slash", *"fenced")
        await pilot.pause()
        table = app.screen.query_one(EventLogTable)
        assert shown(table) and all("fenced" in e.message or "fenced" in e.kind
                                    for e in shown(table))
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, EventLogScreen)  # esc left the search, not the log
        assert table.text_filter == "" and len(shown(table)) > 1


async def test_enter_in_the_log_opens_the_subjects_details() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        await pilot.press("L", "e")  # errors only: node_failed B is one
        await pilot.pause()
        table = app.screen.query_one(EventLogTable)
        row = next(i for i, e in enumerate(shown(table)) if e.kind == "node_failed")
        await pilot.press("home", *["down"] * row, "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        assert (app.screen.kind, app.screen.subject) == ("node", "B")


async def test_l_from_the_events_pane_opens_the_log_at_its_event() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        await pilot.press("6", "down", "down")
        await pilot.pause()
        key = app.screen.query_one("#events-table").cursor_key
        await pilot.press("L")
        await pilot.pause()
        assert app.screen.query_one(EventLogTable).cursor_key == key


async def test_a_long_log_opens_with_only_the_visible_rows_drawn() -> None:
    app = make_app()
    log = app.session.engine.log.events
    log.extend(Event(float(i), "command", "A", Severity.INFO, f"note {i}")
               for i in range(100_000))
    async with app.run_test(size=(120, 40)) as pilot:
        calls = []
        original = EventLogTable.row_cells

        def counted(self, key):
            calls.append(key)
            return original(self, key)

        EventLogTable.row_cells = counted  # type: ignore[method-assign]
        try:
            await pilot.press("L")
            await pilot.pause()
            table = app.screen.query_one(EventLogTable)
            assert table.row_count() == len(log)
            assert table.cursor == len(log) - 1
            assert len(set(calls)) <= table.page_rows + 1
        finally:
            EventLogTable.row_cells = original  # type: ignore[method-assign]


async def test_bang_lists_the_alerts_and_enter_goes_to_the_node() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        await pilot.pause()
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)
        table = app.screen.query_one(AlertsTable)
        texts = [table.row_key(i) for i in range(table.row_count())]
        assert "node B is failed" in texts
        await pilot.press("home", *["down"] * texts.index("node B is failed"), "enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        assert (app.screen.kind, app.screen.subject) == ("node", "B")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)


async def test_the_header_names_the_alerts_key() -> None:
    from console.ui.widgets.header import ClusterHeader

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        header = app.screen.query_one(ClusterHeader)
        assert "alerts 0" in "".join(t for t, _ in header.parts())
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        await pilot.pause()
        line = "".join(t for t, _ in header.parts())
        assert "(! list)" in line


async def test_bang_works_from_the_log_and_the_header_names_it_only_where_it_works() -> None:
    from console.ui.widgets.header import ClusterHeader

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        await pilot.press("L")
        await pilot.pause()
        header = app.screen.query_one(ClusterHeader)
        assert "(! list)" in "".join(t for t, _ in header.parts())
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        header = app.screen.query_one(ClusterHeader)
        line = "".join(t for t, _ in header.parts())
        assert "alerts" in line and "(! list)" not in line


async def test_a_search_typed_and_taken_back_shows_what_a_fresh_one_would() -> None:
    from console.ui.screens.log import SEVERITY_RANK, matches, search_text

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.session.submit(parse("fail-node B")).accepted
        app.advance(60)
        log = app.engine.log.events
        log.append(Event(61.0, "command", "A", Severity.INFO, "reading A cpu 0.5"))
        await pilot.press("L")
        await pilot.pause()
        table = app.screen.query_one(EventLogTable)
        for text in ("f", "fe", "fenc", "fenc b", "fe", "", "B", "b node"):
            table.text_filter = text
            words = text.lower().split()
            expected = [i for i, e in enumerate(log) if matches(e, SEVERITY_RANK["debug"], words)]
            assert table.events() == expected, text
            assert all(all(w in search_text(log[i]) for w in words) for i in expected)
        assert len(log) - 1 not in table.events()  # a reading is never listed
