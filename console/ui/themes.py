"""Themes: TOML files in the package's data/themes/ folder and in the user's config folder
(`$XDG_CONFIG_HOME/cluster-console/themes/`), each loaded into a `textual.theme.Theme`.

    # themes/dark.toml
    name = "dark"
    dark = true
    primary = "#4aa3df"
    background = "#101418"
    ...
    [variables]                 # optional Textual design variables
    block-cursor-background = "#264f78"

A user's file with the name of a shipped theme replaces it. A broken file is an error naming the
file, the line and the key (exit status 2), checked when the themes load, before the screen
opens: every colour must parse, and every design variable must be one Textual defines and
parse as its kind (a colour or a text style), as the console's stylesheet will read it.

On a 16-colour terminal (`TERM=linux`, `TERM=screen`: Rich's colour system "standard") every
colour is reduced to the nearest of the 16 VGA colours, and a theme's pale state colours all
become the same grey. There the state colours are replaced by VGA colours themselves
(`for_colour_system`), so online, suspect, failed and muted stay four colours apart, and the
UI's accents (the focused border, the footer's keys) take VGA colours no state uses.
"""

from __future__ import annotations

import os
from pathlib import Path

from console.formats.toml import ConfigError, bare, locate, parse_toml, read_file
from console.model.names import name_problem
from console.paths import THEMES, config_dir

COLOUR_KEYS = ("primary", "secondary", "accent", "foreground", "background", "surface",
               "panel", "boost", "success", "warning", "error")
NUMBER_KEYS = ("luminosity_spread", "text_alpha")
SHIPPED_ORDER = ("dark", "light", "high-contrast", "monochrome")

#: Rich's colour systems of 16 colours (`Console.color_system`): TERM=linux, TERM=screen, ...
SIXTEEN_COLOURS = ("standard", "windows")
#: The state colours on 16 colours, each one of the VGA palette (the Linux console's and Rich's
#: `STANDARD_PALETTE`), so that the reduction keeps it: on a dark background the bright ones,
#: a blue selection bar; on a light one the dark ones, a bright cyan bar.
SIXTEEN_COLOUR_VARIABLES = {
    True: {"text-success": "#55ff55", "text-warning": "#ffff55", "text-error": "#ff5555",
           "text-muted": "#aaaaaa", "text-accent": "#ff55ff",
           "block-cursor-background": "#0000aa", "block-cursor-foreground": "#ffffff"},
    False: {"text-success": "#00aa00", "text-warning": "#aa5500", "text-error": "#aa0000",
            "text-muted": "#555555", "text-accent": "#aa00aa",
            "block-cursor-background": "#55ffff", "block-cursor-foreground": "#000000"},
}
#: The UI's own colours on 16 colours (the focused pane's border, the footer's keys, dialogs'
#: frames), VGA colours no state uses: a theme's orange accent would reduce to bright red, the
#: colour of `failed` and `ERR`, and a yellow one to the colour of `suspect`.
SIXTEEN_COLOUR_ACCENTS = {
    True: {"primary": "#5555ff", "secondary": "#00aaaa", "accent": "#55ffff"},
    False: {"primary": "#00aaaa", "secondary": "#5555ff", "accent": "#0000aa"},
}


def theme_dirs() -> list[Path]:
    """Where themes are looked for, in order: the shipped themes, then `themes/` in the user config
    folder."""
    return [THEMES, config_dir() / "themes"]


def load_themes(dirs: list[Path] | None = None):
    """Every theme found, shipped ones first in a fixed order, later folders overriding.
    Raises `ConfigError` (an `InputError`) for the first broken theme file, and for a themes
    folder that is there but is not a folder (a file, a broken link, a link loop)."""
    found: dict[str, object] = {}
    for folder in theme_dirs() if dirs is None else dirs:
        if not folder.is_dir():
            if os.path.lexists(folder):
                raise ConfigError(str(folder), None, "", "not a folder (themes go in it, one "
                                                         "NAME.toml each)")
            continue
        for path in sorted(folder.glob("*.toml")):
            # The shipped themes' design variables are checked by the tests, not at every
            # start: the check parses a stylesheet twice per variable (~0.2 s for four themes).
            theme = load_theme(path, check_variables=folder != THEMES)
            found[theme.name] = theme
    order = [n for n in SHIPPED_ORDER if n in found] + sorted(n for n in found
                                                              if n not in SHIPPED_ORDER)
    return [found[n] for n in order]


