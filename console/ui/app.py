"""ConsoleApp: the Textual application, a viewer of one Session (console.session).

The app owns no model: every change goes through the session's one door, `Session.submit`.
`run_command(command)` is that door for the operator (keys, the command line, the palette): it
submits, and notifies a refusal with its reason. The app listens to the session and repaints
after every command, telling in a toast what an interactive drill's steps and a replay's recorded
commands did (their drivers submit them themselves as time passes).

Time: a Textual timer calls `tick(real_elapsed)` every `tick_period()` real seconds (one at x1 and
below, down to `tick_s` at higher speeds: a tick that changes nothing is not made, and the timer
wakes no more often than that; a dialog, the palette or a bar opening or closing ticks at once,
so the header says HELD and the clock stops or goes on without waiting for the timer); the simulated
seconds the clock makes of them are stepped STEP_S at a time, for STEP_BUDGET_S of real time in a
row, the event loop free in between (keys first); what a tick cannot step in time is owed to the
next, and the header says how far the clock is behind. On real hosts (a source that refuses
the clock's commands) the clock keeps real time: nothing holds it and no real second is
dropped. Tests construct the session paused and call `advance(seconds)` instead; nothing here
sleeps.

A `Mode` (console.ui.mode) presents an interactive drill or a replay (tag, widgets, toasts); a
`Source` (console.sources) is started once the console is up and stopped when it quits (the
`--local` machine's readings). Quitting ends the session's recording with its end line.

Signals: in a terminal (not under `run_test`), SIGTERM, SIGHUP (the terminal closed, an SSH
disconnect) and SIGINT quit as `q` does, the recording ending with its end line, and the
terminal is given back as it was (console.ui.driver: a terminal that went away does not block
the way out); the exit status is 128 + the signal's number (`stopped_by` says which). `ctrl+z`
(and `kill -TSTP`) suspends the console like any full-screen program; `fg` repaints it whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from console import collector
from console.model import views
from console.model.commands import (
    COMMANDS,
    ColdMigrate,
    Command,
    CommandError,
    FailNode,
    Failover,
    Isolate,
    LocalReading,
    Maintenance,
    Migrate,
    Pause,
    Rebalance,
    Speed,
    VmPower,
    VmReading,
    VmShutdown,
    parse,
)
from console.model.kernel import Outcome
from console.model.names import label_problem
from console.session import (
    DRILL,
    LEADER,
    MAX_STEP_S,
    OBSERVATION,
    OPERATOR,
    REPLAY,
    Heard,
    Session,
)
from console.signals import STOP_SIGNALS
from console.ui import selection
from console.ui.glyphs import FONT_FILTER, console_font_in_use, use_console_font, wants_console_font
from console.ui.keys import KEYS, KeySpec, keys_for
from console.ui.palette import ConsoleCommands
from console.ui.themes import for_colour_system
from console.ui.toasts import TOAST_CSS, toast_markup
from console.ui.typeahead import IN_ORDER_WAIT_S, InOrder, Turn, TypeAhead
from console.ui.widgets.base import lag

if TYPE_CHECKING:
    from textual.timer import Timer

    from console.model.engine import Engine
    from console.sources.base import Source
    from console.ui.actions import Action
    from console.ui.mode import Mode

#: Signals that quit the console cleanly (recording ended, terminal restored). SIGINT is
#: `kill -INT`: ctrl+c in the console is a key (the terminal is raw), bound to quit.
EXIT_SIGNALS = (*STOP_SIGNALS, signal.SIGINT)

#: Real seconds after the console starts on its model after which Python's cycle collector, held
#: since the start (console.collector), runs again even if the main screen's first frame is not
#: out (which releases it: `first_frame_out`).
COLLECTOR_HELD_S = 5.0

#: Real seconds after the console's first full frame (the main screen's) when
#: `after_first_frame` is called, so that the frame reaches the terminal first; or, should that
#: frame never come, COLLECTOR_HELD_S after the console starts on its model.
AFTER_FIRST_FRAME_S = 0.1

#: Toast titles for what a driver submitted.
SOURCE_TITLES = {DRILL: "Drill step", REPLAY: "Replay", LEADER: "Leader"}

#: The clock steps the model this many simulated seconds at a time ...
STEP_S = 1.0
#: ... for at most this many real seconds in a row; then keys and repaints have their turn, and
#: the rest follows CATCH_UP_GAP_S later (a key is never queued behind a long run of steps).
STEP_BUDGET_S = 0.02
CATCH_UP_GAP_S = 0.01
#: Simulated seconds left over at a tick from earlier ticks, at which the header says the clock
#: is behind (the model costs more than the speed allows); beyond `MAX_STEP_S` real seconds'
#: worth the clock slips (those simulated seconds are not owed any more).
BEHIND_S = 1.0


class ConsoleApp(App[int]):
    """The console viewing one Session (see the module's docstring); `run()` returns the exit
    status."""

    TITLE = "cluster-console"
    CSS = TOAST_CSS
    COMMANDS: ClassVar = App.COMMANDS | {ConsoleCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        # help (? F1) and quit (q), from the one key table, on every screen
        *(Binding(spec.keys, spec.action.removeprefix("app."), spec.footer, id=spec.id)
          for spec in KEYS if spec.action.startswith("app.")),
        # Like htop (F10) and k9s (ctrl+c), from anywhere: dialogs, help, the palette, the
        # command line (Textual's default ctrl+c only says how to quit).
        Binding("f10,ctrl+c", "quit", "Quit", show=False, priority=True),
        # Like every full-screen program, ctrl+z suspends (the terminal sends no SIGTSTP: raw).
        Binding("ctrl+z", "suspend_process", "Suspend", show=False, priority=True),
    ]

    def __init__(
        self,
        session: Session | None = None,
        *,
        loader: Callable[[], Session] | None = None,
        on_loaded: Callable[[Session], None] | None = None,
        mode: Mode | None = None,
        source: Source | None = None,
        confirm: bool = True,
        theme: str | None = None,
        themes: Iterable[object] | None = None,
        keymap: dict[str, str] | None = None,
        tick_s: float = 0.25,
        hold_clock: bool = True,
        after_first_frame: Callable[[ConsoleApp], None] | None = None,
    ) -> None:
        """View `session`, or the one `loader` builds in a background thread behind a loading
        screen (a big cluster file; an exception there exits with status 2 and `load_error`
        set); `on_loaded` is then told the session on the UI thread before it is shown (where
        a recording starts: a console quit while loading records nothing). The thread is a
        daemon: quitting while it loads does not wait for it. ValueError when given
        neither. `hold_clock`: the simulated clock holds while a dialog, the picker, the palette
        or a bar is open (`clock_held`); False lets it run (a mode may say False too).
        `after_first_frame(app)` is called once, `AFTER_FIRST_FRAME_S` after the console's
        first full frame (`first_frame_out`): work the first frame must not wait for (the
        session's journal)."""
        super().__init__()
        if session is None and loader is None:
            raise ValueError("ConsoleApp needs a session or a loader")
        self.session: Session = session  # type: ignore[assignment]
        self.loader = loader
        self.on_loaded = on_loaded
        self.mode = mode
        self.source = source
        self.confirm = confirm
        self.keymap: dict[str, str] = dict(keymap or {})
        self.tick_s = tick_s
        self.hold_clock = hold_clock
        self.after_first_frame = after_first_frame
        self._was_held = False
        self.notices: list[tuple[str, str]] = []
        self.selected_node: str | None = None
        self._last_tick = time.monotonic()
        self._last_input = -math.inf  # time.monotonic() of the operator's last key or mouse event
        #: True while a repaint for the clock's tick or the operator's command runs
        #: (`refresh_view(by_clock=True)` or `by_keys=True`): what may wait for the keys to rest
        #: (the panes' sizes, console.ui.screens.main), does.
        self.layout_may_wait = False
        self._owed = 0.0  # simulated seconds the clock owes the model (`tick`)
        self._catching_up = False  # a catch-up step is due (`_catch_up`)
        self.behind_s = 0.0  # simulated seconds the clock was behind at the last tick
        self.load_error: str | None = None
        #: What the loading screen says while `loader` runs (None: the cluster file loads).
        self.loading_status: Callable[[], str] | None = None
        self.stopped_by: int | None = None
        self._leaving = False
        self._selection: str | None = None  # the selection last told to the session
        self.typeahead = TypeAhead(loading=session is None)
        self.in_order = InOrder()
        self._paused_shown: bool | None = None  # the clock state the footer's label shows
        self._clock_timer: Timer | None = None  # calls `_tick` every `_clock_period` seconds
        self._clock_period = 0.0
        if themes is None:
            from console.ui.themes import load_themes

            themes = load_themes()
        self._themes = list(themes)
        for t in self._themes:
            self.register_theme(t)  # type: ignore[arg-type]
        self.theme_names = [t.name for t in self._themes]  # type: ignore[attr-defined]
        wanted = theme or ("monochrome" if os.environ.get("NO_COLOR") is not None else "dark")
        if wanted in self.available_themes:
            self.theme = wanted
        if self.keymap:
            self.set_keymap(self.keymap)
        if session is not None:
            self._attach(session)

    # -- start-up -------------------------------------------------------------------------------

    def get_driver_class(self):
        """Textual's driver, except that on Linux and macOS its output outlives the terminal
        (console.ui.driver: a hang-up no longer blocks the way out)."""
        found = super().get_driver_class()
        if f"{found.__module__}.{found.__name__}" == "textual.drivers.linux_driver.LinuxDriver":
            from console.ui.driver import ConsoleDriver

            return ConsoleDriver
        return found

    def _attach(self, session: Session) -> None:
        self.session = session
        session.add_listener(self._heard)
        if self.selected_node is None:
            self.selected_node = views.first_node(session.engine)
        if self.mode is not None:
            self.mode.bind(self)

    @property
    def engine(self) -> Engine:
        """The session's engine, for the read-only views (console.model.views) to read."""
        return self.session.engine

    def get_default_screen(self):
        """The main screen straight away (one screen to build for the first frame), or the
        loading screen while a big cluster file loads."""
        if self.session is None:
            from console.ui.screens.loading import LoadingScreen

            return LoadingScreen(when_shown=self._start_loading)
        from console.ui.screens.main import MainScreen

        return MainScreen()

    def on_mount(self) -> None:
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for number in EXIT_SIGNALS:
                with contextlib.suppress(NotImplementedError):  # Windows' event loops
                    loop.add_signal_handler(number, self.stop_on_signal, number)
            self.app_resume_signal.subscribe(self, self._resumed)
        if self.session is None:
            return  # the loading screen, once drawn, starts the load (`_start_loading`)
        self._start()

    def _start_loading(self) -> None:
        """Load in a thread. Not a Textual thread worker: leaving would wait for it (the default
        executor is joined when the event loop closes), and q on the loading screen would not
        quit until a big cluster had loaded. Started once the loading screen is drawn: sooner,
        it took half the interpreter's turns (one thread runs Python at a time) from that
        first frame, and the model was not ready any sooner for it."""
        threading.Thread(target=self._load, name="cluster-load", daemon=True).start()

    def _start(self, push: bool = False) -> None:
        if push:
            from console.ui.screens.main import MainScreen

            self.push_screen(MainScreen())
        self._last_tick = time.monotonic()
        self.set_timer(COLLECTOR_HELD_S, lambda: collector.release(freeze=True))
        if self.tick_s > 0:  # 0: no timer, the caller drives time (the cast exporter)
            self._time_clock()
            self.screen_change_signal.subscribe(self, self._hold_may_change)
        if self.source is not None:
            self.source.start(self.session, self.call_from_thread)
        if self.mode is not None:
            self.mode.started()
        if self.after_first_frame is not None:
            self.set_timer(COLLECTOR_HELD_S, self._call_after_first_frame)  # a fallback

    def first_frame_out(self) -> None:
        """The main screen's first frame is out: Python's cycle collector, held since the start,
        runs again (console.collector), and `after_first_frame` is called
        `AFTER_FIRST_FRAME_S` later (once, on the model: not behind the loading screen)."""
        collector.release(freeze=True)
        if self.after_first_frame is not None and self.session is not None:
            self.set_timer(AFTER_FIRST_FRAME_S, self._call_after_first_frame)

    def _call_after_first_frame(self) -> None:
        callback, self.after_first_frame = self.after_first_frame, None
        if callback is not None and not self._leaving:
            callback(self)

    def _load(self) -> None:
        try:
            with collector.paused():  # a million objects at 40,000 VMs, no garbage cycles
                session = self.loader()  # type: ignore[misc]
        except Exception as error:  # a bad file: say it in one line and leave with status 2
            self.load_error = str(error)
            self._from_loader(self.exit, 2)
            return
        self._from_loader(self._loaded, session)

    def _from_loader(self, callback: Callable[..., object], *args: object) -> None:
        """Run `callback(*args)` on the UI thread, unless the console quit meanwhile."""
        if self._leaving or not self.is_running:
            return
        with contextlib.suppress(RuntimeError):  # the event loop closed meanwhile
            self.call_from_thread(callback, *args)

    def _loaded(self, session: Session) -> None:
        if self._leaving:
            return
        if self.on_loaded is not None:
            self.on_loaded(session)
        self._attach(session)
        self._start(push=True)

    def exit(self, result: int | None = None, return_code: int = 0,
             message: object = None) -> None:
        """Quitting stops the source and ends the recording with its end line (a crash does
        not: see launch)."""
        self._leave(end_recording=return_code == 0)
        super().exit(result, return_code, message)  # type: ignore[arg-type]

    def stop_on_signal(self, number: int) -> None:
        """SIGTERM, SIGHUP or SIGINT: quit as `q` does (the recording ends with its end line),
        exit status 128 + `number`."""
        self.stopped_by = number
        self._leave(end_recording=True)
        super().exit(None, 128 + number)

    def on_exit_app(self) -> None:
        """Textual's own way out, which skips `exit`: the web driver's `quit` message (`serve`:
        the browser's page closed, the server stopping). Quit as `q` does: the recording and
        the journal end cleanly. (After `exit` or a signal, nothing more: already left.)"""
        if not self._leaving:
            self._leave(end_recording=True)

    def _leave(self, *, end_recording: bool) -> None:
        self._leaving = True
        if self.source is not None:
            self.source.stop()
        if end_recording and self.session is not None:
            self.session.close()

    def _resumed(self, _app: object) -> None:
        """Back from a suspension (`fg`): the terminal was cleared, so repaint every line."""
        self.refresh(layout=True)
        self.screen.refresh(layout=True)

    @property
    def locked(self) -> bool:
        """Mutating keys are disabled (greyed): read-only mode, a replay, a drill that ended, real
        hosts that allow no change (console.ui.capability)."""
        from console.ui.capability import refuses_every_change

        return (self.session.read_only or (self.mode is not None and self.mode.locked)
                or refuses_every_change(self.session))

    @property
    def local_processes(self) -> list[tuple[str, float, float]]:
        """The busiest processes of the `--local` machine's last reading (empty without)."""
        return getattr(self.source, "processes", [])

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Toasts, and the last of them kept in `notices` (tests and the palette read it).
        `markup` as Textual's (its own toasts use markup); the console's toasts are plain text
        (names, typed commands, reasons) and say `markup=False`, every one of them."""
        self.notices.append((severity, message))
        del self.notices[:-50]
        super().notify(toast_markup(message, title=title, severity=severity, markup=markup),
                       severity=severity, timeout=timeout, markup=True)  # type: ignore[arg-type]

    # -- the operator's commands ----------------------------------------------------------------

    def run_command(self, command: Command, *, quiet: bool = False) -> Outcome:
        """The operator's command through the session's door; a refusal is notified with its
        reason, an accepted command (unless `quiet`) with what it did."""
        outcome = self.session.submit(command)
        if not outcome.accepted:
            self.notify(f"{command.text()}: {outcome.reason}", title="Refused",
                        severity="warning", timeout=6, markup=False)
        elif not quiet:
            note = f" ({outcome.reason})" if outcome.reason else ""
            self.notify(f"{command.text()}{note}", title="Done", timeout=3, markup=False)
        return outcome

    def _heard(self, heard: Heard) -> None:
        """The session ran a command (or marked a moment): repaint, and say what a drill's
        step or a replayed command did."""
        command, outcome = heard.command, heard.outcome
        if command is None or outcome is None:  # a mark: nothing changed
            return
        if heard.source == OBSERVATION:
            if isinstance(command, LocalReading) and not outcome.accepted:
                self.notify(f"local readings stopped: {outcome.reason}", severity="error",
                            markup=False)
            if not isinstance(command, (LocalReading, VmReading)):
                self.refresh_view()  # what a real host did shows now, not at the next tick
            return
        if outcome.accepted and isinstance(command, (Pause, Speed)):
            self._drop_owed()
            if self._clock_timer is not None:
                self._time_clock()
        title = SOURCE_TITLES.get(heard.source)
        if title is not None:
            if not outcome.accepted:
                self.notify(f"{command.text()}: {outcome.reason}", title=f"{title}: refused",
                            severity="warning", timeout=6, markup=False)
            elif not isinstance(command, LocalReading):
                note = f" ({outcome.reason})" if outcome.reason else ""
                self.notify(f"{command.text()}{note}", title=title, timeout=3, markup=False)
        self.refresh_view(by_keys=heard.source == OPERATOR)

    def run_text(self, text: str, *, ask: bool = False) -> Outcome | None:
        """A line of the command line or the palette: a console word or one of its aliases
        (console.ui.widgets.command_line), else the command language through `run_command`.
        With `ask` (the palette, where a line is one enter away), a command the keys confirm
        (crash, isolate, failover, a hard power-off, ...: `_question_for`) asks first as they
        do; after `:` the typed line is the answer, except on real hosts (`Session.real_hosts`),
        where such a command always asks, naming the host. A word that is neither is refused
        with every word known; None when nothing was submitted."""
        from console.ui.widgets.command_line import PANES, console_word, unknown_word

        words = text.split()
        first = words[0] if words else ""
        head = console_word(first)
        if head == "quit":
            self.exit(0)
            return None
        if head == "help":
            self.action_help()
            return None
        if head == "mark":
            return self.mark(text.strip()[len(first):].strip())
        if head == "theme":
            return self._theme_named(words[1] if len(words) > 1 else "")
        if head in PANES:
            screen = self._main_screen()
            if len(words) > 1:
                return self._not_a_command(f"{first}: a pane's name takes nothing after it")
            if screen is not None:
                screen.action_focus_pane(head)
            return None
        if first not in COMMANDS:
            return self._not_a_command(unknown_word(first))
        try:
            command = parse(text)
        except CommandError as error:
            return self._not_a_command(str(error))
        ask = ask or bool(self.session.real_hosts)  # on real hosts a destructive line asks
        question = self._question_for(command) if ask else None
        if question is not None:
            self.confirm_then(question.question or "", question.detail, [command])
            return None
        return self.run_command(command)

    def _not_a_command(self, reason: str) -> Outcome:
        self.notify(reason, title="Not a command", severity="error", timeout=8, markup=False)
        return Outcome.refuse(reason)

    def _theme_named(self, name: str) -> Outcome:
        if name not in self.theme_names:
            self.notify(f"theme: unknown theme {name!r} (known: "
                        f"{', '.join(self.theme_names)})", severity="error", markup=False)
            return Outcome.refuse("unknown theme")
        self.theme = name
        return Outcome.ok()

    def _question_for(self, command: Command) -> Action | None:
        """The question a key asks before `command` (console.ui.actions), for the commands the
        keys confirm (and a cold migration, a hard power-off, maintenance on, the migration of
        a VM on a real host, a rebalance of real hosts); None for the others and for a name the
        model does not know (the refusal says so)."""
        from console.ui import actions
        from console.ui.real_hosts import on_real_host

        target = getattr(command, "target", None)
        if isinstance(command, VmPower) and not command.on:
            return actions.force_off(f"VM {command.vm}", command.vm)
        if isinstance(command, VmShutdown):
            return actions.shutdown(actions.Target(vm=command.vm))
        if isinstance(command, ColdMigrate):
            where = f"to {target}" if target is not None else "to the host with the most room"
            return actions.Action((command,), question=f"Move VM {command.vm} {where} offline?",
                                  detail="It is stopped if it runs, moved, and started there.")
        if isinstance(command, Maintenance) and command.on:
            return actions.Action((command,), question=f"Put node {command.node} into "
                                  f"maintenance{' (forced)' if command.force else ''}?",
                                  detail="Its VMs leave by live migration first.")
        if isinstance(command, Migrate) and on_real_host(self.engine, self.session.real_hosts,
                                                         command.vm):
            return actions.live_migrate(command.vm, command.target)
        if isinstance(command, Rebalance) and command.mutating and self.session.real_hosts:
            return actions.Action((command,), question="Run the balancer now and apply its plan?",
                                  detail="Its moves are live migrations between the real hosts.")
        try:
            if isinstance(command, FailNode):
                return actions.crash(self.engine, actions.Target(node=command.node))
            if isinstance(command, Isolate):
                return actions.isolate(actions.Target(node=command.node))
            if isinstance(command, Failover):
                return actions.failover(self.engine, actions.Target(service=command.service))
        except KeyError:
            return None
        return None

    def mark(self, label: str) -> Outcome:
        """`:mark LABEL`: a moment in the recording (`replay --svg` screenshots it there)."""
        session = self.session
        if not session.recording:
            self.notify("mark: this session is not being recorded (--record FILE)",
                        severity="warning", markup=False)
            return Outcome.refuse("not recording")
        label = label or f"mark at {session.now:g} s"
        problem = label_problem(label)
        if problem is not None:
            self.notify(f"mark: {problem}", severity="error", markup=False)
            return Outcome.refuse(problem)
        self.note_selection()  # the mark's screenshot shows what is selected now
        session.mark(label)
        self.notify(f"mark {label!r} at {session.now:g} s", title="Recorded", timeout=3,
                    markup=False)
        return Outcome.ok()

    def confirm_then(self, question: str, detail: str, commands: list[Command]) -> None:
        """Run destructive commands after a yes. The model is asked first (`Session.preview`):
        a command it would refuse is refused at once with its reason, no question asked; else
        the dialog lists what will follow. At once with --no-confirm, read-only or another lock
        (they are refused, and asking first would be a pointless question)."""
        if not self.confirm or self.locked:
            for command in commands:
                self.run_command(command)
            return
        preview = self.session.preview(*commands)
        if not preview.outcome.accepted:
            self.refuse_at_once(commands, preview.outcome)
            return
        from console.ui.screens.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                for command in commands:
                    self.run_command(command)
            else:
                self.notify("cancelled", timeout=2, markup=False)

        from console.ui.real_hosts import named

        question = named(self.engine, self.session.real_hosts, question, commands)
        note = f"{preview.outcome.reason}\n" if preview.outcome.reason else ""
        self.push_screen(ConfirmScreen(question, detail, note + preview.text()), answered)

    def refuse_at_once(self, commands: list[Command], outcome: Outcome) -> None:
        """Say that the model would refuse `commands` (its dry-run answer), as `run_command`
        says a refusal; nothing was submitted, so nothing is logged."""
        text = "; ".join(command.text() for command in commands)
        self.notify(f"{text}: {outcome.reason}", title="Refused", severity="warning",
                    timeout=6, markup=False)

    # -- time -----------------------------------------------------------------------------------

    @property
    def clock_held(self) -> bool:
        """The simulated clock holds: a question is open (a confirmation, the migration picker,
        the command palette, the command line or the filter bar), so its answer applies to the
        state shown. Help and details do not hold it (they show the cluster as it goes on).
        Never with `hold_clock` off, a mode (a timed drill) that says no, or a source that keeps
        real time (real hosts: console.ui.capability.keeps_real_time)."""
        if not self.hold_clock or (self.mode is not None and not self.mode.holds_clock):
            return False
        if self.session is None or self.real_time:
            return False
        if not self.screen_stack:
            return False
        from textual.command import CommandPalette

        screen = self.screen
        if getattr(screen, "holds_clock", False) or isinstance(screen, CommandPalette):
            return True
        return screen.has_class("-bar-open")

    @property
    def real_time(self) -> bool:
        """The session's source keeps real time (real hosts refuse the clock's commands): the
        clock never holds (`clock_held`) and every real second a tick reports is stepped, none
        dropped for a late tick or a suspended terminal (`tick`)."""
        from console.ui.capability import keeps_real_time

        return keeps_real_time(self.session)

    def _time_clock(self) -> None:
        """Start the clock's timer, or start it again when `tick_period` changed (a new speed):
        it wakes once a `tick_period`, not more often (an idle console's cost is its wake-ups)."""
        period = self.tick_period()
        if self._clock_timer is not None:
            if period == self._clock_period:
                return
            self._clock_timer.stop()
        self._clock_period = period
        self._clock_timer = self.set_interval(period, self._tick, name="clock")

    @property
    def clock_period(self) -> float:
        """Real seconds between the clock timer's wake-ups (`tick_period` when it started; 0
        without a timer)."""
        return self._clock_period if self._clock_timer is not None else 0.0

    def _hold_may_change(self, *_args: object) -> None:
        """A screen came or went or the focus moved (a dialog, the palette or a bar opened or
        closed): when the clock starts or stops holding, tick now and time the next tick from
        here."""
        if (self._clock_timer is not None and self.is_running
                and self.clock_held != self._was_held):
            self._tick()
            self._clock_timer.reset()

    def on_descendant_focus(self, _event: object) -> None:
        """The focus moved (a bar opened, say): the clock may start or stop holding."""
        self._hold_may_change()

    def on_descendant_blur(self, _event: object) -> None:
        """The focus left a widget (a bar closed, say): the clock may start or stop holding."""
        self._hold_may_change()

    def _tick(self) -> None:
        """The timer's call, every `tick_period`, and a call at once when the clock starts or
        stops holding: a tick of the real seconds since the last one (a late call, the event
        loop busy, still ticks: the next is not a whole period away); then the timer follows a
        new speed."""
        now = time.monotonic()
        elapsed = now - self._last_tick
        self._last_tick = now
        self.tick(elapsed)
        if self._clock_timer is not None:
            self._time_clock()
        collector.tidy(now - self._last_input, now)  # a full pass while the operator is idle

    @property
    def input_idle_s(self) -> float:
        """Real seconds since the operator's last key or mouse event (infinite before one)."""
        return time.monotonic() - self._last_input

    async def on_event(self, event: events.Event) -> None:
        """Textual's; a key or mouse event notes the operator's last input (`collector.tidy`
        runs the cycle collector's full passes while the operator is idle). A focused bar takes
        its keys here, and the main screen its bar and pane keys, as they are read (`Bar.take`,
        `MainScreen.take_key`)."""
        if isinstance(event, events.InputEvent):
            self._last_input = time.monotonic()
            if isinstance(event, events.Key) and not event.is_forwarded:
                turn = self.typeahead.turn(event.key, self.screen_stack)
                if turn is Turn.HOLD:
                    self.typeahead.keys.append(event)
                    return  # typed ahead of the screen it is for (console.ui.typeahead)
                if turn is Turn.AFTER_HELD:
                    await self._give_typed_ahead(None)
                if self.in_order.holds(event.key):
                    if not self.in_order.behind:  # one watch for the keys held from now
                        self.set_timer(IN_ORDER_WAIT_S, self._keys_lost)
                    self.in_order.behind.append(event)
                    return  # behind a key still on its way (console.ui.typeahead.InOrder)
            take = getattr(self.focused, "take", None)  # a bar (console.ui.widgets.bar.Bar)
            if isinstance(event, events.Key) and take is not None and await take(event):
                return  # the bar's keys, in the order read
            take_key = getattr(self.screen, "take_key", None)
            if isinstance(event, events.Key) and take_key is not None and take_key(event):
                return  # the main screen's bar and pane keys, in the order read
            if isinstance(event, events.Key) and not event.is_forwarded:
                self._send_on_its_way()
        await super().on_event(event)

    def _send_on_its_way(self) -> None:
        """A key read now goes to the focused widget (or the screen) through its queue: count
        it on its way until it has passed that widget's queue and its parents' (`_passed`)."""
        self.in_order.on_their_way += 1
        self._passed(self.focused or self.screen, first=True)

    def _passed(self, node, *, first: bool = False) -> None:
        """The key has passed `node`'s queue (the first call: it is about to enter it): follow
        it into the parent's, up to the app's; then the keys behind it may go."""
        if not first:
            node = node.parent
        if node is not None and node.call_later(self._passed, node):
            return
        self.in_order.on_their_way = max(0, self.in_order.on_their_way - 1)
        if not self.in_order.on_their_way and self.in_order.behind:
            self.call_later(self._give_keys_behind)

    async def _give_keys_behind(self) -> None:
        """The keys read behind keys on their way, in the order read, while none is on its way
        (a key given now that goes on its way holds the rest again)."""
        if self.in_order.giving:
            return
        self.in_order.giving = True
        try:
            while self.in_order.behind and not self.in_order.on_their_way:
                await self.on_event(self.in_order.behind.pop(0))
        finally:
            self.in_order.giving = False

    def _keys_lost(self) -> None:
        """A key on its way never said it passed (its widget went away): the keys behind it
        go."""
        if self.in_order.behind and self.in_order.on_their_way:
            self.in_order.on_their_way = 0
            self.call_later(self._give_keys_behind)

    def push_screen(self, screen, *args, **kwargs):  # type: ignore[override]
        """Textual's; the keys read until `screen` is up wait for it (console.ui.typeahead)."""
        result = super().push_screen(screen, *args, **kwargs)
        pushed = self.screen
        self.typeahead.wait_for(pushed)
        pushed.call_after_refresh(self._give_typed_ahead, pushed)
        return result

    async def _give_typed_ahead(self, screen: object | None) -> None:
        """The keys typed ahead of `screen`, now up (None: of a screen gone before it was),
        read again in the order typed."""
        for key in self.typeahead.take(screen):
            await self.on_event(key)

    def tick_period(self) -> float:
        """Real seconds between ticks: one (a second of the clock at x1, a second of the header's
        clock below) down to `tick_s` at the speeds where a tick moves the clock more than a
        second; a tick that would change nothing on screen is not made."""
        return max(self.tick_s, min(1.0, 1.0 / self.session.clock.speed))

    def tick(self, real_elapsed: float) -> float:
        """`real_elapsed` real seconds passed (the timer's call): the session's clock turns them
        into simulated seconds, unless the clock holds (`clock_held`; the header says HELD),
        which are stepped as the module's docstring says (`behind_s`: what earlier ticks left
        over; at most MAX_STEP_S real seconds a tick, except on real hosts, `real_time`, where
        every real second counts). Returns the simulated seconds advanced now; nothing once the
        app is shutting down (its screens are being taken apart)."""
        if not self.is_running:
            return 0.0
        held = self.clock_held
        if held != self._was_held:
            self._was_held = held
            self._show_held()
        clock = self.session.clock
        if held or clock.paused:
            self._owed = 0.0
            self._set_behind(0.0)
            self.note_selection()
            self._settle_panes()
            return 0.0
        self._set_behind(self._owed)
        if self.real_time:  # every real second, however late the tick: the hosts' own time
            self._owed += max(0.0, real_elapsed) * clock.speed
        else:
            self._owed = min(self._owed + clock.step_for(real_elapsed), clock.speed * MAX_STEP_S)
        return self._step_owed()

    def _settle_panes(self) -> None:
        """A tick of a clock that does not move: the panes' sizes follow what the operator's
        last commands changed, once the keys rest (a moving clock's repaint does it)."""
        main = self._main_screen()
        if main is not None and main is self.screen:
            self.layout_may_wait = True
            try:
                main.follow_content()
            finally:
                self.layout_may_wait = False

    def _step_owed(self) -> float:
        """Step what the clock owes, STEP_S at a time, for STEP_BUDGET_S at most; the rest
        CATCH_UP_GAP_S later. Repaints once when the model moved."""
        started = time.perf_counter()
        done = 0.0
        while self._owed > 1e-9 and not self.session.clock.paused:
            chunk = min(self._owed, STEP_S)
            moved = self.session.run_for(chunk)
            if not moved:  # the end of time: the clock paused
                break
            self._owed -= chunk
            done += moved
            if time.perf_counter() - started >= STEP_BUDGET_S:
                break
        if self.session.clock.paused:
            self._owed = 0.0
        if self._owed > 1e-9 and not self._catching_up:
            self._catching_up = True
            self.set_timer(CATCH_UP_GAP_S, self._catch_up)
        if done:
            self.refresh_view(by_clock=True)
        self.note_selection()
        return done

    def _catch_up(self) -> None:
        self._catching_up = False
        if self.is_running and not self.clock_held:
            self._step_owed()

    def _drop_owed(self) -> None:
        """A pause or a new speed acts now: the simulated seconds the clock owed (at the old
        speed) are dropped, the model stays at the time on screen and the header stops saying
        `behind`."""
        self._owed = 0.0
        self._set_behind(0.0)

    def _set_behind(self, seconds: float) -> None:
        """Note how far the clock is behind; the header shows it from BEHIND_S on."""
        shown = self.behind_label
        self.behind_s = seconds
        if self.behind_label != shown:
            self._show_held()

    @property
    def behind_label(self) -> str:
        """`behind 42s` (`behind 4h55m`: `lag`) while the clock is BEHIND_S or more behind
        (`behind_s`), else ""."""
        return f"behind {lag(self.behind_s)}" if self.behind_s >= BEHIND_S else ""

    def note_selection(self) -> None:
        """Tell a recorded session what the operator has selected (console.ui.selection) when it
        changed since the last time: once per tick at most, so a fast scroll is written where
        it stopped, and before every mark."""
        if self.session is None or not self.session.recording:
            return
        screen = self._main_screen()
        found = None if screen is None else selection.read(screen)
        if found is not None and found != self._selection:
            self._selection = found
            self.session.select(found)

    def _show_held(self) -> None:
        """Repaint the header (HELD, behind, or the speed again); nothing while the screens are
        taken down (the app closing)."""
        from console.ui.widgets.header import ClusterHeader

        main = self._main_screen()
        if main is not None:
            for header in main.query(ClusterHeader):
                header.update_view()

    def advance(self, seconds: float) -> None:
        """Advance simulated time by `seconds` and repaint: the tests' clock."""
        self.session.advance(seconds)
        self.refresh_view()

    def refresh_view(self, *, by_clock: bool = False, by_keys: bool = False) -> None:
        """Repaint the screen on top (and the one under a modal dialog) from the model.
        `by_clock`: the clock's tick moved the model; `by_keys`: the operator's command did
        (`layout_may_wait` is True meanwhile: what may wait for the keys to rest, does)."""
        stack = self.screen_stack
        if not stack or self.session is None:
            return
        visible = [stack[-1]]
        if isinstance(stack[-1], ModalScreen) and len(stack) > 1:
            visible.append(stack[-2])
        self.layout_may_wait = by_clock or by_keys
        try:
            for screen in visible:
                update = getattr(screen, "update_view", None)
                if update is not None:
                    update()
        finally:
            self.layout_may_wait = False
        self._relabel_pause()

    def _relabel_pause(self) -> None:
        """The footer says `space Pause` while the clock runs and `space Resume` while it is
        paused (by a key, a command, a drill or a replay): bindings are checked again when
        that changes, not at every repaint."""
        paused = self.session.clock.paused
        if paused != self._paused_shown:
            self._paused_shown = paused
            self.screen.refresh_bindings()

    def main_screen(self):
        """The main screen (console.ui.screens.main.MainScreen) wherever it is in the stack, or
        None before it is up."""
        return self._main_screen()

    def _main_screen(self):
        from console.ui.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # -- keys, themes, help ---------------------------------------------------------------------

    def keys_of(self, spec: KeySpec) -> str:
        """The keys bound to `spec` (the user's keymap first), comma-separated Textual key names."""
        return keys_for(spec, self.keymap)

    def fit_terminal(self) -> None:
        """Before running on a real terminal: on 16 colours (TERM=linux, TERM=screen, a TERM
        without `-256color` and no COLORTERM) the themes' states in colours it tells apart
        (console.ui.themes.for_colour_system), on the Linux console the symbols its font has
        (console.ui.glyphs)."""
        for t in self._themes:
            self.register_theme(for_colour_system(t, self.console.color_system))  # type: ignore
        use_console_font(wants_console_font())

    def get_line_filters(self):
        """Textual's line filters, and on the Linux console the font's (console.ui.glyphs)."""
        filters = super().get_line_filters()
        return [*filters, FONT_FILTER] if console_font_in_use() else filters

    def next_theme(self) -> None:
        """Switch to the next theme in `theme_names` (wrapping round) and say which; nothing without
        themes."""
        names = self.theme_names
        if not names:
            return
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme {self.theme}", timeout=2, markup=False)

    def action_help(self) -> None:
        from console.ui.screens.help import HelpScreen

        if not isinstance(self.screen, ModalScreen):
            self.push_screen(HelpScreen())

    def spec(self, key_id: str) -> KeySpec:
        """The `KeySpec` of `key_id` among the main keys. Raises StopIteration for an unknown id."""
        return next(s for s in KEYS if s.id == key_id)
