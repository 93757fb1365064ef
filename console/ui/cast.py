"""`cluster-console replay FILE --cast OUT.cast [--svg DIR]`: the console replaying, on record.

The console runs headless (Textual's test harness, `App.run_test`, at a fixed size, 120x40 by
default) with its clock at the cast's speed but no timer moving it (the header and the replay
bar say `x10`, the speed the cast plays at); the exporter plays the recording through
`ReplayPlayer` and after each stop captures the screen:

* stops: every recorded command (psutil `reading`s aside: they land with the next frame), every
  `mark`, a frame every `speed / fps` simulated seconds, and the end;
* the screen as ANSI text (`screen_lines`): the compositor's full-screen update, the renderable
  `App.export_screenshot` prints for its SVG, rendered to lines of segments by a Rich console,
  one string per row with its colours (24-bit);
* asciicast v2 (`CastWriter`): a header line `{"version": 2, "width", "height", "timestamp",
  "env", "title"}`, then `[time, "o", data]` events. The first frame clears the screen and
  writes every row; each later frame rewrites only the rows that changed, each from column 1
  (`ESC [ row ; 1 H`), so every event leaves the terminal showing exactly that frame. Times are
  simulated seconds divided by `speed` (default 10: a 10-minute drill plays in a minute), so
  `asciinema play` shows the replay and `asciinema cat` ends on the console's final screen.

`--svg DIR` saves `App.export_screenshot()` at each `mark` line (`001-LABEL.svg` ...) and at the
end (`NNN-end.svg`). Every file is written atomically (`console.formats.output`): the cast is
renamed into place once complete, so a failed export leaves an old cast intact. SIGTERM and
SIGHUP cancel the export like a failure (the unfinished cast is discarded, the screenshots
already saved stay) and end the program with exit status 128 + the signal.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from rich.console import Console

from console.formats.output import AtomicOutput, write_atomic
from console.formats.recording import Recording
from console.model.commands import LocalReading
from console.signals import catch_stop_signals, restore

CAST_SIZE = (120, 40)
CAST_SPEED = 10.0
CAST_FPS = 4.0
CLEAR = "\x1b[?25l\x1b[H\x1b[2J"   # hide the cursor, home, clear the screen
RESET = "\x1b[0m"
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


def screen_lines(app) -> list[tuple[str, str]]:
    """The app's current screen, one `(ansi, plain)` pair per row.

    Textual writes the compositor's full update to a terminal; `App.export_screenshot` prints the
    same update into a recording Rich console to make its SVG. Here a Rich console renders it to
    lines of segments instead (`Console.render_lines`); control segments (cursor moves) are
    dropped and each styled segment rendered with its escape codes, so a row is self-contained.
    """
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", legacy_windows=False, safe_box=False,
                      no_color=False)
    update = app.screen._compositor.render_update(  # what export_screenshot renders
        full=True, screen_stack=app._background_screens)
    rows = console.render_lines(update, console.options.update(width=width, height=height),
                                pad=False)
    found: list[tuple[str, str]] = []
    for row in rows[:height]:
        ansi = "".join(seg.style.render(seg.text) if seg.style else seg.text
                       for seg in row if not seg.control)
        plain = "".join(seg.text for seg in row if not seg.control)
        found.append((ansi, plain))
    while len(found) < height:
        found.append(("", ""))
    return found


@dataclass
class CastWriter:
    """Writes asciicast v2: the header, then one output event per frame that changed rows."""

    stream: IO[str]
    width: int
    height: int
    timestamp: int | None = None
    title: str = ""
    frames: int = 0
    last_time: float = 0.0
    _rows: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        header: dict[str, object] = {
            "version": 2, "width": self.width, "height": self.height,
            "timestamp": int(time.time()) if self.timestamp is None else self.timestamp,
            "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"},
        }
        if self.title:
            header["title"] = self.title
        self.stream.write(json.dumps(header, ensure_ascii=False) + "\n")

    def frame(self, t: float, rows: Sequence[str]) -> bool:
        """Show `rows` (ANSI strings) at `t` seconds; False when nothing changed."""
        rows = list(rows)[: self.height]
        rows += [""] * (self.height - len(rows))
        if not self._rows:
            data = CLEAR + "".join(_row(y, row) for y, row in enumerate(rows))
        else:
            data = "".join(_row(y, row) for y, (row, before) in
                           enumerate(zip(rows, self._rows, strict=True)) if row != before)
        self._rows = rows
        if not data:
            return False
        self.event(t, data)
        self.frames += 1
        return True

    def event(self, t: float, data: str) -> None:
        """Write one asciicast output event `[t, "o", data]`; `t` (seconds in the cast) is rounded
        to microseconds and never goes back."""
        t = max(round(t, 6), self.last_time)
        self.last_time = t
        self.stream.write(json.dumps([t, "o", data], ensure_ascii=False) + "\n")

    def close(self) -> None:
        """Write the last event: reset the style and show the cursor again."""
        self.event(self.last_time, RESET + "\x1b[?25h")  # the cursor back, as a shell expects


def _row(y: int, row: str) -> str:
    return f"\x1b[{y + 1};1H{RESET}{row}{RESET}"


@dataclass
class ExportResult:
    """What `export` wrote: frames in the cast, the cast's length in seconds, the screenshot files,
    and the last screen as plain text rows."""

    frames: int = 0
    cast_seconds: float = 0.0
    screenshots: list[str] = field(default_factory=list)
    final_screen: list[str] = field(default_factory=list)  # plain text rows, for tests


def export(recording: Recording, *, cast: str | Path | IO[str] | None = None,
           svg_dir: str | Path | None = None, size: tuple[int, int] = CAST_SIZE,
           speed: float = CAST_SPEED, fps: float = CAST_FPS, theme: str = "dark",
           themes: list | None = None, timestamp: int | None = None) -> ExportResult:
    """Replay `recording` in a headless console; write the cast and/or the screenshots.
    Raises SystemExit(128 + signal) when SIGTERM or SIGHUP stopped it (nothing half-written
    left)."""
    from console.replay import replay_session

    # Built before the event loop: placing a big cluster takes seconds, and a signal meanwhile
    # ends the program at once (the command line's handlers) instead of waiting for the loop.
    session = replay_session(recording, paused=True)
    stopped: list[int] = []
    previous = catch_stop_signals(lambda number, _frame: stopped.append(number))
    try:
        return asyncio.run(_export(session, recording, cast, svg_dir, size, speed, fps, theme,
                                   themes, timestamp, stopped))
    except _Stopped:  # raised out of the event loop only once the headless app has shut down
        raise SystemExit(128 + stopped[0]) from None
    finally:
        restore(previous)


class _Stopped(Exception):
    """SIGTERM or SIGHUP stopped the export. An ordinary exception inside the event loop: a
    SystemExit raised in a task breaks out of the loop at once (asyncio re-raises it from the
    task's step), leaving Textual's tasks to be cancelled afterwards instead of shut down."""


async def _export(session, recording, cast, svg_dir, size, speed, fps, theme, themes,
                  timestamp, stopped: list[int]) -> ExportResult:
    from console.replay import ReplayPlayer
    from console.ui.app import ConsoleApp
    from console.ui.replay import ReplayMode

    # The cast plays at `speed`: the session's clock says so (the header and the bar read it),
    # running, but no timer moves it (tick_s 0): the exporter alone advances time.
    session.clock.speed, session.clock.paused = speed, False
    player = ReplayPlayer(session, recording, follow_speed=False)
    app = ConsoleApp(session, mode=ReplayMode(player), confirm=False, theme=theme,
                     themes=themes, tick_s=0)
    app.animation_level = "none"
    result = ExportResult()
    folder = Path(svg_dir) if svg_dir is not None else None
    stream: IO[str] | None = None
    output: AtomicOutput | None = None
    if isinstance(cast, (str, Path)):
        output = AtomicOutput(cast)
        stream = output.stream
    elif cast is not None:
        stream = cast
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            writer = None
            if stream is not None:
                writer = CastWriter(stream, size[0], size[1], timestamp,
                                    f"cluster-console replay {recording.path}")

            async def capture(t: float) -> None:
                app.refresh_view()
                await pilot.pause()
                rows = screen_lines(app)
                result.final_screen = [plain for _, plain in rows]
                if writer is not None:
                    writer.frame(t / speed, [ansi for ansi, _ in rows])

            async def screenshot(label: str) -> None:
                if folder is None:
                    return
                app.refresh_view()
                await pilot.pause()
                name = f"{len(result.screenshots) + 1:03d}-{_SLUG.sub('-', label).strip('-')}"
                path = folder / f"{name or 'mark'}.svg"
                # Made with its first screenshot: a stopped export leaves no folder behind.
                folder.mkdir(parents=True, exist_ok=True)
                write_atomic(path, app.export_screenshot(title=label), follow_symlinks=False)
                result.screenshots.append(str(path))

            await capture(0.0)
            for stop in _stops(recording, speed / fps):
                if stopped:  # SIGTERM or SIGHUP: the unfinished cast is discarded below
                    raise _Stopped
                while (entry := player.next_entry()) is not None and entry.t <= stop:
                    player.apply_next()
                    if entry.kind == "mark":
                        await screenshot(entry.text)
                player.advance_to(stop)
                await capture(stop)
            await screenshot("end")
            if writer is not None:
                writer.close()
                result.frames = writer.frames
                result.cast_seconds = writer.last_time
    except BaseException:
        if output is not None:
            output.discard()
        raise
    if output is not None:
        output.close()
    return result


def _stops(recording: Recording, every: float) -> list[float]:
    """When to take a frame: recorded commands (not readings) and marks, every `every` s, the
    end."""
    duration = recording.duration
    stops = {e.t for e in recording.entries
             if e.kind == "mark" or (e.kind == "command"
                                     and not isinstance(e.command, LocalReading))}
    if every > 0:
        k = 1
        while k * every < duration:
            stops.add(k * every)
            k += 1
    stops.add(duration)
    return sorted(t for t in stops if 0 < t <= duration) or [duration]
