"""Run the console with its event loop watched: every stretch in which the loop was blocked longer
than a threshold, and what ran in it.

    python bench/stall_probe.py OUT.jsonl [--threshold-ms 15] -- [console arguments]

Started in place of `python -m console` (bench/console_bench.py does so with `--stalls PATH`),
in the same environment. Each callback the asyncio loop runs (`asyncio.Handle._run`: a task's
step, a timer, a call from another thread) is timed; one longer than the threshold is written
to OUT.jsonl as a line of JSON: when it started (s from the probe's start, monotonic), how long
it ran (ms of wall time and of the thread's CPU), the callback, and the functions of the
console and of Textual seen most in it. Those come from a sampler thread that reads the UI
thread's stack every `SAMPLE_S` (sys._current_frames): inclusive counts of each function seen
in the samples taken while the callback ran (a function on the stack in 8 of 10 samples took
about 80 % of the stretch). The sampler needs the interpreter's lock too, so a probed console
runs somewhat slower: compare figures with and without the probe only for the shape of a stall,
never for its length. Nothing of this is in the console itself.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import gc
import importlib
import json
import sys
import threading
import time
from types import FrameType

SAMPLE_S = 0.002
KEPT_FUNCTIONS = 12  # the functions listed per stall
OWN = ("/console/", "/textual/", "/rich/")  # the code whose functions are listed


def frame_names(frame: FrameType | None) -> list[str]:
    """The stack's functions of the console, Textual and Rich, innermost first, each once."""
    names: list[str] = []
    while frame is not None:
        path = frame.f_code.co_filename
        if any(part in path for part in OWN):
            tail = path.rsplit("/site-packages/", 1)[-1].rsplit("/console/", 1)[-1]
            name = f"{tail}:{frame.f_code.co_name}"
            if name not in names:
                names.append(name)
        frame = frame.f_back
    return names


class Sampler(threading.Thread):
    """Samples one thread's stack every SAMPLE_S into `samples` (monotonic time, names)."""

    def __init__(self, thread_id: int) -> None:
        super().__init__(name="stall-sampler", daemon=True)
        self.thread_id = thread_id
        self.samples: collections.deque[tuple[float, list[str]]] = collections.deque(maxlen=5000)

    def run(self) -> None:
        """Sample until the process ends (a daemon thread)."""
        while True:
            time.sleep(SAMPLE_S)
            frame = sys._current_frames().get(self.thread_id)
            self.samples.append((time.monotonic(), frame_names(frame)))

    def between(self, start: float, end: float) -> list[list[str]]:
        """The stacks sampled from `start` to `end`."""
        return [names for at, names in list(self.samples) if start <= at <= end]


#: What is timed inside each callback (inclusive wall ms per callback): "module:Class.method".
PHASES = (
    "console.session:Session.run_for",               # the engine's simulated seconds
    "console.session:Session.submit",                # a command
    "console.ui.app:ConsoleApp.refresh_view",        # the panes asked for their rows
    "console.ui.screens.main:MainScreen._layout_for",  # pane sizes set
    "textual.screen:Screen._refresh_layout",         # Textual: layout (and render)
    "textual._compositor:Compositor.reflow",         # Textual: arranging the widgets
    "textual._compositor:Compositor.render_update",  # Textual: the lines drawn
    "textual.app:App._display",                      # Textual: written to the terminal
    "textual.css.stylesheet:Stylesheet.update_nodes",  # Textual: restyling
)


class Phases:
    """Inclusive wall time of each of PHASES within the callback being run (`taken`), and of
    the cycle collector's passes (`gc`)."""

    def __init__(self) -> None:
        self.spent: collections.Counter[str] = collections.Counter()
        for spec in PHASES:
            module_name, _, path = spec.partition(":")
            owner_name, _, method = path.partition(".")
            owner = getattr(importlib.import_module(module_name), owner_name)
            setattr(owner, method, self._timed(spec.rsplit(".", 1)[-1], getattr(owner, method)))
        self._gc_start = 0.0
        gc.callbacks.append(self._collected)

    def _timed(self, label: str, plain):
        spent = self.spent

        @functools.wraps(plain)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return plain(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start
        return timed

    def _collected(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.spent[f"gc{info.get('generation')}"] += time.perf_counter() - self._gc_start

    def taken(self) -> dict[str, float]:
        """The ms of each phase since the last call (those over 0.5 ms), and start afresh."""
        found = {name: round(1000 * s, 1) for name, s in self.spent.items() if s > 0.0005}
        self.spent.clear()
        return found


def watch(out: str, threshold_s: float, sample: bool) -> None:
    """Time every callback of asyncio's loops on this thread; write the long ones to `out`."""
    sampler = Sampler(threading.get_ident())
    if sample:
        sampler.start()
    phases = Phases()
    sink = open(out, "a", buffering=1)  # noqa: SIM115 (open for the life of the process)
    began = time.monotonic()
    plain_run = asyncio.events.Handle._run

    def timed_run(handle: asyncio.events.Handle) -> None:
        phases.taken()
        start, cpu = time.monotonic(), time.thread_time()
        plain_run(handle)
        took = time.monotonic() - start
        if took >= threshold_s:
            stacks = sampler.between(start, start + took)
            seen = collections.Counter(name for names in stacks for name in names)
            sink.write(json.dumps({
                "at_s": round(start - began, 3), "monotonic": round(start, 3),
                "ms": round(1000 * took, 1),
                "cpu_ms": round(1000 * (time.thread_time() - cpu), 1),
                "callback": repr(handle)[:160], "phases": phases.taken(),
                "samples": len(stacks),
                "functions": [[name, count] for name, count in seen.most_common(KEPT_FUNCTIONS)],
                "innermost": collections.Counter(
                    names[0] for names in stacks if names).most_common(4),
            }) + "\n")

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]


def main() -> int:
    """Watch the loop, then run the console with the arguments after `--`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="file the stalls are appended to, one JSON line each")
    parser.add_argument("--threshold-ms", type=float, default=15.0)
    parser.add_argument("--sample", action="store_true",
                        help="also sample the UI thread's stack (slows the console down)")
    parser.add_argument("console", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    watch(args.out, args.threshold_ms / 1000, args.sample)
    from console import collector

    collector.hold()  # as `python -m console` does
    from console.cli import main as console_main

    sys.argv = ["cluster-console", *[a for a in args.console if a != "--"]]
    return int(console_main() or 0)


if __name__ == "__main__":
    sys.exit(main())
