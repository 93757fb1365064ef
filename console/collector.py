"""Python's cycle collector in the console: one policy, here.

* Held at the start. Starting the console allocates some hundred thousand objects (Textual's
  classes and stylesheets, the widgets, the model; a million at 40,000 VMs) and frees few: the
  collector's passes over them (about 150 young and a dozen middle passes before the seed
  console's first frame) took about a tenth of the start. `hold` (console.__main__,
  console.cli) turns it off; `release` turns it on again: once the console's first full frame
  is out (its footer's keys painted: console.ui.widgets.footer; at the latest `COLLECTOR_HELD_S`
  after the console starts: console.ui.app), or as soon as a sub-command that opens no console
  is imported (console.cli). A big cluster loads behind the loading screen while it is held.
* What exists at the first full frame is frozen (`release(freeze=True)`, `gc.freeze`): the
  model and the main screen's tables live as long as the console, and a full pass would walk
  every one of their objects (0.8 s at 40,000 VMs) while a key waits. What survives the first
  full pass after it (caches filled by the first repaints and ticks) is frozen too, once.
* Paused while a cluster file is read and built (`paused`: console.formats.cluster, the console's
  loader): reading makes objects that live on and no garbage cycles, and passes over them cost a
  fifth of the load.
* Nothing more is frozen. Freezing the survivors of every full pass (a `gc.callbacks` entry, as
  before) keeps every reference cycle that is alive at a pass and dead later (closed details
  and help screens, removed widgets, finished workers) for the life of a console kept open for
  days, and does not make the first full pass after the first frame shorter. Measured with
  `python bench/collector_bench.py --part churn` (2026-11-30, 2 shared cores, CPU time of the
  thread, both policies in one run): at 2,000 hosts / 40,000 VMs over the churn of
  bench/console_bench.py (fail-node h0007, then maintenance h0013 on, 58 simulated s, a key
  each second) 2 full passes, at most 14 ms with this policy, 18 ms with the callback (a pass
  on demand afterwards: 16 and 6 ms); 299 young passes at most 1.5 ms, 27 middle ones at most
  4 ms (on a busier machine, before the one freeze after the first pass: 33 ms). The seed
  console's details and help screens opened and closed 100 times each (`--part modals`):
  frozen objects -193 without the callback, +312,809 with it, of which 157,744 garbage never
  collected (about 790 objects, some 230 KB, leaked per screen opened).
* Full passes (generation 2) only when the operator is idle, once the console runs
  (`release(freeze=True)`; a sub-command without a console keeps Python's own):
  the automatic ones are off (their threshold out of reach) and the console's clock asks for one
  at each tick (`tidy`, console.ui.app), which runs it once no key or mouse input came for
  `FULL_PASS_IDLE_S`, at most once every `FULL_PASS_GAP_S`, and, however busy the operator,
  at least once every `FULL_PASS_LATEST_S`. Over a churn at 40,000 VMs the survivors of the
  young passes (events, caches, Textual's strips) reach the oldest generation fast: the
  automatic full passes came every 3-4 s and took 12-63 ms each, a key waiting behind every
  one of them (bench/stall_probe.py, 2026-11-30). Young and middle passes are as before
  (at most a few ms); garbage cycles that reached the oldest generation wait for the next idle
  moment.
* Headless and test runs: nothing is frozen, since `hold` is only called by the command line (one
  process of tests runs many consoles). `hold` and `release` do nothing without each other: a
  program that turned the collector off itself keeps it off, and `release` without `hold`
  changes nothing.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds without the operator's input after which a full pass may run (`tidy`) ...
FULL_PASS_IDLE_S = 2.0
#: ... at most once in this many seconds ...
FULL_PASS_GAP_S = 60.0
#: ... and at least once in this many, idle or not.
FULL_PASS_LATEST_S = 600.0
#: The generation-2 threshold that keeps Python from starting full passes by itself (the number
#: of middle passes between two full ones: never reached).
NO_AUTOMATIC_FULL_PASS = 1_000_000_000

_held = False
_full_passes_asked = False  # full passes run by `tidy` only (set by `release`)
_last_full_pass = 0.0       # time.monotonic() of the last full pass `tidy` ran (or `release`)


def hold() -> None:
    """Turn Python's cycle collector off until `release`, if it is on."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release(*, freeze: bool = False) -> None:
    """Turn the collector on again if `hold` turned it off; otherwise nothing. `freeze` (the
    console's first frame): what the start made is moved out of the collector's passes first
    (`gc.freeze`: it lives as long as the program, and the first passes would otherwise walk
    all of it), and full passes are left to `tidy` from then on."""
    global _held, _full_passes_asked, _last_full_pass
    if _held:
        _held = False
        if freeze:
            gc.freeze()
            gc.callbacks.append(_freeze_once)
            young, middle, _full = gc.get_threshold()
            gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_PASS)
            _full_passes_asked = True
            _last_full_pass = time.monotonic()
        gc.enable()


def tidy(idle_s: float, now: float | None = None) -> bool:
    """Run a full pass of the collector if one is due: the operator idle for `idle_s` seconds
    (FULL_PASS_IDLE_S or more) and FULL_PASS_GAP_S since the last, or FULL_PASS_LATEST_S since
    the last whatever the operator does. `now` is time.monotonic() unless given. Nothing
    unless `release` turned automatic full passes off (the console's process, not a test's);
    whether a pass ran."""
    global _last_full_pass
    if not _full_passes_asked or not gc.isenabled():
        return False
    now = time.monotonic() if now is None else now
    since = now - _last_full_pass
    if since < FULL_PASS_LATEST_S and (idle_s < FULL_PASS_IDLE_S or since < FULL_PASS_GAP_S):
        return False
    _last_full_pass = now
    gc.collect(2)
    return True


def _freeze_once(phase: str, info: dict[str, int]) -> None:
    """A `gc.callbacks` entry: at the end of the next full (generation 2) pass, freeze what
    survived it, once, and leave."""
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()
        gc.callbacks.remove(_freeze_once)


@contextmanager
def paused() -> Iterator[None]:
    """The collector off inside the block (a cluster file read and built: objects that live on,
    no garbage cycles), and as it was found afterwards, also when the block raises. Nests."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
