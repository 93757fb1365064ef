"""The symbols the console draws, in one table, and their stand-ins for the Linux console's font.

Every widget that draws a symbol asks `glyph(NAME)` when it draws (not at import), so one switch
changes them all. The Linux virtual console (`TERM=linux`) draws with a 256-glyph font: the
kernel's default table maps Unicode onto IBM code page 437 (drivers/tty/vt/cp437.uni: the 224
printable CP437 characters and 32 dingbats such as `•` `○` `►` `▲` `▼` `→`), and shows a square
for anything else (`●`, `◌`, `◐`, `✕`, `▮`, `▁▂▃`, `…`, rounded corners). There
`use_console_font(True)` swaps the table (`CONSOLE_FONT`), and `ConsoleFontFilter` (a Textual line
filter the app adds then) translates what the console does not draw itself: Textual's rounded
borders, scrollbar eighths and emoji (the palette's 🔎), and any table symbol written as a
literal.

    glyph("beating")   # "●", or "•" on the Linux console
    glyph("spark")     # the eight sparkline levels, lowest first

Names: `beating` (a host heard, an active member), `silent` (a host not heard or suspect),
`powered-off` (a host off, a passive member), `starting` (a member starting), `down` (a member
offline), `ascending` / `descending` (a sort), `beat` / `missed-beat` (the heartbeat strip),
`spark` (eight levels), `bar` / `bar-empty` (meters), `arrow` (a move), `more` (text cut short),
`paused` (a VM suspended in memory).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

#: Every symbol by name, as a Unicode terminal font draws it.
GLYPHS: dict[str, str] = {
    "beating": "●", "silent": "◌", "powered-off": "○", "starting": "◐", "down": "✕",
    "ascending": "▲", "descending": "▼", "beat": "▮", "missed-beat": "·",
    "spark": "▁▂▃▄▅▆▇█", "bar": "█", "bar-empty": "░", "arrow": "→", "more": "…",
    "paused": "‖",
}

#: The same names in glyphs the Linux console's CP437 font has (`°`: a faint circle, for
#: silent; `►` on its way, for starting; `-` for down, apart from a name it marks; three
#: heights for the sparkline).
CONSOLE_FONT: dict[str, str] = {
    "beating": "•", "silent": "°", "powered-off": "○", "starting": "►", "down": "-",
    "ascending": "▲", "descending": "▼", "beat": "■", "missed-beat": "·",
    "spark": "___▄▄▄██", "bar": "█", "bar-empty": "░", "arrow": "→", "more": "~",
    "paused": "║",
}

#: What Textual itself draws that CP437 lacks, and the nearest CP437 glyph: rounded and heavy
#: box corners and lines, the eighth blocks of its scrollbars and of its tall and wide borders
#: (the lower eighths are the sparkline's, translated as `spark`).
TEXTUAL_STAND_INS: dict[str, str] = {
    "╭": "┌", "╮": "┐", "╰": "└", "╯": "┘", "━": "─", "┃": "│", "┏": "┌", "┓": "┐", "┗": "└",
    "┛": "┘", "╍": "─", "╏": "│", "▔": "▀", "▉": "█", "▊": "▌", "▋": "▌", "▍": "▌", "▎": "▌",
    "▏": "│", "▕": "│", "▛": "█", "▜": "█", "▙": "█", "▟": "█", "▗": "▄", "▖": "▄", "▝": "▀",
    "▘": "▀",
}

#: The emoji Textual draws (two cells each), and two CP437 cells for each: the command
#: palette's magnifier, the directory tree's folders and file, Markdown's image (one cell).
TEXTUAL_EMOJI_STAND_INS: dict[str, str] = {
    "🔎": "» ", "📂": "+ ", "📁": "+ ", "📄": "  ", "🖼": "■",
}

_active: dict[str, str] = GLYPHS


def glyph(name: str) -> str:
    """The symbol called `name` (see the module) in the table in use. KeyError for an unknown
    name."""
    return _active[name]


def use_console_font(on: bool) -> None:
    """Draw with `CONSOLE_FONT` (True) or `GLYPHS` (False) from now on, for the whole process."""
    global _active
    _active = CONSOLE_FONT if on else GLYPHS


def console_font_in_use() -> bool:
    """Whether `use_console_font(True)` is in force."""
    return _active is CONSOLE_FONT


def wants_console_font(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the terminal is the Linux virtual console (`TERM=linux`, or a `linux-*`
    variant such as `linux-16color`)."""
    term = environ.get("TERM", "")
    return term == "linux" or term.startswith("linux-")


def _translation() -> dict[int, str]:
    table = {**TEXTUAL_STAND_INS, **TEXTUAL_EMOJI_STAND_INS}
    for name, wide in GLYPHS.items():
        narrow = CONSOLE_FONT[name]
        for char, stand_in in zip(wide, narrow, strict=True):
            if char != stand_in:
                table[char] = stand_in
    return str.maketrans(table)


class ConsoleFontFilter(LineFilter):
    """A Textual line filter: each character the Linux console's font lacks becomes its CP437
    stand-in (`TEXTUAL_STAND_INS`, `TEXTUAL_EMOJI_STAND_INS` and `GLYPHS` -> `CONSOLE_FONT`);
    as many cells for as many cells, so the layout is unchanged."""

    TABLE = _translation()

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        """The same segments, their text translated."""
        table = self.TABLE
        return [Segment(text.translate(table), style, control)
                for text, style, control in segments]


#: The one filter the app adds on the Linux console (console.ui.app: `get_line_filters`).
FONT_FILTER = ConsoleFontFilter()
