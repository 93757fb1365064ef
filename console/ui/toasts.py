"""A toast's text: its title and message on one line (`Refused: migrate x B: no VM named x`),
the title bold in its severity's colour, so that a toast is one line (two or three when its
message is long) over the bottom of the screen rather than Textual's title line, message line
and a blank line above and below them, which at 80x24 covered the lower panes whole."""

from __future__ import annotations

from textual.markup import escape

#: Severity -> the colour of the title (the colours of Textual's own toast titles).
TITLE_STYLES = {"information": "$text-success", "warning": "$text-warning",
                "error": "$text-error"}

#: The toasts' layout (the app's CSS): as wide as their text up to 70 columns, no blank lines;
#: the rack keeps no scrollbar column at the right, through which a pane showed (a cut cell's
#: `…` beside the toast).
TOAST_CSS = """
ToastRack { scrollbar-size-vertical: 0; }
Toast { width: auto; max-width: 70; padding: 0 1; }
"""


def toast_markup(message: str, *, title: str, severity: str, markup: bool) -> str:
    """The toast's text as Textual markup: `[bold $text-warning]Refused:[/] message`, the
    message escaped unless it is markup itself (`markup`: Textual's own toasts)."""
    text = message if markup else escape(message)
    if not title:
        return text
    style = TITLE_STYLES.get(severity, TITLE_STYLES["information"])
    return f"[bold {style}]{escape(title)}:[/] {text}"
