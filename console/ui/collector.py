"""The garbage collector's full passes kept short while the console runs: what survived one is
frozen (`gc.freeze`), so the next walks only what was made since, not every object of a
40,000-VM model (60-180 ms each, several a minute during an incident, a key waiting behind each).

Objects survive a full pass because something still refers to them (the model, the screens);
freezing them changes nothing for reference counting, which frees most of them when they go.
Only a reference cycle among frozen objects that becomes garbage later is never collected: the
model's long-lived objects are kept by the engine anyway.
"""

from __future__ import annotations

import gc


def freeze_survivors(phase: str, info: dict[str, int]) -> None:
    """A `gc.callbacks` entry: at the end of a full (generation 2) pass, freeze the survivors."""
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def keep_full_passes_short() -> None:
    """Freeze every object there is now (the loaded model), and after each full pass what
    survived it. Idempotent. Not for a process that builds many consoles (tests): frozen
    objects are never freed."""
    gc.freeze()
    if freeze_survivors not in gc.callbacks:
        gc.callbacks.append(freeze_survivors)
