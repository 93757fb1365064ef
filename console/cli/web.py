"""The web server of `cluster-console serve`: textual-serve's `Server` (Textual's own way of
putting a Textual app in a browser: one process of `command` per browser, its screen drawn by
xterm.js), with what the command line needs around it:

* one line on standard output once it listens (`serving the console at URL ...`), instead of
  textual-serve's banner and log;
* Ctrl+C, SIGTERM and SIGHUP (unless ignored) stop it cleanly: every browser's websocket is
  closed, so that its session tells its console to quit, and the exit status is 128 + the
  signal, as the rest of the command line reports;
* a session (a closed page, a stopping server) ends only once its console process has ended
  (textual-serve's ends when the console's output closes, and the process may still run):
  the server leaves no console behind, and its event loop outlives every process it watches;
* the page's own addresses (its scripts, its websocket) follow the address the browser used
  (its Host header), so that a server listening on every address (`--host 0.0.0.0`) serves a
  page that works from other machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
import weakref
from typing import Any

from aiohttp import WSCloseCode, web
from aiohttp.web_runner import GracefulExit
from textual_serve.app_service import AppService
from textual_serve.server import Server, log, to_int

from console.signals import STOP_SIGNALS

#: How long, in seconds, a browser's console may take to end after its quit message (a page
#: closed, the server stopping) before it is killed.
QUIT_WAIT = 10.0

#: A Host header the page may name in its own addresses: a name, an IPv4 or a bracketed IPv6
#: address, and a port. Anything else gets the address the server was started with.
_HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def url(host: str, port: int) -> str:
    """`http://HOST:PORT`, an IPv6 address in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class ConsoleService(AppService):
    """textual-serve's service of one browser's process, whose `stop` also waits for the
    process to end (textual-serve's waits for its output to close, forever if it never does):
    so a page closed or a server stopped leaves no console running, and the event loop
    outlives every process it watches. A console that has not ended `QUIT_WAIT` seconds after
    its quit message is killed."""

    async def stop(self) -> None:
        """Send the quit message (textual-serve's stop) and wait for the process to end; kill
        it when that takes more than `QUIT_WAIT` seconds."""
        # Waited on, not cancelled at the deadline: textual-serve's reader swallows a
        # cancellation and would go on waiting.
        ending = asyncio.ensure_future(self._quit())
        done, _pending = await asyncio.wait({ending}, timeout=QUIT_WAIT)
        if not done and self._process is not None and self._process.returncode is None:
            self._process.kill()  # its output closes: the quit ends
        await ending

    @property
    def returncode(self) -> int | None:
        """The process's exit status (negative: the signal that ended it), None while it
        runs or before it started."""
        return None if self._process is None else self._process.returncode

    async def _quit(self) -> None:
        await super().stop()
        if self._process is not None:
            await self._process.wait()


class ConsoleServer(Server):
    """Serves `command` (a shell command line starting a Textual app) on `host`:`port`, one
    process per browser. `ready_line` is printed, flushed, on standard output once the server
    listens."""

    def __init__(self, command: str, *, host: str, port: int, title: str,
                 ready_line: str) -> None:
        super().__init__(command, host=host, port=port, title=title,
                         public_url=url(host, port))
        self.ready_line = ready_line
        self.started_url = self.public_url
        self._websockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """A browser's session: textual-serve's, but noted (so that stopping closes it) and
        with a console service that waits for its console to end (`ConsoleService`)."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service = None
        try:
            await websocket.prepare(request)
            self._websockets.add(websocket)
            service = ConsoleService(self.command, write_bytes=websocket.send_bytes,
                                     write_str=websocket.send_str, close=websocket.close,
                                     download_manager=self.download_manager, debug=self.debug)
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # as textual-serve: logged, the other sessions go on
            log.exception(error)
        finally:
            if service is not None:
                await service.stop()
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        """Nothing (textual-serve prints its banner here, before it listens): the ready line
        is printed once the server listens."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Closes every browser's websocket: its session then sends its console the quit
        message and waits for it to end."""
        await asyncio.gather(*(websocket.close(code=WSCloseCode.GOING_AWAY,
                                               message=b"the server is stopping")
                               for websocket in list(self._websockets)))

    async def handle_index(self, request: web.Request) -> Any:
        """textual-serve's page, its addresses built on the address the browser asked for."""
        # textual-serve builds them from public_url while rendering, with no await in between,
        # so no other request sees this one's address.
        host = request.host
        self.public_url = f"http://{host}" if _HOST_HEADER.fullmatch(host) else self.started_url
        return await super().handle_index(request)

    def _print_ready(self, _running_on: str) -> None:
        print(self.ready_line, flush=True)

    def serve_until_stopped(self) -> int:
        """Serve until Ctrl+C, SIGTERM or SIGHUP; 128 + that signal. Raises OSError when the
        address cannot be listened on."""
        stopped_by: list[int] = []

        def stop(number: int) -> None:
            stopped_by.append(number)
            raise GracefulExit  # out of the event loop, into aiohttp's orderly shutdown

        loop = asyncio.new_event_loop()
        for number in (signal.SIGINT, *STOP_SIGNALS):
            if signal.getsignal(number) is not signal.SIG_IGN:  # as under nohup
                with contextlib.suppress(NotImplementedError):  # Windows: KeyboardInterrupt
                    loop.add_signal_handler(number, stop, number)
        web.run_app(self._make_app(), host=self.host, port=self.port, loop=loop,
                    handle_signals=False, access_log=None,
                    shutdown_timeout=2 * QUIT_WAIT,  # the sessions end first (ConsoleService)
                    print=self._print_ready)  # aiohttp's "Running on" message, once listening
        sys.stdout.flush()
        return 128 + stopped_by[0] if stopped_by else 0
