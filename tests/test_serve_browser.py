"""`cluster-console serve` in a real browser: the server runs in a process of its own, headless
Chromium (Debian's `chromium`, which `.ci/run` installs) loads its page, and the seed cluster's
VM names must show in the page's terminal. xterm.js draws on a canvas and keeps the terminal's
text in JavaScript, so it is read through the DevTools protocol (tests/devtools_pipe.py): the
page's terminal object is found among the page's objects (`Runtime.queryObjects`) and its
buffer read with xterm.js's own API, each time it has parsed new output (no polling).

Then the page is closed, which must end its console, and the server is stopped with Ctrl+C's
signal: exit status 130, nothing more on its output. (Stopping the server while a browser is
connected is tests/test_serve.py's, with a websocket of its own: no browser needed.)
"""

from __future__ import annotations

import signal
import time

import psutil
import pytest
from devtools_pipe import CHROMIUM, Chromium
from serve_helpers import STEP, consoles_of, end, first_line, free_port, start_server

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no browser: {CHROMIUM} is missing (.ci/run installs Debian's chromium package)")

#: The seed cluster's VMs the console's first screen lists (its hosts' names, A, B and C, are
#: too short to tell apart from any other text).
VM_NAMES = ["sql01", "exch01", "iis01"]

#: Resolves once the page's terminal has drawn its first output (textual-serve's page marks
#: its body `-first-byte` then): by then the terminal object exists.
FIRST_OUTPUT = """new Promise(resolve => {
  const drawn = () => document.body && document.body.classList.contains("-first-byte");
  if (drawn()) { resolve(true); return; }
  new MutationObserver((_, observer) => {
    if (drawn()) { observer.disconnect(); resolve(true); }
  }).observe(document, {attributes: true, childList: true, subtree: true});
})"""

#: Among all the page's objects (`this`), textual-serve's terminal: the xterm.js Terminal held
#: by the page's session object (the one with the websocket address).
FIND_TERMINAL = """function () {
  return this.find(o => {
    try { return typeof o.websocket_url === "string" && o.terminal.buffer.active; }
    catch (error) { return false; }
  }).terminal;
}"""

#: On the terminal (`this`): its text once every one of `wanted` shows, checked now and each
#: time the terminal has parsed new output; or, after `ms` milliseconds, what it shows then.
TEXT_SHOWING = """function (wanted, ms) {
  const text = () => {
    const buffer = this.buffer.active, lines = [];
    for (let y = 0; y < buffer.length; y++) lines.push(buffer.getLine(y).translateToString(true));
    return lines.join("\\n");
  };
  return new Promise(resolve => {
    const finish = () => { listener.dispose(); clearTimeout(timer); resolve(text()); };
    const check = () => { if (wanted.every(name => text().includes(name))) finish(); };
    const listener = this.onWriteParsed(check);
    const timer = setTimeout(finish, ms);
    check();
  });
}"""


def open_console_page(browser: Chromium, address: str, deadline: float) -> str:
    """Load the served page in a new page of `browser`; its session id once its terminal has
    drawn the console's first output."""
    page = browser.open_page(address, deadline=deadline)
    assert browser.evaluate(FIRST_OUTPUT, session=page, deadline=deadline) is True
    return page


def terminal_text(browser: Chromium, page: str, wanted: list[str], deadline: float) -> str:
    """The text of the page's terminal once it shows every one of `wanted`, or at `deadline`."""
    objects = browser.call("Runtime.evaluate", {"expression": "Object.prototype"},
                           session=page, deadline=deadline)["result"]["objectId"]
    everything = browser.call("Runtime.queryObjects", {"prototypeObjectId": objects},
                              session=page, deadline=deadline)["objects"]["objectId"]
    terminal = browser.call("Runtime.callFunctionOn",
                            {"functionDeclaration": FIND_TERMINAL, "objectId": everything},
                            session=page, deadline=deadline)["result"]["objectId"]
    ms = max(0, int((deadline - time.monotonic() - 1) * 1000))  # a second left for the reply
    return browser.call("Runtime.callFunctionOn",
                        {"functionDeclaration": TEXT_SHOWING, "objectId": terminal,
                         "arguments": [{"value": wanted}, {"value": ms}],
                         "awaitPromise": True, "returnByValue": True},
                        session=page, deadline=deadline)["result"]["value"]


def test_a_browser_shows_the_served_console_and_both_stop_cleanly(tmp_path):
    port = free_port()
    server = start_server(port, tmp_path)
    browser = None
    try:
        browser = Chromium(tmp_path / "profile")  # starts while the server does
        ready = first_line(server, time.monotonic() + STEP)
        address = f"http://127.0.0.1:{port}"
        assert ready == f"serving the console at {address} (one per browser); ctrl+c stops\n"

        deadline = time.monotonic() + STEP
        page = open_console_page(browser, address, deadline)
        shown = terminal_text(browser, page, VM_NAMES, deadline)
        assert all(name in shown for name in VM_NAMES), shown
        consoles = consoles_of(server)
        assert len(consoles) == 1, consoles

        browser.call("Page.close", session=page, deadline=deadline)
        _gone, alive = psutil.wait_procs(consoles, timeout=STEP)
        assert not alive, "the console outlived its page"
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=STEP) == 128 + signal.SIGINT
        assert (server.stdout.read(), server.stderr.read()) == (b"", b"")
    finally:
        if browser is not None:
            browser.close()
        end(server)
