"""Start-up imports only what the first frame needs: `cluster-console` on the seed cluster,
run as the command line runs it (console.cli.main) in a child process, headless, reaches its
main screen without importing the drills, the replay, recordings, the `--local` machine's
readings or the screens that open later. Each of them costs start-up time (the first frame of
the seed console waited ~0.3 s for them); the child's `sys.modules` at the first frame is the
measure, so a new top-level import of one of them fails here instead of slowing every start.
Python's cycle collector is held off until past the first frame (console.collector), what exists
then is frozen, and it is on again once the console quits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Run in the child: the command line as `cluster-console --paused`, its app run headless at
#: 120x40 until the first frame is up, then what was imported and what the screen shows.
CHILD = """
import gc, json, sys
from textual.app import App
from console.ui import app as console_app
from console.ui.app import ConsoleApp

console_app.COLLECTOR_HELD_S = 600.0  # released by the first frame, not by the fallback timer
console_app.AFTER_FIRST_FRAME_S = 600.0  # the journal (sqlite3) comes after the first frame

seen = {}

from console.ui.widgets.footer import ConsoleFooter

mounting = ConsoleFooter.on_mount

def on_mount(self):  # the footer, its keys composed with the screen, is the last to mount
    seen.setdefault("collecting", gc.isenabled())
    mounting(self)

ConsoleFooter.on_mount = on_mount

async def first_frame(pilot):
    await pilot.pause()
    app = pilot.app
    seen["screen"] = type(app.screen).__name__
    seen["nodes"] = app.screen.query_one("#nodes-table").row_count()
    seen["modules"] = sorted(sys.modules)
    for _ in range(20):  # released once the footer is painted
        if gc.isenabled():
            break
        await pilot.pause()
    seen["released"] = gc.isenabled()
    seen["frozen"] = gc.get_freeze_count()
    app.exit()

ConsoleApp.run = lambda self, **kw: App.run(self, headless=True, size=(120, 40),
                                             auto_pilot=first_frame)
from console.cli import main

seen["status"] = main(["--paused"])
seen["collecting_after"] = gc.isenabled()
print(json.dumps(seen))
"""

#: Modules (and packages, with all below them) the plain console's first frame must not import.
NOT_AT_START = (
    "console.drills", "console.replay", "console.formats.recording", "console.formats.drill",
    "console.sources.local", "console.ui.replay", "console.ui.drill", "console.ui.cast",
    "console.ui.screens.help", "console.ui.screens.details", "console.ui.screens.log",
    "console.ui.screens.alerts", "console.ui.screens.report", "console.ui.screens.dialogs",
    "console.ui.screens.sort_picker", "console.ui.screens.loading", "console.model.preview",
    "psutil", "sqlite3",
)


def test_the_seed_consoles_first_frame_imports_only_what_it_shows() -> None:
    env = {**os.environ, "TEXTUAL": "headless"}  # the terminal check steps aside (cli.terminal)
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["status"] == 0
    assert seen["screen"] == "MainScreen" and seen["nodes"] > 0  # the full frame, not a loader
    modules = set(seen["modules"])
    assert "console.ui.screens.main" in modules  # the probe sees the console's own modules
    early = sorted(m for m in modules
                   if any(m == name or m.startswith(name + ".") for name in NOT_AT_START))
    assert early == []
    # Python's cycle collector is held from the start until the footer is painted, the last
    # of the first full frame, and on again once the console has quit
    # (console.collector)
    assert seen["collecting"] is False and seen["collecting_after"] is True
    # by the first frame, not the fallback timer, with what existed then (the model, the
    # screen) frozen out of its full passes
    assert seen["released"] and seen["frozen"] > 0
