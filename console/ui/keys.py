"""Every key of the console in one table: the main screen's bindings, the footer, the help screen
and the command palette are all built from it, so they cannot disagree.

Each key has an id; `keys.toml` in the config folder maps ids to other keys:

    # ~/.config/cluster-console/keys.toml
    [keys]
    crash = "X"            # one key
    maintenance = "alt+m,F2"   # or several, comma-separated (named keys in any case)

A file that does not parse, an unknown id, a key that is not a key (an empty one, as in `","`,
included), a key given twice, or a broken link in place of the file is an error naming the
file, the line and the id (exit status 2).
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path

from console.formats.toml import ConfigError, locate, parse_toml, read_file
from console.paths import config_dir


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One key binding: its id (the name in keys.toml), default keys, the action, footer label, help
    line, whether it changes the cluster, whether the footer shows it, how the help screen
    writes the key, the footer's label while the clock is paused when that differs (the
    screen then binds the keys to a `resume` action too, shown only while paused), and whether
    it asks for a yes first (console.ui.actions builds the question)."""

    id: str
    keys: str           # Textual key names, comma-separated
    action: str         # action on the main screen (or the app)
    footer: str         # short label in the footer
    help: str           # line on the help screen and in the palette
    mutating: bool = False  # builds a command that changes the cluster
    show: bool = True       # shown in the footer
    display: str = ""       # how the help screen writes the key (default: the key)
    paused_footer: str = ""  # footer label while the clock is paused (the action: `resume`)
    asks: bool = False      # asks for a yes first (unless --no-confirm)


KEYS: tuple[KeySpec, ...] = (
    KeySpec("help", "question_mark,f1", "app.help", "Help", "this help: every key",
            display="? F1"),
    KeySpec("command", "colon", "command_line", "Cmd",
            "command line (the command language, tab completes, up/down history)",
            display=":"),
    KeySpec("filter", "slash", "filter", "Filter",
            "filter the focused list (`host:B state:failed`, words; the nodes panes: the VMs)",
            display="/"),
    KeySpec("next-match", "n", "next_match", "Next match",
            "next row matching the filter (also once esc showed every row again)", show=False),
    KeySpec("previous-match", "N", "previous_match", "Prev match",
            "previous row matching the filter", show=False),
    KeySpec("sort-right", "greater_than_sign", "sort_right", "Sort >",
            "sort the focused list by the next column", show=False, display=">"),
    KeySpec("sort-left", "less_than_sign", "sort_left", "Sort <",
            "sort the focused list by the previous column", show=False, display="<"),
    KeySpec("sort-reverse", "R", "sort_reverse", "Reverse", "reverse the sort", show=False),
    KeySpec("sort-pick", "f6", "sort_pick", "Sort by",
            "pick the column the focused list is sorted by", show=False, display="F6"),
    KeySpec("zoom", "z", "zoom", "Zoom", "zoom the focused pane to the whole screen and back",
            show=False),
    KeySpec("maintenance", "m", "maintenance", "Maint",
            "maintenance on/off for the selected node", mutating=True, asks=True),
    KeySpec("force-maintenance", "M", "force_maintenance", "Force maint",
            "forced maintenance of the selected node (evacuates even below HA's failover level)",
            mutating=True, asks=True, show=False),
    KeySpec("migrate", "v", "migrate", "Migrate",
            "migrate the selected VM (pick a target; a: the balancer chooses)", mutating=True),
    KeySpec("suspend", "p", "suspend", "Suspend",
            "suspend the selected VM (paused in memory), or resume it when paused",
            mutating=True, show=False),
    KeySpec("shutdown", "S", "shutdown", "Shutdown",
            "shut the selected VM down through its guest OS (graceful; P cuts the power)",
            mutating=True, asks=True, show=False),
    KeySpec("power", "P", "power", "Power",
            "power the selected VM on, or force a running one off (a hard power-off: asks)",
            mutating=True, asks=True, show=False),
    KeySpec("failover", "f", "failover", "Failover",
            "forced failover of the selected service, or of every service active on the "
            "selected node", mutating=True, asks=True),
    KeySpec("crash", "x", "crash", "Crash", "crash the selected node (fail-node)",
            mutating=True, asks=True),
    KeySpec("isolate", "i", "isolate", "Isolate",
            "cut the selected node off the heartbeat network", mutating=True, asks=True),
    KeySpec("recover", "r", "recover", "Recover",
            "recover the selected node: power it on, or reconnect it if isolated",
            mutating=True),
    KeySpec("rebalance", "b", "rebalance", "Rebal",
            "run the balancer now and apply its moves (enter in the balancer pane: one move)",
            mutating=True, asks=True),
    KeySpec("pause", "space", "pause", "Pause", "pause / resume the simulated clock",
            display="space", paused_footer="Resume"),
    KeySpec("faster", "plus", "faster", "Faster", "speed up the clock", show=False, display="+"),
    KeySpec("slower", "minus", "slower", "Slower", "slow the clock down", show=False,
            display="-"),
    KeySpec("follow", "a", "follow", "Node/all",
            "VMs pane: the selected node's VMs, or all VMs", show=False),
    KeySpec("theme", "t", "next_theme", "Theme", "next theme", show=False),
    KeySpec("next-pane", "tab", "next_pane", "Next pane", "next pane", show=False),
    KeySpec("previous-pane", "shift+tab", "previous_pane", "Prev pane", "previous pane",
            show=False),
    KeySpec("pane-left", "left,h", "pane_left", "Left", "pane to the left", show=False,
            display="← h"),
    KeySpec("pane-right", "right,l", "pane_right", "Right", "pane to the right", show=False,
            display="→ l"),
    KeySpec("events", "e", "show_lower('events')", "Events", "show the events pane", show=False),
    KeySpec("balancer", "B", "show_lower('balancer')", "Balancer",
            "show the balancer recommendations", show=False),
    KeySpec("images", "I", "show_lower('images')", "Images", "show the images pane",
            show=False),
    KeySpec("details", "enter", "details", "Details",
            "details of the selected node, VM or service", show=False),
    KeySpec("log", "L", "event_log", "Log",
            "the whole event log, full screen (at the selected event in the events pane)",
            show=False),
    KeySpec("alerts", "exclamation_mark", "alerts", "Alerts",
            "the open alerts as a list (the header's alerts N); enter goes to the subject",
            show=False, display="!"),
    KeySpec("quit", "q", "app.quit", "Quit",
            "quit (in the details, event log and alerts screens q goes back)"),
)
#: Keys only a replay has (the main screen hides them otherwise; help lists them in a replay).
REPLAY_KEYS: tuple[KeySpec, ...] = (
    KeySpec("step", "s", "replay_step", "Step",
            "replay: pause and step to the next recorded command"),
    KeySpec("seek-back", "left_square_bracket", "replay_seek(-1)", "Back",
            "replay: back to the previous recorded command or mark (at most 60 s back; "
            "the model is re-simulated from the start)", display="["),
    KeySpec("seek-forward", "right_square_bracket", "replay_seek(1)", "Fwd",
            "replay: on to the next recorded command or mark (at most 60 s on)", display="]"),
)
#: Keys only an interactive drill (or the replay of one) has: its panel.
DRILL_KEYS: tuple[KeySpec, ...] = (
    KeySpec("drill-panel", "9", "focus_drill", "Drill",
            "drill panel: focus it (it grows; up/down scroll its expectations)", show=False),
)
ALL_KEYS = KEYS + REPLAY_KEYS + DRILL_KEYS
#: Keys of the full-screen event log (`L`), its own: (keys, action, footer label, help line).
LOG_KEYS = (("a", "severity('debug')", "All", "show every event"),
            ("w", "severity('warning')", "Warn+", "show warnings and errors only"),
            ("e", "severity('error')", "Errors", "show errors only"),
            ("slash", "search", "Search",
             "show only the events with every word typed (esc clears)"),
            ("enter", "details", "Details",
             "details of the selected event's node, VM or service"),
            ("escape,q", "close", "Back", "back to the panes"))
