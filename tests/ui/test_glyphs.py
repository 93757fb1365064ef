"""The symbol table (console.ui.glyphs): on the Linux console (TERM=linux) every character on the
screen is one its font has, the widgets draw from the table, elsewhere nothing changes."""

from __future__ import annotations

import pytest
from ui_helpers import make_app

from console.ui.cast import screen_lines
from console.ui.glyphs import (
    CONSOLE_FONT,
    FONT_FILTER,
    GLYPHS,
    ConsoleFontFilter,
    console_font_in_use,
    glyph,
    use_console_font,
    wants_console_font,
)

#: What the Linux console draws with its default font: code page 437's printable characters
#: (Python's cp437 codec) and the dingbats the kernel's Unicode table (drivers/tty/vt/cp437.uni)
#: maps onto its control-range glyphs 0x01-0x1F and 0x7F, with their alternates.
KERNEL_DINGBATS = ("☺☻♥♦◆♣♠•◘○◙♂♀♪♫☼¤▶►◀◄↕‼¶§▬↨↑↓→←∟↔▲▼⌂")
CP437 = set(bytes(range(0x20, 0x7F)).decode("cp437")) | set(
    bytes(range(0x80, 0x100)).decode("cp437")) | set(KERNEL_DINGBATS)


@pytest.fixture
def console_font():
    use_console_font(True)
    yield
    use_console_font(False)


def test_the_tables_name_the_same_symbols_in_the_same_widths():
    assert set(GLYPHS) == set(CONSOLE_FONT)
    for name, wide in GLYPHS.items():
        assert len(CONSOLE_FONT[name]) == len(wide), name


def test_every_console_font_glyph_and_stand_in_is_in_the_font():
    assert set("".join(CONSOLE_FONT.values())) <= CP437
    assert set("".join(ConsoleFontFilter.TABLE.values())) <= CP437


def test_every_emoji_textual_draws_has_a_stand_in_of_its_width():
    """The command palette showed 🔎 on TERM=linux: any emoji in Textual's widgets is drawn."""
    import re
    from pathlib import Path

    import textual
    from rich.cells import cell_len

    sources = [Path(textual.__file__).parent / "command.py",
               *(Path(textual.__file__).parent / "widgets").glob("*.py")]
    emoji = set()
    for source in sources:
        emoji |= set(re.findall("[\U0001F300-\U0001FAFF]", source.read_text("utf-8")))
    assert "🔎" in emoji
    table = ConsoleFontFilter.TABLE
    missing = {char for char in emoji if ord(char) not in table}
    assert missing == set()
    for char in emoji:
        assert cell_len(table[ord(char)]) == cell_len(char), char


def test_the_unicode_table_needs_the_stand_ins_the_brief_names():
    missing = {char for char in "●○◌◐✕▲▼▁▂▃▮…╭" if char not in CP437}
    assert missing == set("●◌◐✕▁▂▃▮…╭")  # ○ ▲ ▼ are CP437 dingbats


@pytest.mark.parametrize(("term", "wanted"), [("linux", True), ("linux-16color", True),
                                              ("screen", False), ("xterm-256color", False),
                                              ("", False)])
def test_only_the_linux_console_gets_its_font(term, wanted):
    assert wants_console_font({"TERM": term}) is wanted


def test_the_filter_keeps_every_cell():
    from rich.segment import Segment
    from textual.color import Color

    text = "╭─ ● ◌ ◐ ✕ ▮▮·· ▁▂▃▄▅▆▇█ cut… ─╮"
    (out,) = FONT_FILTER.apply([Segment(text)], Color(0, 0, 0))
    assert len(out.text) == len(text)
    assert set(out.text) <= CP437


async def test_on_the_linux_console_every_character_on_screen_is_in_its_font(console_font,
                                                                              monkeypatch):
    monkeypatch.setenv("TERM", "linux")
    app = make_app(paused=False)
    app.fit_terminal()
    assert console_font_in_use() and FONT_FILTER in app.get_line_filters()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_text("fail-node B")
        app.run_text("failover sql")
        app.advance(40)  # B silent, then failed; services fail over; VMs restart
        await pilot.press("2")
        await pilot.pause()
        shown = "".join(plain for _ansi, plain in screen_lines(app))
    assert set(shown) - CP437 == set()
    assert glyph("beating") in shown


async def test_on_the_linux_console_the_command_palette_is_in_its_font(console_font,
                                                                       monkeypatch):
    from textual.command import CommandPalette

    monkeypatch.setenv("TERM", "linux")
    app = make_app()
    app.fit_terminal()
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_command_palette()
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        shown = "".join(plain for _ansi, plain in screen_lines(app))
    assert set(shown) - CP437 == set()


async def test_the_widgets_draw_from_the_table(console_font):
    from console.ui.widgets.heartbeats import HeartbeatsTable
    from console.ui.widgets.nodes import NodesTable
    from console.ui.widgets.services import ServicesTable

    app = make_app()
    async with app.run_test(size=(120, 40)):
        cells = [app.screen.query_one(table).row_cells(key)
                 for table, key in ((NodesTable, "A"), (HeartbeatsTable, "A"),
                                    (ServicesTable, "sql"))]
    text = repr(cells)
    assert "•" in text and "■" in text and "●" not in text and "▮" not in text


def test_without_the_console_font_the_symbols_are_unicode():
    assert not console_font_in_use()
    assert glyph("beating") == "●" and glyph("spark") == "▁▂▃▄▅▆▇█"
