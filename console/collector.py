"""Python's cycle collector held off while a program starts.

Starting the console allocates some hundred thousand objects (Textual's classes and stylesheets,
the widgets, the model) and frees few of them: the collector's passes over them (about 150
young-generation and a dozen middle-generation passes before the seed console's first frame)
took about a tenth of the start. `hold` turns the collector off, when it is on; `release` turns
it on again: once the console's first full frame is out (its footer's keys painted:
console.ui.widgets.footer; at the latest `COLLECTOR_HELD_S` after the app mounts:
console.ui.app), or as soon as a sub-command that opens no console is imported (console.cli).
Each does nothing without the other: a program that turned the collector off itself keeps it
off, and `release` without `hold` changes nothing (the tests run many consoles in one process).
"""

from __future__ import annotations

import gc

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
        gc.enable()
