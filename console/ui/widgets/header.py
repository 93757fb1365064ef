"""The header line: cluster; the real hosts' source (`libvirt: 2 hosts`), READ-ONLY
(`--read-only`, or real hosts without --allow-actions), DRILL or REPLAY when the console is one
(first, so that a narrow terminal never cuts them); simulated clock and speed (or PAUSED),
quorum, HA, balancer, imbalance and the number of open alerts.

It renders its one line itself and, when a part changes, refreshes only up to the end of what
changed (the clock ticking rewrites a dozen cells, not the line)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from console.model import views
from console.ui.capability import refuses_every_change
from console.ui.real_hosts import source_label
from console.ui.widgets.base import clock
from console.ui.widgets.keyed_table import foreground_style

PART_STYLES = ("", "header--name", "header--paused", "header--bad", "header--bold",
               "header--sep", "header--readonly", "header--clock")
#: The clock's time part: styled as the line, named so a tick can find it (`update_view`).
CLOCK = "header--clock"


class ClusterHeader(Widget):
    """The one-line header: cluster name, simulated time and clock state, quorum, HA, balancer
    setting, imbalance, alert count, and READ-ONLY or the mode's tag; repaints only the parts that
    changed."""

    DEFAULT_CSS = """
    ClusterHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    ClusterHeader > .header--name { text-style: bold; color: $text-accent; }
    ClusterHeader > .header--paused { text-style: bold reverse; color: $text-warning; }
    ClusterHeader > .header--bad { text-style: bold; color: $text-error; }
    ClusterHeader > .header--bold { text-style: bold; color: $text-warning; }
    ClusterHeader > .header--sep { color: $text-muted; }
    ClusterHeader > .header--readonly { text-style: bold reverse; color: $text-accent; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {name for name in PART_STYLES if name}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._parts: list[tuple[str, str]] = []
        self._parts_width = -1  # the width `_parts` were fitted to
        self._fitted_for: tuple | None = None  # (facts, clock's length, width) of `_parts`
        self._clock_at = (0, 0)  # the clock's part in `_parts`: its index and its cell
        self._styles: dict[str, Style] = {}  # part style -> the line's style with it
        self._strip: Strip | None = None  # the line drawn from `_parts`, until they change

    def open_alerts(self, engine) -> list[views.Alert]:
        """`views.open_alerts(engine)`, from the views' memo (`views.open_alerts_now`)."""
        return views.open_alerts_now(engine)

    def alerts(self, engine) -> list[str]:
        """The open alerts' lines (`open_alerts`)."""
        return [alert.text for alert in self.open_alerts(engine)]

    def parts(self) -> list[tuple[str, str]]:
        """The header as (text, component class) parts, in the widest form that fits the width
        (`fit`). The quorum says what its votes are (`4 hosts + witness`); the balancer is DRS
        only on ESXi hosts; with alerts open it names their key, `!`, where the screen has
        it."""
        return fit(self.items(), self.size.width)

    def items(self) -> list[Item]:
        """The header's items in order, each in its wide and short form, and which may be
        dropped where even the short forms do not fit (see `fit`)."""
        return self._items(self._facts(), clock(self.app.engine.now))  # type: ignore[attr-defined]

    def _facts(self) -> tuple:
        """What the header shows but the clock's time, as plain values: cheap to ask and compare
        every tick (a tick that moves only the clock fits no line: `update_view`)."""
        app = self.app
        engine = app.engine  # type: ignore[attr-defined]
        session = app.session  # type: ignore[attr-defined]
        q = views.quorum_now(engine)
        settings = views.settings(engine)
        balancer = settings.balancer
        alerts = len(self.open_alerts(engine))
        mode = app.mode  # type: ignore[attr-defined]
        return (views.cluster_name(engine), source_label(session.real_hosts),
                source_label(session.real_hosts, wide=False),
                session.read_only or refuses_every_change(session),
                mode.tag if mode is not None else "", tuple(self._clock_part(session.clock)),
                q.text, q.short, q.ok, settings.ha.enabled,
                f"{views.balancer_name_now(engine)} {balancer.automation} t{balancer.threshold}",
                _measured(session.imbalance()), alerts, alerts > 0 and self._lists_alerts())

    def _items(self, facts: tuple, time_of_day: str) -> list[Item]:
        """The items of `_facts`, the clock showing `time_of_day` (`HH:MM:SS`)."""
        (name, source, short_source, read_only, tag, clock_state, quorum, short_quorum,
         quorum_ok, ha, balancer, imbalance, alerts, lists) = facts
        found = [Item.plain(name, "header--name")]
        # What kind of console this is comes first, and is never dropped, so a narrow terminal
        # cuts the figures, never the tag that says the console acts on nothing (or on real
        # hosts).
        if source:
            found.append(Item(((source, "header--name"),), ((short_source, "header--name"),),
                              shorten=4))
        if read_only:
            found.append(Item.plain("READ-ONLY", "header--readonly"))
        if tag:
            found.append(Item.plain(tag, "header--readonly"))
        clock_parts = ((f"{time_of_day} ", CLOCK), *clock_state)
        quorum_style = "" if quorum_ok else "header--bad"
        alert_style = "header--bold" if alerts else ""
        found += [
            Item(clock_parts, clock_parts),
            Item(((quorum, quorum_style),), ((short_quorum, quorum_style),), shorten=5, drop=4),
            Item.plain("HA on" if ha else "HA off", "", drop=3),
            Item(((balancer, ""),), ((balancer.split(" ", 1)[1], ""),), shorten=2, drop=2),
            Item(((f"imbalance {imbalance}", ""),), ((f"imb {imbalance}", ""),), shorten=1,
                 drop=1),
            Item(((f"alerts {alerts}{' (! list)' if lists else ''}", alert_style),),
                 ((f"alerts {alerts}", alert_style),), shorten=3),
        ]
        return found

    def _lists_alerts(self) -> bool:
        """Whether `!` lists the alerts on the screen this header is on."""
        return hasattr(self.screen, "action_alerts")

    def _clock_part(self, clk) -> list[tuple[str, str]]:
        """PAUSED, the speed, or HELD while a question is open (ConsoleApp.clock_held); after the
        speed, `behind 42s` while the model cannot keep up with it (ConsoleApp.behind_label)."""
        held = getattr(self.app, "clock_held", False) and not clk.paused
        found = [("HELD" if held else clk.label(), "header--paused" if clk.paused or held else "")]
        behind = "" if held or clk.paused else getattr(self.app, "behind_label", "")
        if behind:
            found.append((f" {behind}", "header--bad"))
        return found

    def update_view(self) -> None:
        """Repaint the region from the first changed part to the last (to the line's end when a part
        changed width); nothing when nothing changed. A tick that moved only the clock puts its
        time in the line as fitted before and repaints its cells, the rest of the header neither
        built nor fitted again."""
        width = self.size.width
        facts = self._facts()
        time_of_day = clock(self.app.engine.now)  # type: ignore[attr-defined]
        old = self._parts
        if (facts, len(time_of_day), width) == self._fitted_for and width == self._parts_width:
            index, x = self._clock_at
            part = (f"{time_of_day} ", CLOCK)
            if old[index] != part:
                self._parts = [*old[:index], part, *old[index + 1:]]
                self._strip = None
                self.refresh(Region(x, 0, len(time_of_day), 1))
            return
        new = self._fit(facts, time_of_day, width)
        if new == old and width == self._parts_width:
            return
        self._parts = new
        self._strip = None
        if len(new) != len(old) or width != self._parts_width:
            self._parts_width = width
            self.refresh()
            return
        x = 0
        first: int | None = None
        last = 0
        shifted = False
        for part, before in zip(new, old, strict=True):
            size = cell_len(part[0])
            if part != before:
                if first is None:
                    first = x
                last = x + size
                shifted = shifted or size != cell_len(before[0])
            x += size
        if first is None:
            return
        if shifted:  # later parts moved: repaint to the end of the longer line
            last = max(x, sum(cell_len(t) for t, _ in old))
        self.refresh(Region(first, 0, max(1, last - first), 1))

    def _fit(self, facts: tuple, time_of_day: str, width: int) -> list[tuple[str, str]]:
        """The parts of `_facts` with the clock at `time_of_day`, fitted to `width`; noted as
        what a tick may put another time of the same length in (`update_view`), unless the
        clock's part was cut at the line's end."""
        parts = fit(self._items(facts, time_of_day), width)
        self._fitted_for = None
        x = 0
        for index, (text, style) in enumerate(parts):
            if style == CLOCK and text == f"{time_of_day} ":
                self._fitted_for = (facts, len(time_of_day), width)
                self._clock_at = (index, x)
                break
            x += cell_len(text)
        return parts

    def on_resize(self) -> None:
        self._parts_width = -1
        self._strip = None
        self.refresh()

    def notify_style_update(self) -> None:
        """Textual's hook on a style change (a theme switch): forget the cached styles and the
        line drawn with them."""
        super().notify_style_update()
        self._styles.clear()
        self._strip = None

    def _style(self, name: str) -> Style:
        """The line's style (`rich_style`) with the part style `name` over it, worked out once
        per theme."""
        style = self._styles.get(name)
        if style is None:
            base = self._styles.get("")
            if base is None:
                base = self._styles[""] = self.rich_style
            style = base if not name else base + foreground_style(
                self.get_component_rich_style(name))
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        """The header's one line, drawn again only when its parts, the width or the theme
        changed (a partial refresh asks for the whole line). Parts fitted to another width (a
        tick before the first layout, a resize) are fitted again first: the first frame shows
        the form of its width."""
        width = self.size.width
        if self._parts_width != width and self.is_mounted:
            self._parts = self._fit(self._facts(), clock(self.app.engine.now),  # type: ignore
                                    width)
            self._parts_width = width
            self._strip = None
        strip = self._strip
        if strip is None or strip.cell_length != width:
            segments = [Segment(text, self._style(style)) for text, style in self._parts]
            strip = Strip(Segment.simplify(segments)).crop_extend(0, width, self._style(""))
            self._strip = strip
        return strip


@dataclass(frozen=True, slots=True)
class Item:
    """One item of the header: its (text, component class) parts in the wide form and in the
    short one; when it takes its short form where the wide forms do not fit (`shorten`: the
    lowest first; 0 for an item the same in both) and when it may be dropped where even the
    short forms do not fit (`drop`: 0 never, else the lowest first)."""

    wide: tuple[tuple[str, str], ...]
    short: tuple[tuple[str, str], ...]
    shorten: int = 0
    drop: int = 0

    @classmethod
    def plain(cls, text: str, style: str, drop: int = 0) -> Item:
        """An item the same in both forms: one part `text` in `style`."""
        return cls(((text, style),), ((text, style),), drop=drop)


WIDE_SEPARATOR = (" │ ", "header--sep")
SHORT_SEPARATOR = (" ", "header--sep")


def fit(items: list[Item], width: int) -> list[tuple[str, str]]:
    """The header's parts for a line `width` cells wide, the first that fits of: the wide forms
    separated by ` │ `; the same with one item after another in its short form (`Item.shorten`);
    every short form separated by a space; the same without the items that may be dropped
    (`Item.drop`), one after another. The last, when nothing fits, is cut at the line's end.
    No item is ever cut where a shorter form of the line would show it whole."""
    shortening = sorted((item for item in items if item.shorten), key=lambda item: item.shorten)
    for count in range(len(shortening) + 1):
        short = {id(item) for item in shortening[:count]}
        parts = _joined([item.short if id(item) in short else item.wide for item in items],
                        WIDE_SEPARATOR)
        if _length(parts) <= width:
            return parts
    kept = list(items)
    while True:
        parts = _joined([item.short for item in kept], SHORT_SEPARATOR)
        droppable = [item for item in kept if item.drop]
        if _length(parts) <= width or not droppable:
            return parts
        kept.remove(min(droppable, key=lambda item: item.drop))


def _joined(forms: list[tuple[tuple[str, str], ...]],
            separator: tuple[str, str]) -> list[tuple[str, str]]:
    """The parts of `forms` in order with `separator` between, after a leading space."""
    parts = [(" ", "")]
    for n, form in enumerate(forms):
        if n:
            parts.append(separator)
        parts.extend(form)
    return parts


def _length(parts: list[tuple[str, str]]) -> int:
    return sum(cell_len(text) for text, _style in parts)


def _measured(imbalance: float | None) -> str:
    """The imbalance to two places, or `-` before anything was measured."""
    return "-" if imbalance is None else f"{imbalance:.2f}"