def load_theme(path: Path, *, check_variables: bool = True):
    """The theme in `path`. Raises `ConfigError` (an `InputError`, one line
    `file:line: key: message`) for a file that is not TOML or not a usable theme.
    `check_variables` False skips parsing each design variable as the stylesheet would (the
    shipped themes, checked by the tests); every other check is made."""
    from textual.color import Color, ColorParseError
    from textual.theme import Theme

    text = read_file(path)
    data = parse_toml(text, str(path))

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(str(path), locate(text, key) or 1, key, message)

    allowed = {"name", "dark", "variables", *COLOUR_KEYS, *NUMBER_KEYS}
    for key in data:
        if key not in allowed:
            return_error = fail(key, f"unknown key (known: {', '.join(sorted(allowed))})")
            raise return_error
    if "name" not in data:
        raise fail("name", "required: a theme needs a name (`--theme NAME` picks it)")
    name = data["name"]
    problem = name_problem(name)
    if problem is not None:
        raise fail("name", problem)
    if "primary" not in data:
        raise fail("primary", "required")
    kwargs: dict[str, object] = {"name": name}
    for key in COLOUR_KEYS:
        if key in data:
            value = data[key]
            try:
                Color.parse(value)
            except (ColorParseError, TypeError, ValueError, AttributeError):
                raise fail(key, f"not a colour: {value!r}") from None
            kwargs[key] = value
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise fail("dark", f"must be true or false, got {dark!r}")
    kwargs["dark"] = dark
    for key in NUMBER_KEYS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    0 <= value <= 1):
                raise fail(key, f"must be a number 0-1, got {value!r}")
            kwargs[key] = float(value)
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise fail("variables", "must be a table of design variables")
    for key, value in variables.items():
        if not isinstance(value, str):
            raise fail(f"variables.{bare(key)}", f"must be a string, got {value!r}")
    theme = Theme(**kwargs)  # type: ignore[arg-type]
    checked = variables if check_variables else {}
    defaults = theme.to_color_system().generate() if checked else {}
    for key, value in checked.items():
        problem = _variable_problem(defaults, key, value)
        if problem:
            raise fail(f"variables.{bare(key)}", problem)
    theme.variables = dict(variables)
    return theme


def _variable_problem(defaults: dict[str, str], name: str, value: str) -> str | None:
    """Why design variable `name` cannot be `value` in a theme whose generated variables are
    `defaults`, or None when it can.

    The test is the one the console would fail later (a 17-line CSS error when the theme is
    applied): the value in a rule of Textual's stylesheet parser, with the theme's other
    variables set. A variable whose default is a colour (`auto 87%` and `initial` count) must
    parse as a `color`, one whose default is a text style (`bold`) as a `text-style`; a name
    Textual does not define is unknown (a typo would be ignored)."""
    if name not in defaults:
        return "unknown design variable (Textual's names, e.g. block-cursor-background)"
    kind = "color" if _parses(defaults, "color", name) else "text-style"
    if not _parses({**defaults, name: value}, kind, name):
        return f"not a {'colour' if kind == 'color' else 'text style'}: {value!r}"
    return None


def _parses(variables: dict[str, str], rule: str, name: str) -> bool:
    """Whether Textual's stylesheet parser takes `rule: $name` with `variables` set."""
    from textual.css.errors import StylesheetError
    from textual.css.stylesheet import Stylesheet
    from textual.css.tokenizer import TokenError

    sheet = Stylesheet()
    sheet.set_variables(variables)
    sheet.add_source(f"Screen {{ {rule}: ${name}; }}")
    try:
        sheet.parse()
    except (StylesheetError, TokenError):
        return False
    return True




def for_colour_system(theme, colour_system: str | None):
    """`theme` as a terminal of `colour_system` (Rich's name: "truecolor", "256", "standard",
    "windows" or None) should get it: on 16 colours a copy whose state colours and selection
    are VGA colours (`SIXTEEN_COLOUR_VARIABLES`, over the theme's own variables), and whose
    primary, secondary and accent (borders, footer keys) are VGA colours no state uses
    (`SIXTEEN_COLOUR_ACCENTS`), unless the
    theme is greys only (its success, warning and error colours grey: monochrome, where states
    read from words and symbols); anywhere else `theme` itself."""
    from dataclasses import replace

    from textual.color import Color

    if colour_system not in SIXTEEN_COLOURS:
        return theme
    states = [Color.parse(c) for c in (theme.success, theme.warning, theme.error) if c]
    if states and all(c.r == c.g == c.b for c in states):
        return theme
    accents = SIXTEEN_COLOUR_ACCENTS[theme.dark]
    variables = {**theme.variables, **SIXTEEN_COLOUR_VARIABLES[theme.dark],
                 "footer-key-foreground": accents["accent"]}
    return replace(theme, variables=variables, **accents)
