"""The header line: cluster; the real hosts' source (`libvirt: 2 hosts`), READ-ONLY
(`--read-only`, or real hosts without --allow-actions), DRILL or REPLAY when the console is one
(first, so that a narrow terminal never cuts them); simulated clock and speed (or PAUSED),
quorum, HA, balancer, imbalance and the number of open alerts.

It renders its one line itself and, when a part changes, refreshes only up to the end of what
changed (the clock ticking rewrites a dozen cells, not the line)."""

from __future__ import annotations

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
               "header--sep", "header--readonly")


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
        self._styles: dict[str, Style] = {}  # part style -> the line's style with it
        self._strip: Strip | None = None  # the line drawn from `_parts`, until they change

    def open_alerts(self, engine) -> list[views.Alert]:
        """`views.open_alerts(engine)`, from the views' memo (`views.open_alerts_now`)."""
        return views.open_alerts_now(engine)

    def alerts(self, engine) -> list[str]:
        """The open alerts' lines (`open_alerts`)."""
        return [alert.text for alert in self.open_alerts(engine)]

    def parts(self) -> list[tuple[str, str]]:
        """The header as (text, component class) parts, shorter below 100 columns. The quorum
        says what its votes are (`4 hosts + witness`); the balancer is DRS only on ESXi hosts;
        with alerts open it names their key, `!`, where the screen has it."""
        app = self.app
        engine = app.engine  # type: ignore[attr-defined]
        session = app.session  # type: ignore[attr-defined]
        clk = session.clock
        q = views.quorum_now(engine)
        settings = views.settings(engine)
        alerts = len(self.open_alerts(engine))
        wide = self.size.width >= 100
        sep = (" │ " if wide else " ", "header--sep")
        balancer = f"{views.balancer_name_now(engine)} {settings.balancer.automation} " \
                   f"t{settings.balancer.threshold}"
        found = [(" ", ""), (views.cluster_name(engine), "header--name"), sep]
        # What kind of console this is comes first, so a narrow terminal cuts the figures,
        # never the tag that says the console acts on nothing (or on real hosts).
        source = source_label(session.real_hosts, wide=wide)
        if source:
            found += [(source, "header--name"), sep]
        if session.read_only or refuses_every_change(session):
            found += [("READ-ONLY", "header--readonly"), sep]
        mode = app.mode  # type: ignore[attr-defined]
        if mode is not None and mode.tag:
            found += [(mode.tag, "header--readonly"), sep]
        found += [
            (f"{clock(engine.now)} ", ""),
            *self._clock_part(clk), sep,
            (q.text if wide else q.short, "" if q.ok else "header--bad"), sep,
            ("HA on" if settings.ha.enabled else "HA off", ""), sep,
            (balancer if wide else balancer.split(" ", 1)[1], ""), sep,
            (f"{'imbalance' if wide else 'imb'} {_measured(session.imbalance())}", ""), sep,
            (f"alerts {alerts}{' (! list)' if alerts and wide and self._lists_alerts() else ''}",
             "header--bold" if alerts else ""),
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
        changed width); nothing when nothing changed."""
        new = self.parts()
        old = self._parts
        if new == old:
            return
        self._parts = new
        self._strip = None
        if len(new) != len(old):
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

    def on_resize(self) -> None:
        self._parts = []
        self._strip = None
        self.refresh()
        if self.is_mounted:
            self.update_view()

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
        changed (a partial refresh asks for the whole line)."""
        width = self.size.width
        if not self._parts and self.is_mounted:
            self._parts = self.parts()
            self._strip = None
        strip = self._strip
        if strip is None or strip.cell_length != width:
            segments = [Segment(text, self._style(style)) for text, style in self._parts]
            strip = Strip(Segment.simplify(segments)).crop_extend(0, width, self._style(""))
            self._strip = strip
        return strip


def _measured(imbalance: float | None) -> str:
    """The imbalance to two places, or `-` before anything was measured."""
    return "-" if imbalance is None else f"{imbalance:.2f}"
