"""libvirt calls with a timeout: a call that blocks (a host gone silent, a hung daemon) never
holds up the thread that asked.

A `Caller` runs calls one at a time in a daemon thread of its own and waits for each at most
its timeout; a call that overruns raises `CallTimeout` and leaves its thread behind (a daemon:
it cannot keep the process alive), and the next call gets a fresh thread. `call_with_timeout`
does the same for a single call.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

T = TypeVar("T")


class CallTimeout(Exception):
    """A libvirt call gave no answer within its timeout; str(e) says which and how long."""


def _run(jobs: queue.SimpleQueue[tuple[Callable[[], object], Future[object]] | None]) -> None:
    while (job := jobs.get()) is not None:
        call, future = job
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(call())
            except BaseException as error:  # handed to the waiting thread
                future.set_exception(error)


class Caller:
    """Runs calls in one daemon thread (named `name`) and waits `timeout_s` for each."""

    def __init__(self, name: str, timeout_s: float) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], Future[object]] | None] | None
        self._jobs = None

    def _queue(self) -> queue.SimpleQueue[tuple[Callable[[], object], Future[object]] | None]:
        with self._lock:
            if self._jobs is None:
                self._jobs = queue.SimpleQueue()
                threading.Thread(target=_run, args=(self._jobs,), name=self.name,
                                 daemon=True).start()
            return self._jobs

    def submit(self, call: Callable[[], T]) -> Future[T]:
        """Queue `call`; its Future holds the result or the exception it raised."""
        future: Future[T] = Future()
        self._queue().put((call, future))  # type: ignore[arg-type]
        return future

    def call(self, call: Callable[[], T], what: str, timeout_s: float | None = None) -> T:
        """`call()`'s result (or its exception); CallTimeout naming `what` when it takes longer
        than `timeout_s` (the Caller's timeout by default). After a timeout the blocked thread
        is abandoned and later calls run in a new one."""
        return self.wait(self.submit(call), what, timeout_s)

    def wait(self, future: Future[T], what: str, timeout_s: float | None = None) -> T:
        """The result of a `submit`ted call, as `call` waits for it."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            with self._lock:
                if self._jobs is not None:
                    self._jobs.put(None)  # the stuck thread ends once its call returns
                    self._jobs = None
            raise CallTimeout(f"{what}: timed out after {timeout:g} s without an answer") from None

    def close(self) -> None:
        """End the thread after the calls already queued (returns at once)."""
        with self._lock:
            if self._jobs is not None:
                self._jobs.put(None)
                self._jobs = None


def call_with_timeout(call: Callable[[], T], what: str, timeout_s: float) -> T:
    """`call()` run in a daemon thread of its own; CallTimeout naming `what` after
    `timeout_s`."""
    caller = Caller(f"libvirt {what}", timeout_s)
    try:
        return caller.call(call, what)
    finally:
        caller.close()
