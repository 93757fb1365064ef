"""The footer (console.ui.widgets.footer) builds its keys again only when what it shows changed:
a binding check that changes nothing (a focus move between panes with the same keys, a tick
that re-checks the clock's keys) leaves its widgets as they are; pausing the clock relabels."""

from __future__ import annotations

from textual.widgets import Footer
from ui_helpers import make_app


def labels(footer: Footer) -> str:
    return " ".join(str(key.description) for key in footer.query("FooterKey"))


async def test_the_footer_is_built_again_only_when_its_keys_change() -> None:
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = list(footer.children)
        assert keys and "Pause" in labels(footer)
        for _ in range(3):  # the screen asks the footer again; nothing it shows changed
            app.screen.refresh_bindings()
            await pilot.pause()
        assert list(footer.children) == keys  # the same widgets: not composed again
        await pilot.press("space")  # pause: the key's label becomes Resume
        await pilot.pause()
        assert list(footer.children) != keys
        assert "Resume" in labels(footer) and "Pause" not in labels(footer)


async def test_a_narrow_footer_leaves_out_whole_keys_never_cuts_a_label() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = list(footer.query("FooterKey"))
        shown = [key for key in keys if key.display]
        assert shown and len(shown) < len(keys)  # some keys do not fit 80 columns
        assert keys[: len(shown)] == shown  # the first ones, in order
        assert all(key.region.right <= footer.region.right for key in shown)
        await pilot.resize_terminal(200, 24)  # wider: every key again
        await pilot.pause()
        assert all(key.display for key in footer.query("FooterKey"))


async def test_the_footer_has_its_keys_when_the_main_screen_is_mounted() -> None:
    """Composed with the screen, not a frame later (Textual's footer composes empty first): the
    main screen's first frame is complete, footer included."""
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)):  # no pause: the screen just mounted
        footer = app.screen.query_one(Footer)
        assert "Pause" in labels(footer)


async def test_a_command_typed_on_the_command_line_leaves_the_footer_as_it_was() -> None:
    """The footer is hidden while the `:` line is open: the line's keys are not composed into it
    as it opens, nor the screen's again as it closes (each a layout of the whole screen while
    the command waits); its keys are the screen's once the line is closed."""
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = list(footer.children)
        await pilot.press("colon")
        await pilot.pause()
        assert not footer.display
        await pilot.press(*"mark", "enter")
        await pilot.pause()
        assert footer.display and list(footer.children) == keys
        assert footer._composed_for == footer.shown_keys(app.screen)  # type: ignore[attr-defined]


async def test_keys_changed_while_the_footer_was_hidden_show_when_it_is_back() -> None:
    app = make_app(paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        await pilot.press("colon")
        await pilot.pause()
        app.session.clock.paused = True  # paused behind the open line: Pause becomes Resume
        await pilot.press("escape")
        await pilot.pause()
        app.refresh_view()
        await pilot.pause()
        assert "Resume" in labels(footer) and "Pause" not in labels(footer)
