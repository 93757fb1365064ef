"""The console on two real hosts (libvirt's test driver, the shipped sample hosts): both hosts
and all their VMs in the same panes as the model's; with --allow-actions a suspend from the
console shows the state libvirt's event reports; without it the key is refused with the
reason and nothing reaches libvirt."""

from __future__ import annotations

import time

from libvirt_support import DEADLINE_S, needs_libvirt, sample_uri
from ui_helpers import make_app, make_session, notes, select_vm

from console.model.engine import Engine
from console.sources.libvirt import READ_ONLY, LibvirtSource
from console.ui.widgets.nodes import NodesTable
from console.ui.widgets.vms import VmsTable

pytestmark = needs_libvirt


def real_console(*, allow_actions: bool):
    source = LibvirtSource([sample_uri("host-a"), sample_uri("host-b")],
                           allow_actions=allow_actions)
    session = make_session(Engine(source.build(), 0), paused=False)
    return make_app(session=session, source=source), source


async def wait_until(pilot, done, what: str) -> None:
    """Let the console run (libvirt's events reach it from their thread) until `done()`."""
    end = time.monotonic() + DEADLINE_S
    while not done():
        assert time.monotonic() < end, f"not seen within {DEADLINE_S} s: {what}"
        await pilot.pause()


def shown_vms(app) -> set[str]:
    return {str(key) for key in app.screen.query_one(VmsTable).shown_keys()}


async def test_both_hosts_and_all_their_vms_show_in_the_panes():
    app, source = real_console(allow_actions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        nodes = app.screen.query_one(NodesTable)
        assert {str(key) for key in nodes.shown_keys()} == {"host-a", "host-b"}
        await pilot.press("2", "a")  # the VMs pane, every node's VMs
        await pilot.pause()
        assert shown_vms(app) == {"web-01", "web-02", "db-01", "build-01", "app-01",
                                  "mail-01", "monitor-01"}
        assert app.engine.cluster.vms["monitor-01"].state.value == "paused"
    source.stop()


async def test_a_suspend_shows_the_state_libvirt_reports():
    app, source = real_console(allow_actions=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "web-01")
        await pilot.press("p")
        await wait_until(pilot, lambda: app.engine.cluster.vms["web-01"].state.value
                         == "paused", "web-01 paused")
        observed = [c.text() for _t, c in app.engine.command_log if c.verb == "observe-vm"]
        assert "observe-vm web-01 paused on host-a user" in observed
        await pilot.press("p")  # and resumed
        await wait_until(pilot, lambda: app.engine.cluster.vms["web-01"].state.value
                         == "running", "web-01 running")
    source.stop()


async def test_without_allow_actions_the_suspend_key_says_why():
    app, source = real_console(allow_actions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_vm(pilot, "web-01")
        await pilot.press("p")
        await pilot.pause()
        assert notes(app) and READ_ONLY in notes(app)[-1]
        assert not [c for _t, c in app.engine.command_log if c.verb == "vm-suspend"]
        assert app.engine.cluster.vms["web-01"].state.value == "running"
    source.stop()
