"""Resuming a journal (console.formats.journal): the session it holds, restored by replaying it
and checked against the events it journaled. No Textual here: the console (console.ui.launch)
and the headless `resume` (console.cli.resume) both restore through it.

Restoring is a replay. A fresh engine on the journal's embedded cluster and seed receives the
journaled commands at their times exactly as a replay submits them (the commands of an instant
land before its timers: `Engine.submit_at`), then time runs to the journal's committed time with
`run_before`: the timers due at exactly that time wait, as they waited in the live session when
it committed last. A clean end that a later resume went on from completed its instant (its
timers ran as the session closed: `JournalState.reopened`), and the replay completes it too;
so does a journal that ended cleanly. The journaled clock lines set the restored clock's speed;
the session is restored paused.

The journal's events are the check: the replayed event log must equal them entry for entry. If
it does not (another program version that models differently, a damaged or edited file) the
journal is refused (`ResumeError`: one line naming the first event that differs, the journaled
command before it, and what the journal says against what the replay gave); the journal is then
never opened for writing. A journal written by another program version resumes when its replay
matches.

An interactive drill's journal (its header embeds the drill) is restored as the drill when it is
to go on in the console (`restore_session`): a `LiveDrill` drives the restored session, running
the drill's own steps again as time passes (their journaled lines are passed over), while the
operator's journaled commands are submitted at their times and scored; the drill's steps not
yet due come later, as in the live drill. Headless (`restore_engine`) a drill's journal is its
commands, as `simulate` runs a drill's steps, and the drill's closing instant when it finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console import __version__
from console.drills.live import LiveDrill
from console.drills.plan import Drill, parse_drill
from console.formats.journal import JournalError, JournalState, read_journal
from console.model.engine import Engine
from console.model.events import Event
from console.session import DRILL, OBSERVATION, OPERATOR, REPLAY, Session


class ResumeError(JournalError):
    """A journal that cannot be resumed: live, diverging on replay, or an over drill (one line,
    exit status 2)."""


@dataclass
class Restored:
    """A session restored from a journal (`restore_session`): the `session` (paused, at the
    journal's committed time and journaled speed) and, for an interactive drill's journal, the
    `drill` driving it (None otherwise)."""

    session: Session
    drill: LiveDrill | None = None


def resumable(path: str | Path) -> JournalState:
    """The journal at `path`, read (console.formats.journal.read_journal) and not being written
    by a live session. Raises `JournalError` for a file that is not a good journal (missing,
    damaged, foreign, newer) and `ResumeError` for a live one; reads only."""
    state = read_journal(path)
    if state.live:
        raise ResumeError(f"{path}: being written by a live session (process {state.pid}); "
                          f"follow it with `cluster-console follow {path}`")
    return state


def journaled_drill(state: JournalState, path: str | Path) -> Drill | None:
    """The interactive drill the journal's header embeds, or None. Raises `ConfigError` (an
    `InputError`) for a bad embedded drill."""
    text = state.recording.drill_file
    return None if text is None else parse_drill(text, f"{path} (drill_file)")


def restore_engine(state: JournalState, path: str | Path) -> Engine:
    """Headless: the journal's model replayed to its committed time (see the module docstring)
    and checked. Raises `ResumeError` when the replay diverges from the journaled events,
    `ConfigError` (an `InputError`) when the embedded cluster or drill is bad."""
    drill = journaled_drill(state, path)
    session = Session(state.recording.build_engine(), paused=True)
    _replay(session, state, path, closes_at=None if drill is None else drill.duration)
    return session.engine


def restore_session(state: JournalState, path: str | Path, *,
                    report: str | Path | None = None) -> Restored:
    """For the console: the journal's session replayed to its committed time and checked,
    paused at the journaled speed; an interactive drill's journal driven by its `LiveDrill`
    (`report`: where the drill's report goes when it finishes; default next to the journal,
    `NAME.report.txt`). Raises `ResumeError` when the replay diverges or the drill is over,
    `ConfigError` (an `InputError`) when the embedded cluster or drill is bad."""
    drill = journaled_drill(state, path)
    session = Session(state.recording.build_engine(), paused=True)
    live = None
    if drill is not None:
        if state.t >= drill.duration:
            raise ResumeError(f"{path}: the drill {drill.name} ended at {drill.duration:g} s; "
                              f"nothing is left to resume (`cluster-console resume {path} "
                              "--headless` prints its log)")
        where = Path(path)
        live = LiveDrill(session, drill, report if report is not None
                         else where.with_name(f"{where.stem}.report.txt"))
    _replay(session, state, path, closes_at=None)
    session.clock.paused = True
    return Restored(session, live)


# -- the replay and its check --------------------------------------------------------------------


def _replay(session: Session, state: JournalState, path: str | Path, *,
            closes_at: float | None) -> None:
    """Submit the journal's commands and clock lines into `session` at their times, then bring
    it to the committed time; check the log against the journal's (`_check`). A driver (a live
    drill) runs the drill's steps itself: their lines are passed over and the operator's
    commands go through the operator's door, to be scored. `closes_at`: a headless drill's
    duration, whose instant the drill completed when it finished."""
    engine = session.engine
    commands = _Commands(engine)
    driven = session.driver is not None
    reopened = list(state.reopened)
    for index, (entry, source) in enumerate(zip(state.recording.entries, state.sources,
                                                        strict=False)):
        while reopened and reopened[0][0] <= index:
            engine.run_until(reopened.pop(0)[1])
        if entry.kind not in ("command", "clock") or entry.command is None:
            continue  # marks and selections change nothing
        if driven and source == DRILL:
            continue  # the drill runs its steps itself
        _advance(session, entry.t)
        operator = driven and source != OBSERVATION  # a reading went to the engine itself
        session.submit(entry.command, source=OPERATOR if operator else REPLAY)
    _advance(session, state.t)
    if closes_at is not None and state.t >= closes_at:
        engine.run_until(closes_at)
    if state.ended:
        engine.run_until(state.t)
    commands.stop()
    _check(state, path, engine.log.events, commands)


def _advance(session: Session, t: float) -> None:
    """Bring `session` to exactly `t` simulated seconds, its timers due at `t` waiting (through
    the driver when there is one). Not `Session.advance`, whose `now + seconds` may miss `t` by
    a rounding."""
    if session.driver is not None:
        session.driver.advance_to(t)
    elif t > session.engine.now:
        session.engine.run_before(t)


class _Commands:
    """Which engine command each replayed event came after: for every event appended to the
    engine's log, how many commands the engine had received by then (its own command's
    included: a command's events are logged after it is counted)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.before: list[int] = [0] * len(engine.log)  # logged as the engine was built
        engine.log.subscribe(self._heard)

    def _heard(self, _event: Event) -> None:
        self.before.append(len(self.engine.command_log))

    def stop(self) -> None:
        """Stop counting."""
        self.engine.log.unsubscribe(self._heard)


