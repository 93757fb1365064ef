"""A console session's journal (console.formats.journal), from the session's start to the
console's end: the plain console, `--local` and interactive drills write one by default.

* A journal the user named (`--journal PATH`) is created as the session is, before the screen
  opens, so that a refusal (the file exists, the folder cannot be written) is one line and exit
  status 2; with a big cluster, loaded behind the loading screen, it is created once the model
  is built, and a refusal then (the folder changed meanwhile: it was checked before) is told on
  screen.
* The default journal, in the user's journal folder (console.formats.journal_folder), is
  created just after the console's first frame (`start`), in a thread of its own, so neither
  the first frame nor a key waits for SQLite or the journal's modules
  (tests/ui/test_startup.py). What the session heard
  before (a drill's steps at 0 s, a first `--local` reading) is held and handed to the journal
  first, in order; the events emitted by then go with the first of them. Old journals of the
  folder are pruned then (`journal_folder.prune`). A journal that cannot be created there does
  not stop the console: it runs without, and says so once on screen.
* A writer that fails later (a full disk: `JournalWriter.error`) is told once on screen; the
  session goes on without it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.session import Heard, Session, tell_journal

if TYPE_CHECKING:  # the journal's modules (and sqlite3) are imported after the first frame
    from textual.app import App

    from console.formats.journal import JournalState, JournalWriter
    from console.model.engine import Engine

#: How often (real seconds) the console looks whether its journal's writer has failed: a few
#: seconds late is soon enough to say so, and each look is a wake-up of an idle console (about
#: 0.2 ms of CPU, a twentieth of what the idle seed console cost at one a second).
WATCH_S = 5.0


class ConsoleJournal:
    """The journal of one console session: at `path` when the user named one, else (`path`
    None) a new one in the journal folder named after `label` (the cluster's or the drill's
    name). `header(engine)` gives the journal's header: `JournalWriter`'s `header` argument.
    With `resume` (the journal's state a `resume` restored the session from) the session goes
    on appending to the journal at `path` instead (no header: it has one).

    `open(session)` as the session is built, `start(app)` once the console's first frame is
    out; the session closes the journal (`Session.close`)."""

    def __init__(self, path: str | None, label: str,
                 header: Callable[[Engine], dict[str, Any]],
                 resume: JournalState | None = None) -> None:
        self.path = path
        self.label = label
        self.header = header
        self.resume = resume
        self.writer: JournalWriter | None = None
        self.session: Session | None = None
        self._held: list[Heard] = []
        self._told_error = False

    def open(self, session: Session) -> None:
        """The session is built: a named journal is created now (raises `JournalError`, one
        line, when it cannot be); otherwise what the session hears is held until `start`."""
        self.session = session
        if self.path is not None:
            from console.formats.journal import JournalWriter

            if self.resume is not None:
                self._keep(JournalWriter(self.path, events=session.engine.log.events,
                                         resume=self.resume))
            else:
                self._keep(JournalWriter(self.path, events=session.engine.log.events,
                                         header=self.header(session.engine)))
        else:
            session.add_listener(self._held.append)

    def start(self, app: App[Any]) -> None:
        """The console's first frame is out: create the default journal in a thread of its
        own (its modules, SQLite, pruning the folder: about 0.1 s the console's keys need not
        wait for), handed to the session with what was held on the UI thread
        (`call_from_thread`), or say on screen why there is none; then watch the writer.
        Nothing when no session was opened (the console quit while its cluster loaded)."""
        session = self.session
        if session is None:
            return
        if self.writer is None and self.path is None:
            header = self.header(session.engine)
            threading.Thread(target=self._create, args=(app, session, header),
                             name="journal-start", daemon=True).start()
        elif self.writer is not None:
            app.set_interval(WATCH_S, lambda: self.watch(app))

    def _create(self, app: App[Any], session: Session, header: dict[str, Any]) -> None:
        """In its thread: prune the folder, create the journal, hand it to the UI thread."""
        from console.formats.journal import JournalError
        from console.formats.journal_folder import create_default, prune

        with contextlib.suppress(OSError, RuntimeError):
            prune()
        writer: JournalWriter | None = None
        problem = None
        try:
            writer = create_default(self.label, events=session.engine.log.events,
                                    header=header)
        except (JournalError, RuntimeError) as error:  # RuntimeError: no home folder
            problem = str(error)
        try:
            app.call_from_thread(self._created, app, writer, problem)
        except RuntimeError:  # the console has quit meanwhile: nothing was heard since
            if writer is not None:
                writer.close(clean=False)

    def _created(self, app: App[Any], writer: JournalWriter | None, problem: str | None
                 ) -> None:
        """On the UI thread: the default journal made (`writer`), or why not (`problem`)."""
        assert self.session is not None
        self.session.remove_listener(self._held.append)
        held, self._held = self._held, []
        if writer is None:
            app.notify(f"this session has no journal: {problem}", title="Journal",
                       severity="warning", timeout=10, markup=False)
            return
        for heard in held:
            tell_journal(writer, heard)
        self._keep(writer)
        app.set_interval(WATCH_S, lambda: self.watch(app))

    def refused(self, app: App[Any], error: Exception) -> None:
        """A named journal could not be created behind the loading screen: say so on screen
        (the session runs without)."""
        app.notify(f"this session has no journal: {error}", title="Journal", severity="error",
                   timeout=10, markup=False)

    def watch(self, app: App[Any]) -> None:
        """Tell once on screen that the writer stopped (`JournalWriter.error`)."""
        writer = self.writer
        if writer is None or writer.error is None or self._told_error:
            return
        self._told_error = True
        app.notify(f"{writer.error}; the session goes on without it", title="Journal",
                   severity="error", timeout=15, markup=False)

    def _keep(self, writer: JournalWriter) -> None:
        self.writer = writer
        assert self.session is not None
        self.session.keep_journal(writer)

