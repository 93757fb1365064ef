"""The main screen: every pane at once, the keys that act on the selection, `:` and `/`.

Each key builds commands of the command language for the current selection (console.ui.actions)
and hands them to `ConsoleApp.run_command`, the session's door; destructive ones ask first. In
read-only mode (and during a replay, or once an interactive drill is over) the mutating keys are
greyed in the footer and, pressed anyway, still build their command so that it is refused with
its reason (no key changes anything behind the read-only flag's back).

A mode (an interactive drill, a replay) adds its widgets below the panes: the drill panel, the
replay bar.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Input, Static

from console.model import views
from console.model.commands import Command, Migrate
from console.ui import actions, capability
from console.ui.compositor import LineCroppingCompositor
from console.ui.keys import ALL_KEYS, KEYS
from console.ui.real_hosts import on_real_host
from console.ui.screens.steady import SteadyScreen
from console.ui.widgets.balancer import BalancerTable
from console.ui.widgets.bar import Bar
from console.ui.widgets.base import Pane
from console.ui.widgets.command_line import PANES, CommandLine, Completions
from console.ui.widgets.events import EventsTable
from console.ui.widgets.footer import ConsoleFooter
from console.ui.widgets.header import ClusterHeader
from console.ui.widgets.heartbeats import HeartbeatsTable
from console.ui.widgets.images import ImagesTable
from console.ui.widgets.keyed_table import KeyedTable
from console.ui.widgets.legend import SymbolLegend
from console.ui.widgets.migrations import MigrationsTable
from console.ui.widgets.nodes import NodesPane, NodeSpark, NodesTable
from console.ui.widgets.services import ServicesTable
from console.ui.widgets.vms import VmsPane, VmsTable

if TYPE_CHECKING:
    from console.ui.mode import Viewer

MIN_WIDTH, MIN_HEIGHT = 70, 20
TABLE_IDS = {name: f"{name}-table" for name in PANES}
LOWER = ("events", "balancer", "images")
TITLES = {"nodes": "1 Nodes", "heartbeats": "3 Heartbeats", "vms": "2 VMs",
          "services": "4 Services", "migrations": "5 Migrations", "events": "6 Events",
          "balancer": "7 Balancer", "images": "8 Images"}
#: The lower pane on show -> the subtitle's keys to the other two: `7:balancer 8:images`.
OTHER_LOWER_PANES = {f"{shown}-pane": " ".join(f"{n + 6}:{name}" for n, name in enumerate(LOWER)
                                               if name != shown) for shown in LOWER}
#: Rows a pane takes besides its table's rows: the border (2) and the header line.
PANE_FRAME = 3
#: The fewest rows of a pane: its frame and one line (a row, or "no events yet").
PANE_MIN = PANE_FRAME + 1
#: The VMs' rows `pane_rows` counts at most (more than any screen has).
MAX_VMS_ROWS = 500
VMS_MIN = PANE_FRAME + 3
MUTATING_ACTIONS = {spec.action for spec in KEYS if spec.mutating}
#: A mutating key's action -> its key (the source is asked by key: console.ui.capability).
MUTATING_KEYS = {spec.action: spec for spec in KEYS if spec.mutating}
#: The clock's keys' actions: greyed, but still speaking, where the session's driver refuses them.
CLOCK_ACTIONS = ("pause", "resume", "faster", "slower")
#: Pane sizes follow their content (`pane_rows`) in steps of this many rows (`stepped_needs`) ...
LAYOUT_STEP_ROWS = 4
#: ... and, once content has moved them, not again for this many seconds of the simulated clock
#: (real seconds at x1; the clock, not the wall, so that a run is the same however fast it
#: goes): a new layout repaints the whole screen (80-300 ms at 40,000 VMs) and a key pressed
#: meanwhile waits, so content changes (migrations coming and going in an evacuation, a node's
#: VMs) repaint rows only in between. A resize, or another lower pane shown, lays the panes out
#: at once.
LAYOUT_SETTLE_S = 1.0
#: ... nor, at the clock's ticks or after the operator's command, while the operator is at the
#: keys: the changes move the panes only once no key (or mouse event) came for this many real
#: seconds (`ConsoleApp.input_idle_s`; a tick finds it, also while the clock is paused). A
#: command is typed, so it always leaves its layout to a later tick; a resize, another pane,
#: a drill's or a replay's step and the tests' `advance` lay the panes out at once: the same
#: keys and clock give the same screen, however fast. A new layout lays out and draws the
#: whole screen again, 30-70 ms of CPU at 40,000 VMs, and a key pressed meanwhile waits for
#: it: during a churn (an evacuation's migrations coming and going) and right after a typed
#: command that was the longest wait of a key.
LAYOUT_INPUT_QUIET_S = 1.0


BAR_ACTIONS = ("command_line", "filter")  # keys that open a bar (see MainScreen.take_key)
#: Keys that open a screen over this one (see MainScreen.take_key).
SCREEN_ACTIONS = ("event_log", "alerts", "sort_pick", "app.help")
#: The pane numbers (1-8), handled where the bar keys are (see MainScreen.take_key).
PANE_KEYS = {str(n): name for n, name in enumerate(PANES, start=1)}


def _bindings() -> list[BindingType]:
    found: list[BindingType] = []
    # The app's keys (help, quit) first: the footer shows them even at 80 columns.
    for spec in sorted(ALL_KEYS, key=lambda spec: not spec.action.startswith("app.")):
        found.append(Binding(spec.keys, spec.action, spec.footer, show=spec.show, id=spec.id))
        if spec.paused_footer:  # the same keys, labelled for a paused clock (check_action)
            found.append(Binding(spec.keys, "resume", spec.paused_footer, show=spec.show,
                                 id=spec.id))
    for n, name in enumerate(PANES, start=1):
        found.append(Binding(str(n), f"focus_pane('{name}')", name.title(), show=False))
    found.append(Binding("escape", "back", "Back", show=False))
    return found


class MainScreen(SteadyScreen, Screen[None]):
    """The console's main screen: header, the nodes, heartbeats, VMs, services and migrations panes,
    the switchable events / balancer / images pane, the mode's widgets, the command and filter bars
    and the footer."""

    DEFAULT_CSS = """
    MainScreen { layout: vertical; layers: default overlay; }
    MainScreen #body { height: 1fr; }
    MainScreen #top { height: 7; }
    MainScreen #middle { height: 1fr; layout: horizontal; }
    MainScreen #lower { height: 10; }
    MainScreen #nodes-pane { width: 3fr; }
    MainScreen #heartbeats-pane { width: 2fr; }
    MainScreen #vms-pane { width: 3fr; height: 1fr; }
    MainScreen #side { width: 2fr; layout: vertical; }
    MainScreen #services-pane { height: 6; }
    MainScreen #migrations-pane { height: 1fr; min-height: 4; }
    /* Room enough: the VMs get the full width, services and migrations sit side by side. */
    MainScreen.-roomy #middle { layout: vertical; }
    MainScreen.-roomy #vms-pane { width: 1fr; }
    MainScreen.-roomy #side { width: 1fr; layout: horizontal; height: 7; }
    MainScreen.-roomy #services-pane { height: 1fr; width: 1fr; }
    MainScreen.-roomy #migrations-pane { height: 1fr; width: 1fr; }
    MainScreen .bar { dock: bottom; height: 1; display: none; border: none; padding: 0 1;
                      background: $panel; }
    MainScreen .bar:focus { border: none; }
    MainScreen .bar.-open { display: block; }
    MainScreen #too-small { display: none; width: 1fr; height: 1fr; content-align: center middle;
                            text-style: bold; color: $text-warning; }
    MainScreen.-too-small #body { display: none; }
    MainScreen.-too-small #too-small { display: block; }
    MainScreen.-short NodeSpark { display: none; }
    MainScreen.-short SymbolLegend { display: none; }
    MainScreen .-maximized { height: 1fr !important; width: 1fr !important; }
    """
    #: Zoom (`z`) keeps the header, the footer and the bars with the maximized pane.
    ALLOW_IN_MAXIMIZED_VIEW = "ClusterHeader, Footer, .bar"

    BINDINGS: ClassVar[list[BindingType]] = _bindings()
    #: A second's clock or a key's two rows render only their lines, not every widget's.
    compositor_class = LineCroppingCompositor

    def compose(self) -> ComposeResult:
        self._mode_widgets = self.console.mode.widgets() if self.console.mode else []
        if not self._mode_widgets:
            # The layout's classes for the terminal's size before anything is styled: set on
            # mount, they would restyle the whole screen once more before the first frame. (A
            # mode's widgets take rows that are known once they are fitted, on mount.)
            width, height = self.app.size
            self._set_layout_classes(width, height, height)
        yield ClusterHeader(id="header")
        with Vertical(id="body"):
            with Horizontal(id="top"):
                yield NodesPane(id="nodes-pane")
                with Pane(id="heartbeats-pane"):
                    yield HeartbeatsTable(id="heartbeats-table")
                    yield SymbolLegend(id="symbol-legend")
            with Horizontal(id="middle"):
                yield VmsPane(id="vms-pane")
                with Vertical(id="side"):
                    with Pane(id="services-pane"):
                        yield ServicesTable(id="services-table")
                    with Pane(id="migrations-pane"):
                        yield MigrationsTable(id="migrations-table")
            with ContentSwitcher(id="lower", initial="events-pane"):
                with Pane(id="events-pane"):
                    yield EventsTable(id="events-table")
                with Pane(id="balancer-pane"):
                    yield BalancerTable(id="balancer-table")
                with Pane(id="images-pane"):
                    yield ImagesTable(id="images-table")
        yield from self._mode_widgets
        yield Static("", id="too-small")
        yield Completions(id="completions")
        yield CommandLine(id="command-line", classes="bar")
        yield Bar(placeholder="filter (enter keeps it, esc clears)", id="filter-line",
                  classes="bar")
        yield ConsoleFooter(compact=True, show_command_palette=False)

    # -- set-up ---------------------------------------------------------------------------------

    @property
    def console(self) -> Viewer:
        """The app, as the `Viewer` the screen relies on."""
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        for name, title in TITLES.items():
            self.query_one(f"#{name}-pane").border_title = title
        self.query_one("#lower").border_title = ""
        self._subtitles: dict[str, str] = {}  # pane -> its subtitle on screen
        # pane -> what the subtitle says before the position, and its shorter forms
        self._notes: dict[str, tuple[str, ...]] = {}
        self._titles: dict[str, str] = dict(TITLES)
        self._content_laid_out_at = -math.inf  # the clock's time content last moved the panes
        # The node followed before the layout counts the VMs pane's rows: not every VM sorted
        # (40,000) for a count the first frame does not show.
        self.query_one(VmsTable).node = self.console.selected_node
        # What every tick repaints, found once (a query each a tick cost as much as a pane).
        self._header = self.query_one(ClusterHeader)
        self._upper_tables = [self.query_one(f"#{name}-table", KeyedTable)
                              for name in ("nodes", "heartbeats", "vms", "services", "migrations")]
        self._lower = self.query_one("#lower", ContentSwitcher)
        self._lower_tables = {f"{name}-pane": self.query_one(f"#{name}-table", KeyedTable)
                              for name in LOWER}
        self._spark = self.query_one(NodeSpark)
        self._panes = {f"{name}-pane": (self.query_one(f"#{name}-pane", Pane),
                                        self.query_one(f"#{name}-table", KeyedTable))
                       for name in TITLES}
        self._subtitled_for: dict[str, tuple] = {}  # pane -> what its subtitle was fitted for
        self._layout_for(self.size.width, self.size.height)
        for table in self.query(KeyedTable):  # the panes that follow a cursor: in its frame
            table.follower = self.on_keyed_table_highlighted
        self.query_one("#nodes-table").focus()
        self._ready = True
        self.update_view()

    def first_frame_shown(self) -> None:
        """The console's first full frame is out: the app may start what waits for it
        (`ConsoleApp.first_frame_out`)."""
        first_frame_out = getattr(self.app, "first_frame_out", None)
        if first_frame_out is not None:
            first_frame_out()

    async def rebuild(self) -> None:
        """Compose the screen anew and lay it out again, as when it was first mounted: every
        table starts afresh from the app's engine (a replay seeking back swaps in another
        model, which the tables' caches of the old one must not outlive)."""
        self._ready = False
        await self.recompose()
        self._laid_out_for = None
        self._needs = None
        self.on_mount()

    def on_resize(self, event: events.Resize) -> None:
        if getattr(self, "_ready", False):  # else `on_mount` lays out, for the size then
            self._layout_for(event.size.width, event.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        """Lay the panes out for a `width` x `height` screen: which arrangement, then each pane's
        rows by its content (`_content_rows`, in steps: `stepped_needs`); done again only when
        the size or what the panes need changed."""
        needs = stepped_needs(self._content_rows(), getattr(self, "_needs", None))
        if (width, height, needs) == getattr(self, "_laid_out_for", None):
            return
        self._laid_out_for = (width, height, needs)
        self._needs = needs
        # The subtitles were fitted to the panes' widths before this layout (none yet at the
        # first: the longest form, cut at 80 columns until the next key): fitted again after.
        self.call_after_refresh(self._refit_subtitles)
        before = set(self.classes)
        mode_widgets = getattr(self, "_mode_widgets", ())
        room = height - MIN_HEIGHT - sum(getattr(w, "rows", 0) for w in mode_widgets
                                         if not hasattr(w, "fit"))
        for widget in mode_widgets:  # a drill panel shrinks so the panes keep MIN_HEIGHT rows
            if hasattr(widget, "fit"):
                widget.fit(room)
                room -= widget.rows
        panes = height - sum(getattr(w, "rows", 0) for w in mode_widgets)
        small = self._set_layout_classes(width, height, panes)
        height = panes
        if small:
            self._restyle_if_changed(before)
            self.query_one("#too-small", Static).update(
                f"Terminal too small: {width}x{height}.\n"
                f"cluster-console needs at least {MIN_WIDTH}x{MIN_HEIGHT} (best 120x40).\n"
                "q quits.")
            return
        roomy, short = self.has_class("-roomy"), self.has_class("-short")
        self._restyle_if_changed(before)
        rows = pane_rows(needs, height - 2, roomy=roomy, short=short)  # header and footer: 2
        self.query_one("#top").styles.height = rows["top"]
        self.query_one("#lower").styles.height = rows["lower"]
        if roomy:
            self.query_one("#side").styles.height = rows["side"]
            self.query_one("#services-pane").styles.height = "1fr"
        else:
            self.query_one("#side").styles.height = "1fr"
            self.query_one("#services-pane").styles.height = rows["services"]

    def follow_content(self) -> None:
        """The panes' sizes after what they show now (`update_view`; the app's ticks of a
        clock that does not move): as `_layout_for`, but no sooner than LAYOUT_SETTLE_S of the
        clock after content last moved them, and not for a tick or an operator's command while
        keys come (LAYOUT_INPUT_QUIET_S; a later tick does it then)."""
        if not getattr(self, "_ready", False) or self.has_class("-too-small"):
            return
        now = self.console.session.now
        if now < self._content_laid_out_at + LAYOUT_SETTLE_S:
            return
        if (getattr(self.console, "layout_may_wait", False)
                and getattr(self.console, "input_idle_s", math.inf) < LAYOUT_INPUT_QUIET_S):
            return
        width, height = self.size
        needs = stepped_needs(self._content_rows(), getattr(self, "_needs", None))
        if (width, height, needs) == getattr(self, "_laid_out_for", None):
            return
        self._content_laid_out_at = now
        self._layout_for(width, height)

    def _set_layout_classes(self, width: int, height: int, panes: int) -> bool:
        """Set the layout's classes, without restyling, for a `width` x `height` terminal
        whose panes have `panes` of its rows (the rest is the mode's widgets): -too-small,
        -roomy, -short. Whether it is too small."""
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small", update=False)
        if not small:
            self.set_class(width >= 110 and panes >= 34, "-roomy", update=False)
            self.set_class(panes < 28, "-short", update=False)
        return small

    def _content_rows(self) -> dict[str, int]:
        """The table rows each pane would like: nodes, services, migrations and the lower pane's
        (events, balancer or images); counts of shown rows, cheap to ask every tick."""
        engine = self.console.engine
        lower = self._lower.current or "events-pane"
        migrations = self._panes["migrations-pane"][1].shown_count()
        lower_rows = self._lower_tables[lower].shown_count()
        vms = self._panes["vms-pane"][1].shown_count()
        return {"nodes": len(views.nodes(engine)), "services": len(views.services(engine)),
                "migrations": migrations, "lower": min(lower_rows, 64),
                "vms": min(vms, MAX_VMS_ROWS)}

    def _restyle_if_changed(self, before: set[str]) -> None:
        """One restyle of the whole screen for all the layout classes that changed: each
        `set_class` with its own update costs a full restyle (~40 ms at start-up)."""
        if set(self.classes) != before:
            self.update_node_styles(animate=False)

    # -- refreshing -----------------------------------------------------------------------------

    def update_view(self) -> None:
        """Repaint from the model: the header, the upper panes and the lower pane on show; nothing
        before mounting, and the header alone while the terminal is too small (it stays on
        show above the message)."""
        if not getattr(self, "_ready", False):
            return
        self._header.update_view()
        if self.has_class("-too-small"):
            return
        for table in self._upper_tables:
            table.update_view()  # type: ignore[attr-defined]
        self._lower_tables[self._lower.current or "events-pane"].update_view()  # type: ignore
        self._spark.show(self.console.engine, self.console.selected_node,
                         self.console.session.clock.speed)
        self._update_titles()
        self.follow_content()
        for widget in self._mode_widgets:
            widget.update_view()  # type: ignore[attr-defined]

    def _update_titles(self) -> None:
        engine = self.console.engine
        q = views.quorum_now(engine)
        partitions = f", {q.partitions} partitions" if q.partitions > 1 else ""
        parts = f"{q.short}, {q.partitions} parts" if q.partitions > 1 else q.short
        shorter = [parts]
        if views.quorum_lost_anywhere_now(engine) and self.has_class("-short"):
            partitions += " · !: side without quorum"  # the legend line is hidden
            shorter.insert(0, f"{parts} · !: no quorum")
        self._subtitle("heartbeats-pane", f"{q.text}{partitions}", *shorter)
        vms = self._panes["vms-pane"][1]
        self._subtitle("vms-pane", vms.scope())  # type: ignore[attr-defined]
        running, queued = views.migration_counts(engine)
        self._subtitle("migrations-pane", f"{running} running, {queued} queued"
                       if running or queued else "")
        self._subtitle("nodes-pane", "")
        self._subtitle("services-pane", "")
        lower = self._lower.current or "events-pane"
        others = OTHER_LOWER_PANES[lower]
        extra = ""
        if lower == "images-pane":
            extra = f"saved {views.images_saved_gb(engine):.0f} GB · "
        elif lower == "balancer-pane":
            measured = views.last_imbalance(engine)
            shown = "not measured yet" if measured is None else f"{measured:.3f}"
            balancer = self._lower_tables["balancer-pane"]
            extra = f"imbalance {shown} · {balancer.summary()} · "  # type: ignore[attr-defined]
        self._subtitle(lower, f"{extra}{others}")

    def _refit_subtitles(self) -> None:
        """Every pane's subtitle fitted again to the pane's width now (after a layout)."""
        if not getattr(self, "_ready", False):  # recomposing: its `on_mount` fits them
            return
        for pane, notes in list(getattr(self, "_notes", {}).items()):
            self._subtitle(pane, *notes)

    def _subtitle(self, pane: str, text: str, *shorter: str) -> None:
        """A pane's subtitle: `text`, its table's `/filter` (the VMs pane says it in its scope)
        and the cursor's position `12/648`; its title names the sort. Where that does not fit
        the pane's border, the first of `shorter` that does instead of `text`, then the last
        without the position."""
        self._notes[pane] = (text, *shorter)
        box, table = self._panes[pane]
        room = box.outer_size.width - 4  # corners, a space each side
        fitted_for = (text, shorter, room, table.text_filter, table.position(),
                      table.sort_column, table.sort_reverse)
        if self._subtitled_for.get(pane) == fitted_for:  # the tick of a quiet second
            return
        self._subtitled_for[pane] = fitted_for
        candidates = []
        forms = [(words, True) for words in (text, *shorter)] + [((text, *shorter)[-1], False)]
        for words, position in forms:
            parts = [words] if words else []
            if table.text_filter and not isinstance(table, VmsTable):
                parts.append(f"/{table.text_filter}")
            if position:
                parts.append(table.position())
            candidates.append(" · ".join(parts))
        text = next((c for c in candidates if room < 0 or len(c) <= room), candidates[-1])
        if self._subtitles.get(pane) != text:
            self._subtitles[pane] = text
            box.set_border_text(subtitle=text)
        name = pane.removesuffix("-pane")
        sort = table.sort_label()
        title = f"{TITLES[name]} · {sort}" if sort else TITLES[name]
        if self._titles.get(name) != title:
            self._titles[name] = title
            box.set_border_text(title=title)

    # -- selection ------------------------------------------------------------------------------

    def on_keyed_table_highlighted(self, message: KeyedTable.Highlighted) -> None:
        """A table's cursor moved: its subtitle's position, and a node's row scopes the VMs pane
        and moves the other node table's cursor. Called at once by the table (its `follower`),
        in the handler that moved the cursor, so that both panes change in one frame; the
        message that arrives afterwards (`followed`) is then nothing new."""
        table = message.table
        if message.followed:
            return
        if message.key != table.cursor_key:
            # stale: the cursor has moved on since (two quick moves). Echoing it to the other
            # table would move that one back, whose own message moves this one back: forever.
            return
        pane = f"{(table.id or '').removesuffix('-table')}-pane"
        if pane in self._notes:
            self._subtitle(pane, *self._notes[pane])
        if isinstance(table, (NodesTable, HeartbeatsTable)) and message.key is not None:
            key = str(message.key)
            self.console.selected_node = key
            other = self.query_one(HeartbeatsTable if isinstance(table, NodesTable)
                                   else NodesTable)
            if other.cursor_key != key:
                other.move_cursor_to_key(key)
            vms = self.query_one(VmsTable)
            if vms.node != key:
                vms.node = key
                vms.refresh_rows()
                self.query_one(NodeSpark).show(self.console.engine, key,
                                               self.console.session.clock.speed)
                self._update_titles()

    def on_keyed_table_selected(self, message: KeyedTable.Selected) -> None:
        message.stop()
        table = message.table
        if isinstance(table, BalancerTable):
            recommendation = table.recommendation(message.key)
            if recommendation is None:  # applied or impossible since: say so, show it afresh
                self.notify(table.stale(message.key), title="Balancer", severity="warning",
                            markup=False)
                table.refresh_rows(force=True)
                return
            self.carry_out(actions.apply_recommendation(recommendation))
            table.refresh_rows(force=True)
            return
        self._open_details(table, message.key)

    def _open_details(self, table: KeyedTable, key: Hashable) -> None:
        from console.ui.screens.details import DetailsScreen

        kind = None
        if isinstance(table, (NodesTable, HeartbeatsTable)):
            kind = "node"
        elif isinstance(table, VmsTable):
            kind = "vm"
        elif isinstance(table, ServicesTable):
            kind = "service"
        elif isinstance(table, MigrationsTable):
            kind = "vm"
        elif isinstance(table, EventsTable):
            event = self.console.engine.log.events[key]  # type: ignore[index]
            kind = views.subject_kind(self.console.engine, event.subject)
            key = event.subject
        if kind is not None and key is not None:
            self.app.push_screen(DetailsScreen(kind, str(key)))

    def operator_focus(self):
        """The widget the operator is on: the focused one, or while the command line or the
        filter is open, the one it gives the focus back to."""
        focused = self.focused
        if isinstance(focused, Bar):
            return focused.return_to or focused
        return focused

    def selected_vm(self) -> str | None:
        """The VM under the VMs pane's cursor, or None."""
        key = self.query_one(VmsTable).cursor_key
        return None if key is None else str(key)

    def selected_service(self) -> str | None:
        """The service under the services pane's cursor, or None."""
        key = self.query_one(ServicesTable).cursor_key
        return None if key is None else str(key)

    def selected_node(self) -> str | None:
        """Read from the tables, not from their messages: a key typed right after a move must
        act on the row the cursor is on now."""
        focused = self.focused
        table = focused if isinstance(focused, HeartbeatsTable) else self.query_one(NodesTable)
        key = table.cursor_key
        if key is None:
            return self.console.selected_node
        self.console.selected_node = str(key)
        return str(key)

    # -- read-only: grey the mutating keys, but let them speak ------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Textual's binding check: a mutating action is greyed (None) while the console is locked
        or the session's source refuses it (`source_refusal`: real hosts); the replay's keys
        exist only in a replay, the drill panel's only with one; everything else is enabled."""
        if action in MUTATING_ACTIONS and (self.console.locked
                                           or self.source_refusal(action) is not None):
            return None  # shown greyed in the footer
        if action in ("replay_step", "replay_seek"):
            return self._replay() is not None  # only a replay has the key
        if action == "focus_drill":
            return bool(self.query("#drill-table"))  # only with a drill panel
        if action in ("pause", "resume") \
                and (action == "resume") != self.console.session.clock.paused:
            return False  # one of the two is bound: the footer says which
        if action in CLOCK_ACTIONS and self.clock_refusal(action) is not None:
            return None  # greyed: the session's driver refuses it (a follower, a drill over)
        return True

    def clock_refusal(self, action: str) -> str | None:
        """Why the session's source (real hosts keep real time) or driver refuses the clock
        command the key of `action` (one of `CLOCK_ACTIONS`) would build now; None when both
        take it."""
        session = self.console.session
        driver = session.driver
        if driver is None and session.capability is None:
            return None
        built = {"pause": actions.pause, "resume": actions.pause, "faster": actions.faster,
                 "slower": actions.slower}[action](session.clock)
        reason = capability.refusal(session.capability, built.commands)
        if reason is not None or driver is None:
            return reason
        return next((reason for reason in map(driver.refusal, built.commands)
                     if reason is not None), None)

    def source_refusal(self, action: str) -> str | None:
        """Why the session's source refuses what the mutating key of `action` does
        (console.ui.capability: a real host is not crashed from the console, real hosts are
        read-only without --allow-actions); None when it takes it or `action` changes
        nothing."""
        spec = MUTATING_KEYS.get(action)
        if spec is None:
            return None
        return capability.key_refusal(self.console.session, spec.id)

    def press_greyed(self, action: str) -> None:
        """A greyed key pressed (or picked in the palette): a key the source refuses says its
        refusal in one line and does nothing; any other (locked, the driver's clock) builds its
        command, so that its refusal says why."""
        reason = self.source_refusal(action)
        if reason is not None:
            self.notify(f"{MUTATING_KEYS[action].footer}: {reason}", title="Refused",
                        severity="warning", timeout=6, markup=False)
            return
        getattr(self, f"action_{action}")()

    def take_key(self, event: events.Key) -> bool:
        """A key the app hands here as it reads it, before it goes to the focused widget
        (ConsoleApp.on_event); whether it was taken. `:` and `/` open their bar, and the pane
        numbers focus their pane, here and not through bindings: the keys typed right behind
        them (over SSH a whole `:speed 63` and enter arrive in one burst) must then go to the
        bar, or find that pane focused (`6/`), in the order typed. Opened from the focused
        pane's own turn, the bar got the later keys straight away while the earlier ones were
        still passed up from the pane: on a big cluster, where a repaint takes a while, a
        command lost its first letters or digits, and the rest ran as keys of their own. Keys
        while a bar is open are the bar's. So are the keys that open a screen (`L`, `!`, F6,
        `?`): the screen is pushed here, and the keys read behind it wait for it
        (ConsoleApp.push_screen): `L/miss` searched the main screen's panes, not the log."""
        if isinstance(self.focused, Bar):
            return False
        for spec in KEYS:
            if (spec.action in BAR_ACTIONS + SCREEN_ACTIONS
                    and event.key in self.console.keys_of(spec).split(",")):
                owner, name = ((self.app, spec.action.removeprefix("app."))
                               if spec.action.startswith("app.") else (self, spec.action))
                getattr(owner, f"action_{name}")()
                return True
        if event.key in PANE_KEYS:
            self.action_focus_pane(PANE_KEYS[event.key])
            return True
        return False

    def on_key(self, event: events.Key) -> None:
        """A greyed (locked) key still builds its command, so the refusal says why."""
        if isinstance(self.focused, Bar):
            return
        locked = self.console.locked
        if not locked and self.console.session.capability is None:
            return
        for spec in KEYS:
            if event.key not in self.console.keys_of(spec).split(","):
                continue
            refused = ((spec.mutating and (locked or self.source_refusal(spec.action)))
                       or (spec.action in CLOCK_ACTIONS
                           and self.clock_refusal(spec.action) is not None))
            if refused:
                event.stop()
                event.prevent_default()
                self.press_greyed(spec.action)
                return

    # -- actions: each builds commands (console.ui.actions) and carries them out ----------------

    def selection(self) -> actions.Selection:
        """What the operator looks at: the focused pane and the selections of the panes."""
        pane = self._focused_pane()
        vm = self.selected_vm()
        if pane == "migrations":
            key = self.query_one(MigrationsTable).cursor_key
            vm = None if key is None else str(key)
        return actions.Selection(pane, self.selected_node(), vm, self.selected_service())

    def target_of(self, key_id: str) -> actions.Target:
        """What the key `key_id` acts on now (console.ui.actions.target_of): the keys, the
        palette's labels and the dialogs all ask here."""
        return actions.target_of(self.console.engine, key_id, self.selection())

    def carry_out(self, action: actions.Action) -> None:
        """Say the notice, open the target picker, ask the question (after the model's check,
        with its preview), or run the commands."""
        if action.notice is not None:
            self.notify(action.notice, title=action.notice_title, severity="warning", markup=False)
            return
        if action.targets is not None and action.vm is not None:
            self._pick_target(action.vm, list(action.targets))
            return
        move = self._real_migration(action)
        if move is not None:
            action = move
        if action.question is not None:
            self.console.confirm_then(action.question, action.detail, list(action.commands))
            return
        for command in action.commands:
            self.console.run_command(command)

    def _real_migration(self, action: actions.Action) -> actions.Action | None:
        """The question a live migration of a VM on a real host asks (from the picker, the
        balancer pane, `v`), for an `action` that is that one migration and asks nothing yet;
        else None."""
        if action.question is not None or len(action.commands) != 1:
            return None
        command = action.commands[0]
        if not isinstance(command, Migrate) or not on_real_host(
                self.console.engine, self.console.session.real_hosts, command.vm):
            return None
        return actions.live_migrate(command.vm, command.target)

    def _pick_target(self, vm: str, options: list[views.TargetOption]) -> None:
        from console.ui.screens.dialogs import TargetPicker

        outcome = self.console.session.check(Migrate(vm))
        if not outcome.accepted:
            self.console.refuse_at_once([Migrate(vm)], outcome)
            return

        def chosen(command: Command | None) -> None:
            if command is not None:
                self.carry_out(actions.Action((command,)))

        def preview(command: Command) -> str:
            return self.console.session.preview(command).text()

        self.app.push_screen(TargetPicker(vm, options, preview), chosen)

    def action_maintenance(self) -> None:
        self.carry_out(actions.maintenance(self.console.engine, self.target_of("maintenance")))

    def action_force_maintenance(self) -> None:
        self.carry_out(actions.maintenance(self.console.engine,
                                           self.target_of("force-maintenance"), force=True))

    def action_crash(self) -> None:
        self.carry_out(actions.crash(self.console.engine, self.target_of("crash")))

    def action_isolate(self) -> None:
        self.carry_out(actions.isolate(self.target_of("isolate")))

    def action_recover(self) -> None:
        self.carry_out(actions.recover(self.console.engine, self.target_of("recover")))

    def action_failover(self) -> None:
        self.carry_out(actions.failover(self.console.engine, self.target_of("failover")))

    def action_migrate(self) -> None:
        self.carry_out(actions.migrate(self.console.engine, self.target_of("migrate"),
                                       locked=self.console.locked))

    def action_suspend(self) -> None:
        """`p`: suspend the selected VM, or resume it when paused."""
        self.carry_out(actions.suspend(self.console.engine, self.target_of("suspend")))

    def action_shutdown(self) -> None:
        """`S`: shut the selected VM down through its guest (asks first)."""
        self.carry_out(actions.shutdown(self.target_of("shutdown")))

    def action_power(self) -> None:
        """`P`: power the selected VM on, or force it off (asks first)."""
        self.carry_out(actions.power(self.console.engine, self.target_of("power")))

    def action_rebalance(self) -> None:
        self.carry_out(actions.rebalance(self.console.engine, locked=self.console.locked))

    def action_pause(self) -> None:
        self.carry_out(actions.pause(self.console.session.clock))

    def action_resume(self) -> None:
        """space while paused (the footer says Resume): the same toggle as `action_pause`."""
        self.action_pause()

    def action_faster(self) -> None:
        self.carry_out(actions.faster(self.console.session.clock))

    def action_slower(self) -> None:
        self.carry_out(actions.slower(self.console.session.clock))

    def _replay(self):
        mode = self.console.mode
        if mode is None:  # the plain console: its footer does not import the replay's modules
            return None
        from console.ui.replay import ReplayMode

        return mode if isinstance(mode, ReplayMode) else None

    def action_replay_step(self) -> None:
        replay = self._replay()
        if replay is not None:
            replay.step()

    def action_replay_seek(self, direction: int) -> None:
        replay = self._replay()
        if replay is not None:
            replay.seek(direction)

    def action_focus_drill(self) -> None:
        for table in self.query("#drill-table"):
            table.focus()

    def action_follow(self) -> None:
        vms = self.query_one(VmsTable)
        vms.follow = not vms.follow
        vms.refresh_rows()
        self._update_titles()

    def action_next_theme(self) -> None:
        self.console.next_theme()

    def action_details(self) -> None:
        focused = self.focused
        if isinstance(focused, KeyedTable) and focused.cursor_key is not None:
            focused.action_select()

    def action_event_log(self) -> None:
        """`L`: the whole event log, at the selected event when the events pane has focus."""
        from console.ui.screens.log import EventLogScreen

        events = self.query_one(EventsTable)
        start = events.cursor_key if self.focused is events else None
        self.app.push_screen(EventLogScreen(start if isinstance(start, int) else None))

    def action_alerts(self) -> None:
        """`!`: the open alerts as a list."""
        from console.ui.screens.alerts import AlertsScreen

        self.app.push_screen(AlertsScreen())

    # -- panes ----------------------------------------------------------------------------------

    def _focused_pane(self) -> str:
        focused = self.focused
        for name, table_id in TABLE_IDS.items():
            if focused is not None and focused.id == table_id:
                return name
        return "nodes"

    def action_focus_pane(self, name: str) -> None:
        if name in LOWER:
            switcher = self.query_one("#lower", ContentSwitcher)
            if switcher.current != f"{name}-pane":
                switcher.current = f"{name}-pane"
                self._layout_for(self.size.width, self.size.height)  # another pane: at once
        if self.maximized is not None:  # zoomed: the zoom goes to the pane asked for
            self.maximize(self.query_one(f"#{name}-pane"), container=False)
        # At once, not after a refresh as `focus()` would: keys typed right behind the pane's
        # number (`2>`, over SSH in one burst) act on that pane.
        self.set_focus(self.query_one(f"#{TABLE_IDS[name]}"))
        self.update_view()

    def action_show_lower(self, name: str) -> None:
        self.action_focus_pane(name)

    def action_next_pane(self) -> None:
        index = PANES.index(self._focused_pane())
        self.action_focus_pane(PANES[(index + 1) % len(PANES)])

    def action_previous_pane(self) -> None:
        index = PANES.index(self._focused_pane())
        self.action_focus_pane(PANES[(index - 1) % len(PANES)])

    def action_pane_left(self) -> None:
        self._pane_beside(-1)

    def action_pane_right(self) -> None:
        self._pane_beside(1)

    def _pane_beside(self, direction: int) -> None:
        """h / l: the pane beside the focused one; in the lower pane with none beside it, the
        next or previous of its tabs (events, balancer, images)."""
        name = self._focused_pane()
        target = self.neighbour(name, direction)
        if target is None and name in LOWER and self.maximized is None:
            index = LOWER.index(name) + direction
            target = LOWER[index] if 0 <= index < len(LOWER) else None
        if target:
            self.action_focus_pane(target)

    def neighbour(self, name: str, direction: int) -> str | None:
        """The pane on screen to the left (-1) or right (1) of pane `name` in the layout now: of
        those beside it that share some of its rows, the nearest;
        None when there is none (or while zoomed). Ties: the one whose top is nearest."""
        if self.maximized is not None:
            return None
        regions = {pane: self.query_one(f"#{pane}-pane").region for pane in PANES}
        here = regions[name]
        found: list[tuple[int, int, int, str]] = []
        for pane, region in regions.items():
            if pane == name or not region.width or not region.height:
                continue
            shared = here.intersection(Region(here.x - 1000, region.y, 3000, region.height))
            if not shared.height:
                continue
            rise = abs(region.y - here.y)
            if direction > 0 and region.x >= here.right - 1:
                found.append((region.x - here.right, rise, -shared.height, pane))
            elif direction < 0 and region.right <= here.x + 1:
                found.append((here.x - region.right, rise, -shared.height, pane))
        return min(found)[-1] if found else None

    def _focused_table(self) -> KeyedTable | None:
        focused = self.focused
        return focused if isinstance(focused, KeyedTable) else None

    def action_zoom(self) -> None:
        """`z`: the focused pane fills the screen (header and footer stay); again: back."""
        if self.maximized is not None:
            self.minimize()
            return
        self.maximize(self.query_one(f"#{self._focused_pane()}-pane"), container=False)

    def action_sort_right(self) -> None:
        self._sort_step(1)

    def action_sort_left(self) -> None:
        self._sort_step(-1)

    def _sort_step(self, step: int) -> None:
        """`<`/`>`: the sort moves to the previous/next column on screen; past either end the
        table's own order."""
        table = self._focused_table()
        if table is None:
            return
        order: list[int | None] = [None, *(i for i, _x, _w in table.layout_columns())]
        at = order.index(table.sort_column) if table.sort_column in order else 0
        self._sort(table, order[(at + step) % len(order)])

    def action_sort_reverse(self) -> None:
        table = self._focused_table()
        if table is not None and table.sort_column is not None:
            self._sort(table, table.sort_column, not table.sort_reverse)

    def action_sort_pick(self) -> None:
        """F6: pick the sort column from a list."""
        from console.ui.screens.sort_picker import OWN_ORDER, SortPicker

        table = self._focused_table()
        if table is None:
            return

        def chosen(column: int | None) -> None:
            if column is not None:
                self._sort(table, None if column == OWN_ORDER else column)

        labels = [column.label for column in table.columns]
        self.app.push_screen(SortPicker(labels, table.sort_column), chosen)

    def _sort(self, table: KeyedTable, column: int | None, reverse: bool | None = None) -> None:
        table.sort_by(column, reverse)
        table.refresh_rows(force=True)
        self._update_titles()

    def action_next_match(self) -> None:
        self._match(1)

    def action_previous_match(self) -> None:
        self._match(-1)

    def _match(self, direction: int) -> None:
        table = self._focused_table()
        if table is None:
            return
        if not table.search.text:
            self.notify("no search: / filters this list first", severity="warning", markup=False)
        elif not table.next_match(direction):
            self.notify(f"no other row matches {table.search.text!r}", markup=False)

    # -- the command line and the filter --------------------------------------------------------

    def action_command_line(self) -> None:
        self._open_bar(self.query_one(CommandLine), self.focused or self.query_one(NodesTable))

    def _open_bar(self, bar: Bar, return_to: Widget) -> None:
        """Open `bar` in place of the footer, focused at once (keys already read behind the
        key that opened it are typed into it); the focus goes to `return_to` when it closes."""
        bar.open(return_to)
        self._show_footer(False)

    def _show_footer(self, shown: bool) -> None:
        """The footer's line back (`shown`) or to an open bar: the footer alone changes, since
        a class set on the screen would restyle every widget on it before the bar opened (a
        third of a second on 40,000 VMs, keys typed behind `:` waiting)."""
        self.set_class(not shown, "-bar-open", update=False)
        self.query_one(ConsoleFooter).display = shown

    def on_input_submitted(self, message: Input.Submitted) -> None:
        """A line submitted: the command line's runs (the bar closed as enter was read:
        `Bar.take`; the filter keeps its words)."""
        message.stop()
        if message.input.id == "filter-line":
            return
        text = message.value.strip()
        if text:
            self.query_one(CommandLine).remember(text)
            self.console.run_text(text)

    def action_filter(self) -> None:
        """`/`: filter the focused list (from the nodes or heartbeats pane: the VMs)."""
        focused = self._focused_pane()
        if focused in ("nodes", "heartbeats"):
            focused = "vms"
        table = self.query_one(f"#{TABLE_IDS[focused]}", KeyedTable)
        self._filter_target = table
        bar = self.query_one("#filter-line", Bar)
        bar.value = table.text_filter
        fields = " ".join(sorted(table.filter_fields()))
        bar.placeholder = (f"filter {focused}: words, or FIELD:value ({fields}); "
                           "enter keeps it, esc clears")
        self._open_bar(bar, table)

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id != "filter-line":
            return
        table = getattr(self, "_filter_target", None) or self.query_one(VmsTable)
        table.set_filter(message.value)
        table.refresh_rows(force=True)
        self._update_titles()

    def action_back(self) -> None:
        """esc: clear the focused table's filter, else restore a maximized pane (an open bar
        takes its esc itself: `Bar`)."""
        focused = self.focused
        if isinstance(focused, KeyedTable) and focused.text_filter:
            focused.set_filter("")
            focused.refresh_rows(force=True)
            self._update_titles()
        elif self.maximized is not None:
            self.minimize()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """A bar that lost the focus closes (unless it has it again: opened once more behind
        the key that closed it), and the footer comes back once no bar is open."""
        if not isinstance(event.widget, Bar):
            return
        if self.focused is not event.widget:
            event.widget.remove_class("-open")
        if not any(bar.has_class("-open") for bar in self.query(Bar)):
            self._show_footer(True)


def pane_rows(needs: dict[str, int], body: int, *, roomy: bool, short: bool) -> dict[str, int]:
    """The rows of each part of the body (`body` rows under the header): `top` (nodes and
    heartbeats), `lower` (events, balancer or images), `side` (services beside migrations, when
    `roomy`) or `services` (over migrations, beside the VMs, when not); the VMs take the rest.

    Each pane asks for its table's rows (`needs`: nodes, services, migrations, lower) plus its
    frame, between PANE_MIN and a cap for the screen's height; every row left over goes to the
    VMs. When the VMs would get fewer than a third of the body (at least VMS_MIN rows), the
    others give rows back one at a time, the tallest first, down to their minimum. Rows the VMs
    cannot fill (`needs["vms"]`, when given: a node with few VMs) go to the lower pane, up to
    what it shows."""
    tall = body >= 34
    top_cap = 14 if tall else 6 if short else 9
    spark = 0 if short else 1
    top = _clamp(needs["nodes"] + PANE_FRAME + spark, PANE_MIN + spark, top_cap)
    lower = _clamp(needs["lower"] + PANE_FRAME, PANE_MIN, 10 if tall else 6 if short else 7)
    services = _clamp(needs["services"] + PANE_FRAME, PANE_MIN, 8 if tall else 6)
    migrations = _clamp(needs["migrations"] + PANE_FRAME, PANE_MIN, 14 if tall else 7)
    rows = {"top": top, "lower": lower}
    if roomy:
        rows["side"] = max(services, migrations)
        shrinkable = ["side", "lower", "top"]
    else:
        rows["services"] = services
        shrinkable = ["lower", "top"]
    least = {"side": PANE_MIN, "lower": PANE_MIN, "top": PANE_MIN + spark}
    vms_least = max(VMS_MIN, body // 3)  # the pane the operator works in most
    short_by = vms_least - (body - sum(v for k, v in rows.items() if k != "services"))
    while short_by > 0:  # a row at a time from the tallest pane that can give one
        givers = [part for part in shrinkable if rows[part] > least[part]]
        if not givers:
            break
        tallest = max(givers, key=lambda part: (rows[part], -shrinkable.index(part)))
        rows[tallest] -= 1
        short_by -= 1
    # Rows the VMs cannot fill (a node's few VMs) go to the lower pane, up to what it shows.
    vms_want = max(vms_least, needs.get("vms", MAX_VMS_ROWS) + PANE_FRAME)
    spare = body - sum(v for k, v in rows.items() if k != "services") - vms_want
    rows["lower"] += max(0, min(spare, needs["lower"] + PANE_FRAME - rows["lower"]))
    if not roomy:  # services over migrations share the VMs' rows; short of them, by halves
        middle = body - rows["top"] - rows["lower"]
        fair = max(PANE_MIN, middle - migrations, middle // 2)
        rows["services"] = max(PANE_MIN - 1, min(services, fair, middle - PANE_MIN))
    return rows


def stepped_needs(needs: dict[str, int], shown: dict[str, int] | None) -> dict[str, int]:
    """The rows each pane asks for (`needs`, as `MainScreen._content_rows` counts them) in steps
    of LAYOUT_STEP_ROWS, given what the layout on screen was made for (`shown`; None: none yet,
    the needs as they are): a pane grows to its need rounded up to a step, and shrinks (to that)
    only once it needs more than a step less than it has; else it keeps its rows."""
    if shown is None:
        return dict(needs)
    stepped = {}
    for part, need in needs.items():
        had = shown.get(part)
        if had is None or need > had or need < had - LAYOUT_STEP_ROWS:
            stepped[part] = need + (-need) % LAYOUT_STEP_ROWS
        else:
            stepped[part] = had
    return stepped


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))