#: Keys every table knows (not remappable: they are the table's own).
TABLE_KEYS = (("↑ ↓ k j", "move the selection"), ("pgup pgdn", "page"),
              ("home end g G", "first / last row"), ("1-8", "jump to a pane"),
              ("esc", "back: close a dialog, clear a filter, leave the command line"),
              ("ctrl+p", "command palette"),
              ("F10 ctrl+c", "quit, from every screen (dialogs, help, palette, command line)"),
              ("ctrl+z", "suspend (fg brings the console back)"))

KEY_IDS = {k.id for k in ALL_KEYS}
#: Keys that tables and screens keep for themselves; a keymap may not take them.
RESERVED = {"up", "down", "k", "j", "pageup", "pagedown", "home", "end", "g", "G", "escape",
            "ctrl+p", "ctrl+c", "ctrl+z", "f10", *"12345678"}
#: Modifiers a key name may start with (`ctrl+x`, `ctrl+shift+left`).
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")


def _named_keys() -> frozenset[str]:
    """The key names Textual gives keys that are not one printable character (`enter`, `f5`,
    `pageup`, `question_mark`, `plus`, ...): those of its `Keys` table, without modifiers, and
    the names it gives punctuation."""
    from textual.keys import Keys, _character_to_key

    names = {key.value.split("+")[-1] for key in Keys if not key.value.startswith("<")}
    names |= {_character_to_key(char) for char in string.punctuation}
    return frozenset(name for name in names if len(name) > 1)


#: Every key name a key map may use besides single characters.
NAMED_KEYS = _named_keys()


