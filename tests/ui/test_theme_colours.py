"""Theme colours as the tables draw them: every state colour keeps a WCAG 2.x contrast of at least
4.5:1 on the row, the selection and the unfocused selection of every shipped theme; on a
16-colour terminal (TERM=linux, TERM=screen) the states reduce to distinct ANSI colours."""

from __future__ import annotations

import pytest
from rich.color import ColorSystem
from rich.console import Console
from ui_helpers import make_app

from console.paths import THEMES
from console.ui.themes import load_themes
from console.ui.widgets.nodes import NodesTable

SHIPPED = [theme.name for theme in load_themes([THEMES])]
#: The table styles a state is drawn in (console.ui.widgets.base: NODE_STATE_STYLE, ...).
STATE_STYLES = ("ok", "warn", "error", "muted", "accent")


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2.x contrast ratio, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


async def drawn_colours(app, pilot, theme: str) -> dict[str, dict[str, object]]:
    """Background -> {what: colour} as the nodes table draws them: the row, the focused
    selection (its own foreground as `text`) and the unfocused selection."""
    app.theme = theme
    table = app.screen.query_one(NodesTable)
    found = {}
    for where, focused in (("row", True), ("selection", True), ("unfocused selection", False)):
        if focused:
            table.focus()
        else:
            app.screen.set_focus(None)
        await pilot.pause()
        table._styles.clear()
        cursor = table._style("cursor")
        row = table.rich_style
        if where == "row":
            background, text = row.bgcolor, row.color
        else:
            background = cursor.bgcolor
            text = cursor.color if focused and cursor.color else row.color
        colours = {name: table._style(name).color for name in STATE_STYLES}
        found[where] = {"background": background, "text": text, **colours}
    return found


@pytest.mark.parametrize("theme", SHIPPED)
async def test_every_state_colour_is_readable_on_rows_and_the_selection(theme):
    app = make_app(theme=theme)
    async with app.run_test(size=(120, 40)) as pilot:
        drawn = await drawn_colours(app, pilot, theme)
    low = []
    for where, colours in drawn.items():
        background = colours.pop("background").triplet
        for name, colour in colours.items():
            ratio = contrast(colour.triplet, background)
            if ratio < 4.5:
                low.append(f"{name} on {where}: {ratio:.2f}")
    assert low == []


@pytest.mark.parametrize("term", ["linux", "screen"])
def test_these_terminals_have_16_colours(term, monkeypatch):
    monkeypatch.delenv("COLORTERM", raising=False)
    console = Console(force_terminal=True, _environ={"TERM": term})
    assert console.color_system == "standard"


@pytest.mark.parametrize("theme", [name for name in SHIPPED if name != "monochrome"])
async def test_on_16_colours_the_states_are_distinct_ansi_colours(theme, monkeypatch):
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    monkeypatch.setenv("TERM", "screen")
    app = make_app(theme=theme)
    assert app.console.color_system == "standard"
    app.fit_terminal()  # as the command line does before it runs the console
    async with app.run_test(size=(120, 40)) as pilot:
        drawn = await drawn_colours(app, pilot, theme)
    colours = drawn["row"]
    ansi = {name: colours[name].downgrade(ColorSystem.STANDARD).number
            for name in ("text", *STATE_STYLES)}
    assert len(set(ansi.values())) == len(ansi), ansi
    selection = drawn["selection"]["background"].downgrade(ColorSystem.STANDARD).number
    assert selection != drawn["row"]["background"].downgrade(ColorSystem.STANDARD).number
    assert selection not in ansi.values()


async def test_monochrome_stays_grey_on_16_colours(monkeypatch):
    import textual.constants

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    monkeypatch.setenv("TERM", "screen")
    app = make_app(theme="monochrome")
    app.fit_terminal()
    async with app.run_test(size=(120, 40)) as pilot:
        drawn = await drawn_colours(app, pilot, "monochrome")
    for name in STATE_STYLES:
        r, g, b = drawn["row"][name].triplet
        assert r == g == b


@pytest.mark.parametrize("theme", [name for name in SHIPPED if name != "monochrome"])
async def test_on_16_colours_no_ui_accent_shares_a_state_colour(theme, monkeypatch):
    """The focused pane's border and the footer's key letters were bright red on TERM=linux
    (the dark theme's orange accent reduced), the colour of `failed` and `ERR`."""
    import textual.constants
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    from console.ui.widgets.base import Pane

    monkeypatch.setattr(textual.constants, "COLOR_SYSTEM", "standard")
    monkeypatch.setenv("TERM", "screen")
    app = make_app(theme=theme)
    app.fit_terminal()
    async with app.run_test(size=(120, 40)) as pilot:
        drawn = await drawn_colours(app, pilot, theme)
        app.screen.query_one(NodesTable).focus()
        await pilot.pause()
        pane = next(p for p in app.screen.query(Pane) if p.has_focus_within)
        border = pane.styles.border.top[1]
        footer_key = app.screen.query_one(Footer).query_one(FooterKey).get_component_rich_style(
            "footer-key--key").color
        variables = app.get_css_variables()
    from textual.color import Color

    def ansi(colour) -> int:
        return colour.downgrade(ColorSystem.STANDARD).number

    states = {ansi(drawn["row"][name]) for name in STATE_STYLES}
    accents = {"focused border": ansi(border.rich_color), "footer key": ansi(footer_key),
               **{name: ansi(Color.parse(variables[name]).rich_color)
                  for name in ("primary", "secondary", "accent", "border",
                               "footer-key-foreground")}}
    shared = {name: number for name, number in accents.items() if number in states}
    assert shared == {}
