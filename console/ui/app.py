"""ConsoleApp: the Textual application around one engine.

One door for every change: `run_command(command)`. It answers the clock commands itself (speed,
pause, resume), submits everything else to the engine, tells every `command_listeners` callback
(the recorder) about it, notifies a refusal with its reason, and refreshes the view. Keys, typed
commands, an interactive drill's steps and a replay's recorded commands all come through it
(`source` says which); psutil readings are told to the listeners the same way.

Time: a Textual timer calls `SimClock.tick` every `tick_s` real seconds. Tests construct the app
paused and call `advance(seconds)` instead; nothing here sleeps.

A `Mode` (console.ui.mode) turns the console into an interactive drill or a replay: it decides how
time advances (steps, recorded commands fall due), may refuse the operator's commands with a
reason, and adds its own widgets to the main screen. `record` makes a `Recorder` for the engine
once there is one; it hears every command, and gets its end line when the console quits.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

from console.model.commands import (
    CLOCK_COMMANDS,
    Command,
    CommandError,
    LocalReading,
    parse,
)
from console.ui.clock import SimClock
from console.ui.keys import KEYS, KeySpec, keys_for
from console.ui.palette import ConsoleCommands

if TYPE_CHECKING:
    from console.formats.recording import Recorder
    from console.model.engine import Engine
    from console.model.kernel import Outcome
    from console.ui.mode import Mode

CommandListener = Callable[[float, Command], None]


class ConsoleApp(App[int]):
    TITLE = "cluster-console"
    CSS = """
    Toast { max-width: 70; }
    """
    COMMANDS: ClassVar = App.COMMANDS | {ConsoleCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        loader: Callable[[], Engine] | None = None,
        speed: float = 1.0,
        paused: bool = False,
        confirm: bool = True,
        read_only: bool = False,
        theme: str | None = None,
        themes: Iterable[object] | None = None,
        keymap: dict[str, str] | None = None,
        local_node: str | None = None,
        tick_s: float = 0.25,
        show_processes: bool = True,
        mode: Mode | None = None,
        record: Callable[[Engine], Recorder] | None = None,
    ) -> None:
        super().__init__()
        if engine is None and loader is None:
            raise ValueError("ConsoleApp needs an engine or a loader")
        self.engine: Engine = engine  # type: ignore[assignment]
        self.loader = loader
        self.confirm = confirm
        self.read_only = read_only
        self.keymap: dict[str, str] = dict(keymap or {})
        self.local_node = local_node
        self.tick_s = tick_s
        self.show_processes = show_processes
        self.command_listeners: list[CommandListener] = []
        self.mode = mode
        self._record = record
        self.recorder: Recorder | None = None
        self.notices: list[tuple[str, str]] = []
        self.selected_node: str | None = None
        self.local_processes: list[tuple[str, float, float]] = []
        self.clock: SimClock = None  # type: ignore[assignment]
        self._speed, self._paused = speed, paused
        self._last_tick = time.monotonic()
        self.load_error: str | None = None
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
        if engine is not None:
            self._attach(engine)

    # -- start-up -------------------------------------------------------------------------------

    def _attach(self, engine: Engine) -> None:
        self.engine = engine
        engine.read_only = self.read_only
        if self.local_node is not None:
            local = engine.cluster.local_node()
            self.local_node = None if local is None else local.name
        self.clock = SimClock(engine, self._speed, self._paused, advance=self._advance_model)
        if self.selected_node is None and engine.cluster.nodes:
            self.selected_node = next(iter(engine.cluster.nodes))
        if self.mode is not None:
            self.mode.bind(self)
        if self._record is not None and self.recorder is None:
            self.recorder = self._record(engine)
            self.command_listeners.append(self.recorder.command)

    def get_default_screen(self):
        """The main screen straight away (one screen to build for the first frame), or the
        loading screen while a big cluster file loads."""
        if self.engine is None:
            from console.ui.screens.loading import LoadingScreen

            return LoadingScreen()
        from console.ui.screens.main import MainScreen

        return MainScreen()

    def on_mount(self) -> None:
        if self.engine is None:
            self._load()
            return
        self._start()

    def _start(self, push: bool = False) -> None:
        if push:
            from console.ui.screens.main import MainScreen

            self.push_screen(MainScreen())
        self._last_tick = time.monotonic()
        self.set_interval(self.tick_s, self._tick, name="clock")
        if self.local_node is not None and (self.mode is None or self.mode.live):
            self._poll_local()
        if self.mode is not None:
            self.mode.started()

    @work(thread=True, exclusive=True, group="load")
    def _load(self) -> None:
        try:
            engine = self.loader()  # type: ignore[misc]
        except Exception as error:  # a bad file: say it in one line and leave with status 2
            self.load_error = str(error)
            self.call_from_thread(self.exit, 2)
            return
        self.call_from_thread(self._loaded, engine)

    def _loaded(self, engine: Engine) -> None:
        self._attach(engine)
        self._start(push=True)

    def exit(self, result: int | None = None, return_code: int = 0,
             message: object = None) -> None:
        """Quitting ends the recording with its end line (a crash does not: see launch)."""
        if self.recorder is not None and return_code == 0 and self.engine is not None:
            self.recorder.close(self.engine.now)
        super().exit(result, return_code, message)  # type: ignore[arg-type]

    @property
    def locked(self) -> bool:
        """Mutating keys are disabled (greyed): read-only mode, a replay, a drill that ended."""
        return self.read_only or (self.mode is not None and self.mode.locked)

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Toasts, and the last of them kept in `notices` (tests and the palette read it)."""
        self.notices.append((severity, message))
        del self.notices[:-50]
        super().notify(message, title=title, severity=severity,  # type: ignore[arg-type]
                       timeout=timeout, markup=markup)

    # -- the one door for commands --------------------------------------------------------------

    def run_command(self, command: Command, *, quiet: bool = False,
                    source: str = "operator") -> Outcome:
        """Run a command: clock ones here, the rest in the engine; tell the listeners; notify a
        refusal with its reason; refresh the view.

        `source` is `operator` (keys, the command line, the palette), `drill` (an interactive
        drill's step) or `replay` (a recorded command). A mode may refuse an operator's command
        (a replay shows history; a drill that ended is over): such a refusal never reaches the
        engine and is not recorded, since nothing happened."""
        from console.model.kernel import Outcome

        if source == "operator" and self.mode is not None:
            reason = self.mode.refusal(command)
            if reason is not None:
                self.notify(f"{command.text()}: {reason}", title="Refused",
                            severity="warning", timeout=6)
                return Outcome.refuse(reason)
        if isinstance(command, CLOCK_COMMANDS):
            outcome = self.clock.handle(command)
        elif source == "operator" and self.mode is not None:
            outcome = self.mode.submit(command)
        else:
            outcome = self.engine.submit(command)
        now = self.engine.now
        for listener in list(self.command_listeners):
            listener(now, command)
        title = {"drill": "Drill step", "replay": "Replay"}.get(source, "")
        if not outcome.accepted:
            self.notify(f"{command.text()}: {outcome.reason}",
                        title=f"{title}: refused" if title else "Refused",
                        severity="warning", timeout=6)
        elif not quiet:
            note = f" ({outcome.reason})" if outcome.reason else ""
            self.notify(f"{command.text()}{note}", title=title or "Done", timeout=3)
        self.refresh_view()
        return outcome

    def run_text(self, text: str) -> Outcome | None:
        """A line of the command line: a console word, or the command language."""
        from console.model.kernel import Outcome

        words = text.split()
        head = words[0] if words else ""
        screen = self._main_screen()
        if head in ("q", "quit"):
            self.exit(0)
            return None
        if head == "help":
            self.action_help()
            return None
        if head == "mark":
            return self.mark(text[len("mark"):].strip())
        if head == "theme":
            name = words[1] if len(words) > 1 else ""
            if name not in self.theme_names:
                self.notify(f"theme: unknown theme {name!r} (known: "
                            f"{', '.join(self.theme_names)})", severity="error")
                return Outcome.refuse("unknown theme")
            self.theme = name
            return Outcome.ok()
        from console.ui.widgets.command_line import PANES

        if head in PANES and len(words) == 1 and screen is not None:
            screen.action_focus_pane(head)
            return None
        try:
            command = parse(text)
        except CommandError as error:
            self.notify(str(error), title="Not a command", severity="error", timeout=8)
            return Outcome.refuse(str(error))
        return self.run_command(command)

    def mark(self, label: str) -> Outcome:
        """`:mark LABEL`: a moment in the recording (`replay --svg` screenshots it there)."""
        from console.model.kernel import Outcome

        if self.recorder is None or self.recorder.closed:
            self.notify("mark: this session is not being recorded (--record FILE)",
                        severity="warning")
            return Outcome.refuse("not recording")
        label = label or f"mark at {self.engine.now:g} s"
        self.recorder.mark(self.engine.now, label)
        self.notify(f"mark {label!r} at {self.engine.now:g} s", title="Recorded", timeout=3)
        return Outcome.ok()

    def confirm_then(self, question: str, detail: str, commands: list[Command]) -> None:
        """Run destructive commands after a yes (at once with --no-confirm, read-only or another
        lock: they are refused, and asking first would be a pointless question)."""
        if not self.confirm or self.locked:
            for command in commands:
                self.run_command(command)
            return
        from console.ui.screens.dialogs import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                for command in commands:
                    self.run_command(command)
            else:
                self.notify("cancelled", timeout=2)

        self.push_screen(ConfirmScreen(question, detail), answered)

    # -- time -----------------------------------------------------------------------------------

    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if self.clock.tick(elapsed):
            self.refresh_view()

    def _advance_model(self, seconds: float) -> None:
        if self.mode is not None:
            self.mode.advance(seconds)
        else:
            self.engine.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Advance simulated time by `seconds` and repaint: the tests' clock."""
        self._advance_model(seconds)
        self.refresh_view()

    def refresh_view(self) -> None:
        stack = self.screen_stack
        if not stack or self.engine is None:
            return
        visible = [stack[-1]]
        if isinstance(stack[-1], ModalScreen) and len(stack) > 1:
            visible.append(stack[-2])
        for screen in visible:
            update = getattr(screen, "update_view", None)
            if update is not None:
                update()

    def _main_screen(self):
        from console.ui.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # -- keys, themes, help ---------------------------------------------------------------------

    def keys_of(self, spec: KeySpec) -> str:
        return keys_for(spec, self.keymap)

    def next_theme(self) -> None:
        names = self.theme_names
        if not names:
            return
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme {self.theme}", timeout=2)

    def action_help(self) -> None:
        from console.ui.screens.help import HelpScreen

        if not isinstance(self.screen, ModalScreen):
            self.push_screen(HelpScreen())

    def spec(self, key_id: str) -> KeySpec:
        return next(s for s in KEYS if s.id == key_id)

    # -- the local machine (--local) ------------------------------------------------------------

    @work(thread=True, exclusive=True, group="local")
    def _poll_local(self) -> None:
        """Read psutil once a second off the UI thread; the UI thread submits each reading."""
        from textual.worker import get_current_worker

        from console.sources.local import LocalSampler

        sampler = LocalSampler()
        worker = get_current_worker()
        while not worker.is_cancelled:
            started = time.monotonic()
            sample = sampler.sample(processes=self.show_processes)
            if worker.is_cancelled:
                break
            self.call_from_thread(self._reading, sample)
            time.sleep(max(0.05, 1.0 - (time.monotonic() - started)))

    def _reading(self, sample) -> None:
        if self.local_node is None:
            return
        self.local_processes = sample.processes
        command = LocalReading(self.local_node, round(sample.cpu, 3), round(sample.memory, 3),
                               round(sample.disk, 3))
        outcome = self.engine.submit(command)  # an observation: read-only mode lets it in
        for listener in list(self.command_listeners):
            listener(self.engine.now, command)
        if not outcome.accepted:
            self.local_node = None
            self.notify(f"local readings stopped: {outcome.reason}", severity="error")
