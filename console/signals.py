"""The signals that stop the program cleanly, exit status 128 + the signal: SIGTERM (a kill, a
service manager) and SIGHUP (the terminal went away). The command line and a cast export catch
them the same way: from the main thread only, and never a signal the caller ignores (`nohup`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

#: SIGTERM and SIGHUP, where the platform has them (Windows has neither).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


def catch_stop_signals(handler: Callable[[int, Any], object]) -> dict[int, Any]:
    """Install `handler(number, frame)` for each of `STOP_SIGNALS` that is not ignored; returns
    the handlers replaced ({signal: handler}) for `restore`. Does nothing outside the main
    thread (where Python delivers signals; a test may run the program from another)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for number in STOP_SIGNALS:
        current = signal.getsignal(number)
        if current is not signal.SIG_IGN and current is not None:
            previous[number] = current
            signal.signal(number, handler)
    return previous


def restore(previous: dict[int, Any]) -> None:
    """Put back the handlers `catch_stop_signals` replaced."""
    for number, handler in previous.items():
        signal.signal(number, handler)
