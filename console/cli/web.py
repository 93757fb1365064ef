"""The web server of `cluster-console serve`: textual-serve's `Server` (Textual's own way of
putting a Textual app in a browser: one process of `command` per browser, its screen drawn by
xterm.js), with what the command line needs around it:

* one line on standard output once it listens (`serving the console at URL ...`), instead of
  textual-serve's banner and log;
* Ctrl+C, SIGTERM and SIGHUP (unless ignored) stop it cleanly: every browser's websocket is
  closed, so that textual-serve tells its console to quit and waits for it, and the exit status
  is 128 + the signal, as the rest of the command line reports;
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
from textual_serve.server import Server

from console.signals import STOP_SIGNALS

#: How long, in seconds, stopping waits for the browsers' consoles to quit after their
#: websockets are closed.
QUIT_WAIT = 10.0

#: A Host header the page may name in its own addresses: a name, an IPv4 or a bracketed IPv6
#: address, and a port. Anything else gets the address the server was started with.
_HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def url(host: str, port: int) -> str:
    """`http://HOST:PORT`, an IPv6 address in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


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

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.on_response_prepare.append(self._note_websocket)
        return app

    async def _note_websocket(self, _request: web.Request, response: web.StreamResponse) -> None:
        if isinstance(response, web.WebSocketResponse):
            self._websockets.add(response)

    async def on_startup(self, app: web.Application) -> None:
        """Nothing (textual-serve prints its banner here, before it listens): the ready line
        is printed once the server listens."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Closes every browser's websocket: textual-serve then sends its console the quit
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
                    handle_signals=False, access_log=None, shutdown_timeout=QUIT_WAIT,
                    print=self._print_ready)  # aiohttp's "Running on" message, once listening
        sys.stdout.flush()
        return 128 + stopped_by[0] if stopped_by else 0