#: Names users write for named keys, besides Textual's own (compared in lower case).
KEY_SYNONYMS = {"pgup": "pageup", "pgdn": "pagedown", "page_up": "pageup",
                "page_down": "pagedown", "esc": "escape", "del": "delete", "ins": "insert",
                "return": "enter", "bksp": "backspace"}


def key_name(key: str) -> str | None:
    """The name Textual gives the key written `key`, or None when it names no key.

    Modifiers (`MODIFIERS`, each at most once) and named keys are read in any case, so `F2`,
    `Enter`, `PgUp` and `Ctrl+X` are `f2`, `enter`, `pageup` and `ctrl+X` (`KEY_SYNONYMS`
    adds `esc`, `del`, `pgdn`, ...); a single character keeps its case (`M` is not `m`), and
    punctuation takes Textual's name (`?` is `question_mark`). `foo`, `ctrl+`, `ctrl+ctrl+x`,
    a space and a comma name no key (write `space`, `comma`)."""
    if len(key) == 1:
        return _normal(key) if key.isprintable() and key not in " ," else None
    *modifiers, base = key.split("+")
    modifiers = [m.lower() for m in modifiers]
    if len(set(modifiers)) != len(modifiers) or not set(modifiers) <= set(MODIFIERS):
        return None
    if len(base) == 1:
        base = _normal(base) if base.isprintable() and base not in " ," else ""
    else:
        base = KEY_SYNONYMS.get(base.lower(), base.lower())
    if not base or (len(base) > 1 and base not in NAMED_KEYS):
        return None
    return "+".join([*modifiers, base])


def is_key_name(key: str) -> bool:
    """Whether `key` names a key Textual can deliver (see `key_name`)."""
    return key_name(key) is not None


def keymap_path() -> Path:
    """The user's key overrides file, `keys.toml` in the user config folder."""
    return config_dir() / "keys.toml"


def load_keymap(path: Path | None = None) -> dict[str, str]:
    """The user's key overrides, {id: keys} (keys comma-separated); {} when there is no file.

    Raises `ConfigError` (an `InputError`, one line `file:line: keys.ID: message`) for a file
    that is not TOML, an unknown id, a bad or reserved key, or a key given twice.
    """
    path = keymap_path() if path is None else path
    if not os.path.lexists(path):  # a broken link or a link loop is an error, not "no file"
        return {}
    text = read_file(path)
    data = parse_toml(text, str(path))

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(str(path), locate(text, key), key, message)

    unknown = [k for k in data if k != "keys"]
    if unknown:
        raise fail(unknown[0], "unknown section; put the keys under [keys]")
    table = data.get("keys", {})
    if not isinstance(table, dict):
        raise fail("keys", "must be a table")
    keymap: dict[str, str] = {}
    used: dict[str, str] = {}
    for binding_id, value in table.items():
        where = f"keys.{binding_id}"
        if binding_id not in KEY_IDS:
            raise fail(where, f"unknown key id (known: {', '.join(sorted(KEY_IDS))})")
        if not isinstance(value, str) or not value.strip():
            raise fail(where, f"must be a key name such as \"X\" or \"ctrl+x\", got {value!r}")
        keys = [k.strip() for k in value.split(",")]
        for key in keys:
            if not key:
                raise fail(where, f"an empty key name in {value!r} (keys are separated by "
                                  "commas; write a comma key as \"comma\")")
            normal = key_name(key)
            if normal is None:
                raise fail(where, f"{key!r} is not a key name")
            if used.get(normal) == binding_id:
                raise fail(where, f"{key!r} is given twice")
            if normal in RESERVED:
                raise fail(where, f"{key!r} is reserved (tables, panes and dialogs use it)")
            if normal in used and used[normal] != binding_id:
                raise fail(where, f"{key!r} is already given to {used[normal]}")
            used[normal] = binding_id
        keymap[binding_id] = ",".join(key_name(k) or k for k in keys)
    # A remapped key must not collide with a default key left in place.
    for spec in ALL_KEYS:
        if spec.id in keymap:
            continue
        for key in spec.keys.split(","):
            owner = used.get(_normal(key))
            if owner is not None:
                raise fail(f"keys.{owner}", f"{key!r} is already the key of {spec.id}; "
                                            f"remap {spec.id} too")
    return keymap


def _normal(key: str) -> str:
    """A one-character key as Textual names it (`?` is `question_mark`, `x` stays `x`)."""
    from textual.keys import _character_to_key

    return _character_to_key(key) if len(key) == 1 else key


def keys_for(spec: KeySpec, keymap: dict[str, str]) -> str:
    """The keys bound to `spec`: the user's override from `keymap`, else the default,
    comma-separated."""
    return keymap.get(spec.id, spec.keys)


def display_key(spec: KeySpec, keymap: dict[str, str]) -> str:
    """The key of `spec` as the help screen writes it (several separated by spaces)."""
    if spec.id in keymap:
        return keymap[spec.id].replace(",", " ")
    return spec.display or spec.keys.replace(",", " ")
