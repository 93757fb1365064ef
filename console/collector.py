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
* Headless and test runs: nothing is frozen, since `hold` is only called by the command line (one
  process of tests runs many consoles). `hold` and `release` do nothing without each other: a
  program that turned the collector off itself keeps it off, and `release` without `hold`
  changes nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_held = False


def hold() -> None:
    """Turn Python's cycle collector off until `release`, if it is on."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release(*, freeze: bool = False) -> None:
    """Turn the collector on again if `hold` turned it off; otherwise nothing. `freeze`: what
    the start made is moved out of the collector's passes first (`gc.freeze`: it lives as long
    as the program, and the first passes would otherwise walk all of it)."""
    global _held
    if _held:
        _held = False
        if freeze:
            gc.freeze()
            gc.callbacks.append(_freeze_once)
        gc.enable()


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