def _check(state: JournalState, path: str | Path, replayed: list[Event],
           commands: _Commands) -> None:
    """Raise `ResumeError` naming the first event where `replayed` and the journal's differ."""
    journaled = state.events
    if replayed == journaled:
        return
    first = next((n for n, (ours, theirs) in enumerate(zip(replayed, journaled, strict=False))
                  if ours != theirs), min(len(replayed), len(journaled)))
    count = (commands.before[first] if first < len(commands.before)
             else len(commands.engine.command_log))
    entries = [e for e in state.recording.entries if e.kind == "command"]
    if not count:
        after = "before the first command"
    elif count <= len(entries):
        entry = entries[count - 1]
        after = f"after command {count} `{entry.text}` at {_seconds(entry.t)} s"
    else:
        after = f"after the replay's command {count}, which the journal does not hold"
    said = journaled[first] if first < len(journaled) else None
    gave = replayed[first] if first < len(replayed) else None
    t = (said or gave).t  # type: ignore[union-attr]  # one of them is there: they differ
    program = state.recording.program
    why = ("it was written by cluster-console " + program + ", this is " + __version__
           if program != __version__ else "a damaged or edited journal")
    raise ResumeError(f"{path}: the replay diverges from the journal at event {first + 1} "
                      f"({_seconds(t)} s, {after}): the journal has {_said(said)}, the replay gave "
                      f"{_said(gave)}; not resumed ({why}), the journal is left as it was")


def _said(event: Event | None) -> str:
    """An event in a refusal line (`node_failed B at 75 s 'B missed ...'`), or `no event`."""
    if event is None:
        return "no event"
    return f"{event.kind} {event.subject} at {_seconds(event.t)} s {event.message!r}"


def _seconds(t: float) -> str:
    """Simulated seconds to the millisecond, without trailing zeros: `75`, `24.205`."""
    return f"{t:.3f}".rstrip("0").rstrip(".")
