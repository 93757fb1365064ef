"""The console on real hosts (console.ui.capability, console.ui.real_hosts): the keys a source
refuses are greyed and say its reason when pressed, picked in the palette or typed; the
confirmation of a destructive action names the real host; the header names the source and
says READ-ONLY when no change is allowed; a node's details show its connection; a paused VM
has its own mark. A fake source: the seed cluster's session with a `capability` and
`real_hosts` set, as the libvirt source sets them."""

from __future__ import annotations

from types import SimpleNamespace

from ui_helpers import make_app, make_session, notes, select_node, select_vm

from console.model.commands import (
    ColdMigrate,
    FailNode,
    Migrate,
    Pause,
    Speed,
    VmPower,
    VmResume,
    VmShutdown,
    VmSuspend,
)
from console.ui import capability
from console.ui.keys import KEYS
from console.ui.screens.dialogs import ConfirmScreen, TargetPicker
from console.ui.widgets.header import ClusterHeader

READ_ONLY = "real hosts are read-only: start with --allow-actions to act on them"
NO_CRASH = "a real host cannot be crashed from the console"
REAL_TIME = "real hosts keep real time: the clock runs at x1"
URI_A = "test:///srv/libvirt/host-a.xml"


def read_only_source(command):
    """Real hosts without --allow-actions: every change refused."""
    return READ_ONLY if command.mutating else None


def acting_source(command):
    """Real hosts with --allow-actions: no fault injection, no clock of its own."""
    if isinstance(command, FailNode):
        return NO_CRASH
    if isinstance(command, (Speed, Pause)):
        return REAL_TIME
    return None


def real_app(source=read_only_source, *, paused: bool = True, **options):
    session = make_session(paused=paused)
    session.capability = source
    session.real_hosts = {"A": URI_A}
    return make_app(session=session, **options)


def header_text(app) -> str:
    header = app.screen_stack[0].query_one(ClusterHeader)
    return "".join(text for text, _style in header.parts())


def heard(app) -> list[str]:
    return [command.text() for _at, command in app.engine.command_log]


def test_every_mutating_key_is_asked_of_the_source():
    """A mutating key missing from PROBES would never be greyed (and raise KeyError)."""
    assert {spec.id for spec in KEYS if spec.mutating} == set(capability.PROBES)


async def test_the_keys_the_source_refuses_are_greyed_in_the_footer():
    app = real_app(acting_source, paused=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.check_action("crash", ()) is None  # a real host is not crashed
        assert screen.check_action("pause", ()) is None  # nor its clock paused
        assert screen.check_action("faster", ()) is None
        for action in ("maintenance", "migrate", "suspend", "shutdown", "power", "recover"):
            assert screen.check_action(action, ()) is True, action
        shown = {key: enabled for key, action, _label, enabled, _tip, _disp
                 in app.screen.query_one("ConsoleFooter").shown_keys(screen)}
        assert shown["x"] is False and shown["m"] is True
    app = real_app(read_only_source)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for spec in KEYS:
            if spec.mutating:
                assert app.screen.check_action(spec.action, ()) is None, spec.id


async def test_a_refused_key_says_the_reason_and_does_nothing():
    app = real_app(read_only_source, confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await select_vm(pilot, "web01")
        for key in ("p", "S", "P", "v", "m", "x"):
            app.notices.clear()
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, (ConfirmScreen, TargetPicker)), key
            assert notes(app) and READ_ONLY in notes(app)[-1], (key, notes(app))
        await pilot.press("1")  # nothing selected in a VM pane: still the source's reason
        app.notices.clear()
        await pilot.press("p")
        await pilot.pause()
        assert READ_ONLY in notes(app)[-1]
    assert heard(app) == []
    assert app.engine.cluster.vms["web01"].state.value == "running"


async def test_the_palette_and_the_command_line_say_the_refusal():
    app = real_app(acting_source, confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await pilot.press("ctrl+p", *"crash the selected")
        await app.workers.wait_for_complete()  # the palette searches in a worker
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert any(NO_CRASH in n for n in notes(app)), notes(app)
        app.notices.clear()
        await pilot.press("colon", *"fail-node A", "enter")
        await pilot.pause()
        assert notes(app)[-1] == f"fail-node A: {NO_CRASH}"
        await pilot.press("colon", *"speed 4", "enter")
        await pilot.pause()
        assert notes(app)[-1] == f"speed 4: {REAL_TIME}"
    assert heard(app) == []
    assert app.engine.cluster.nodes["A"].powered


async def test_the_palette_entry_of_a_refused_key_says_why():
    from console.ui.palette import ConsoleCommands

    app = real_app(acting_source)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        provider = ConsoleCommands(app.screen)
        entries = {label.split(" (")[0]: help_text for label, help_text, _ in provider._entries()}
        assert entries["Crash the selected node"] == f"key x · refused: {NO_CRASH}"
        assert entries["Maintenance on/off for the selected node"] == "key m"


async def test_the_vm_keys_submit_their_commands():
    """p, S and P build vm-suspend, vm-shutdown and vm-power for the selected VM. (Until the
    model handles vm-suspend and vm-shutdown they are refused: the test asserts what was
    submitted, not the model's outcome.)"""
    app = make_app()
    submitted = []
    async with app.run_test(size=(120, 40)) as pilot:
        original = app.session.submit

        def spy(command, **kwargs):
            submitted.append(command)
            return original(command, **kwargs)

        app.session.submit = spy
        await select_node(pilot, "A")
        await select_vm(pilot, "web01")
        await pilot.press("p", "S", "P")
        await pilot.pause()
        assert submitted == [VmSuspend("web01"), VmShutdown("web01"), VmPower("web01", False)]
        assert app.engine.cluster.vms["web01"].state.value == "stopped"  # forced off
        await pilot.press("P")
        await pilot.pause()
        assert submitted[-1] == VmPower("web01", True)


def test_p_resumes_a_paused_vm():
    """A paused VM (the model's `paused` state) is resumed by p, not suspended again."""
    from ui_helpers import seed_engine

    from console.model.entities import VmState
    from console.ui import actions

    engine = seed_engine()
    # The model's PAUSED once it has one; until then the string the table reads stands in.
    paused = getattr(VmState, "PAUSED", SimpleNamespace(value="paused"))
    engine.cluster.vms["web01"].state = paused
    action = actions.suspend(engine, actions.Target(vm="web01"))
    assert action.commands == (VmResume("web01"),)
    running = actions.suspend(engine, actions.Target(vm="sql01"))
    assert running.commands == (VmSuspend("sql01"),)


def test_a_paused_vm_has_its_own_mark_and_colour():
    from console.ui.widgets.base import VM_STATE_STYLE
    from console.ui.widgets.vms import _state_label

    paused = SimpleNamespace(state=SimpleNamespace(value="paused"))
    assert _state_label(paused) == "‖ paused"
    assert VM_STATE_STYLE["paused"] not in ("ok", "", VM_STATE_STYLE["running"])


async def test_the_confirmation_names_the_real_host():
    app = real_app(acting_source, confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await select_vm(pilot, "web01")
        await pilot.press("P")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == f"Force VM web01 off on A ({URI_A})?"
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("1", "m")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == f"Put node A into maintenance at {URI_A}?"
        await pilot.press("n")
        await pilot.pause()
    assert heard(app) == []


async def test_migrating_a_vm_on_a_real_host_asks_first_naming_it():
    app = real_app(acting_source, confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await select_vm(pilot, "web01")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, TargetPicker)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question.startswith("Live-migrate VM web01 to ")
        assert app.screen.question.endswith(f" on A ({URI_A})?")
        await pilot.press("y")
        await pilot.pause()
    assert heard(app)[0].startswith("migrate web01 ")


async def test_every_way_of_migrating_a_real_vm_asks_first():
    """The balancer pane's enter (a recommendation) moves a real VM by live migration too."""
    from console.ui import actions

    app = real_app(acting_source, confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.carry_out(actions.Action((Migrate("web01", "B"),)))
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == f"Live-migrate VM web01 to B on A ({URI_A})?"
        await pilot.press("n")
        await pilot.pause()
        app.screen.carry_out(actions.Action((Migrate("sql01", "C"),)))  # sql01: on B, simulated
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert heard(app) == ["migrate sql01 C"]


async def test_typed_destructive_commands_ask_first_in_the_palette():
    """The palette's `Run:` line asks before a hard power-off, a cold migration and a real
    VM's migration, as the keys do."""
    app = real_app(acting_source, confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.submit(VmPower("dc01", False))  # a cold migration moves a stopped VM
        await pilot.pause()
        for line, command in (("vm-power web01 off", VmPower("web01", False)),
                              ("cold-migrate dc01 C", ColdMigrate("dc01", "C")),
                              ("migrate exch01 C", Migrate("exch01", "C"))):
            app.run_text(line, ask=True)
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen), line
            assert f"A ({URI_A})" in app.screen.question, app.screen.question
            await pilot.press("n")
            await pilot.pause()
            assert command not in [c for _at, c in app.engine.command_log]
    assert heard(app) == ["vm-power dc01 off"]


async def test_the_header_names_the_source_and_says_read_only():
    app = real_app(read_only_source)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = header_text(app)
        assert "libvirt: 1 host" in text and "READ-ONLY" in text
    app = real_app(acting_source)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = header_text(app)
        assert "libvirt: 1 host" in text and "READ-ONLY" not in text
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "libvirt" not in header_text(app) and "READ-ONLY" not in header_text(app)


async def test_a_narrow_header_cuts_the_figures_never_read_only():
    """At 80 columns the line is longer than the screen: what kind of console this is (the
    source, READ-ONLY) comes right after the name, so the end that is cut is a figure."""
    from console.ui.widgets.header import ClusterHeader

    app = real_app(read_only_source)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        header = app.screen_stack[0].query_one(ClusterHeader)
        shown = header.render_line(0).text
        assert "libvirt 1" in shown and "READ-ONLY" in shown, shown


async def test_a_real_nodes_details_show_its_connection():
    from console.ui.screens.details import DetailsScreen

    app = real_app(read_only_source)
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailsScreen)
        assert f"connection     {URI_A}" in app.screen._text
        await pilot.press("escape")
        await select_node(pilot, "B")
        await pilot.press("enter")
        await pilot.pause()
        assert "connection" not in app.screen._text


# -- real hosts keep real time: the clock never holds --------------------------------------------

OBSERVED = """\
[cluster]
name = "real"
truth = "observed"

[[nodes]]
name = "A"
hypervisor = "kvm"
memory_gb = 16

[[nodes]]
name = "B"
hypervisor = "kvm"
memory_gb = 16

[[vms]]
name = "web01"
guest_os = "rhel"
host = "A"
memory_gb = 2

[[vms]]
name = "db01"
guest_os = "rhel"
host = "B"
state = "stopped"
"""


def observed_app(source=acting_source, *, paused: bool = True, **options):
    """The console on an observed cluster (as the libvirt source builds it)."""
    from console.formats.cluster import parse_cluster
    from console.model.engine import Engine

    session = make_session(Engine(parse_cluster(OBSERVED, "real.toml")), paused=paused)
    session.capability = source
    session.real_hosts = {"A": URI_A, "B": "test:///srv/libvirt/host-b.xml"}
    return make_app(session=session, **options)


async def test_no_question_holds_the_clock_of_real_hosts():
    """Every screen, dialog and bar that holds the simulated clock leaves real time running:
    the header never says HELD and a tick moves the model by the real seconds."""
    from textual.command import CommandPalette

    app = real_app(acting_source, paused=False, confirm=True, tick_s=0)  # the test ticks
    async with app.run_test(size=(120, 40)) as pilot:
        await select_node(pilot, "A")
        await select_vm(pilot, "web01")
        for keys, shown in ((("P",), ConfirmScreen), (("v",), TargetPicker),
                            (("ctrl+p",), CommandPalette), (("colon",), None),
                            (("slash",), None)):
            await pilot.press(*keys)
            await pilot.pause()
            if shown is not None:
                assert isinstance(app.screen, shown), keys
            else:
                assert app.screen.has_class("-bar-open"), keys
            before = app.engine.now
            assert not app.clock_held, keys
            assert app.tick(2.0) == 2.0 and app.engine.now == before + 2.0, keys
            await pilot.pause()
            assert "HELD" not in header_text(app), keys
            await pilot.press("escape")
            await pilot.pause()
            await select_vm(pilot, "web01")
    assert heard(app) == []


async def test_a_late_tick_on_real_hosts_drops_no_second():
    """A simulated clock takes at most MAX_STEP_S real seconds a tick (a suspended terminal
    does not jump the model); real hosts' time went on meanwhile, all of it."""
    from console.session import MAX_STEP_S

    for source, expected in ((acting_source, 30.0), (read_only_source, MAX_STEP_S)):
        app = real_app(source, paused=False, tick_s=0)  # no timer: the test ticks
        async with app.run_test(size=(120, 40)) as pilot:
            start = app.engine.now
            app.tick(30.0)
            for _ in range(100):  # what a tick could not step in time, the next ones do
                if app.tick(0.0) == 0.0:
                    break
            await pilot.pause()
            assert app.engine.now == start + expected, source


async def test_a_silent_host_goes_suspect_while_the_palette_is_open():
    from console.model.commands import ObserveHost
    from console.session import OBSERVATION

    app = observed_app(paused=False, tick_s=0)  # no timer: the test ticks
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.session.submit(ObserveHost("A", False, "keepalive timeout"), source=OBSERVATION)
        await pilot.press("ctrl+p")
        await pilot.pause()
        for _ in range(6):
            app.tick(1.0)
        assert app.engine.cluster.nodes["A"].state.value == "suspect"
        assert "CommandPalette" in type(app.screen).__name__


# -- typed destructive commands ask on real hosts ------------------------------------------------

async def test_typed_destructive_commands_ask_first_on_the_command_line_of_real_hosts():
    """After `:` the typed line is the answer, except on real hosts: a hard power-off, a
    cold migration, a live migration or a rebalance asks first, naming the real host."""
    app = real_app(acting_source, confirm=True)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.submit(VmPower("dc01", False))  # a cold migration moves a stopped VM
        await pilot.pause()
        for line, named in (("vm-power web01 off", True), ("cold-migrate dc01 C", True),
                            ("migrate exch01 C", True), ("vm-shutdown web01", True),
                            ("rebalance", False)):
            await pilot.press("colon", *line, "enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen), line
            if named:
                assert f"A ({URI_A})" in app.screen.question, app.screen.question
            await pilot.press("n")
            await pilot.pause()
        await pilot.press("colon", *"vm-suspend web01", "enter")  # not destructive: at once
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert heard(app) == ["vm-power dc01 off", "vm-suspend web01"]
    app = make_app(confirm=True)  # the embedded model: the typed line is the answer
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("colon", *"vm-power web01 off", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert heard(app) == ["vm-power web01 off"]


# -- what the VMs pane does not claim: HA priority with HA off, uptime not seen ------------------

def vm_cells(app, vm: str) -> dict[str, object]:
    from console.ui.widgets.vms import VmsTable

    table = app.screen.query_one(VmsTable)
    cells = table.row_cells(vm)
    return {column.label: cells[i] for i, column in enumerate(table.columns)}


async def test_the_ha_column_says_off_while_ha_is_off():
    from console.formats.cluster import parse_cluster
    from console.model.engine import Engine
    from console.paths import SAMPLE_CLUSTERS
    from console.ui.widgets.vms import HA_COLUMN, VmsTable

    text = (SAMPLE_CLUSTERS / "seed.toml").read_text().replace("[ha]\nenabled = true",
                                                              "[ha]\nenabled = false")
    for app in (observed_app(), make_app(Engine(parse_cluster(text, "no-ha.toml"), 0))):
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("a")
            await pilot.pause()
            assert vm_cells(app, "web01")["HA"] == ("off", "muted")
            table = app.screen.query_one(VmsTable)
            assert table.quick_text("web01", HA_COLUMN) == "off"
            await select_vm(pilot, "web01")
            await pilot.press("enter")
            await pilot.pause()
            assert "HA priority    off (HA is off in this cluster" in app.screen._text
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert vm_cells(app, "web01")["HA"] != ("off", "muted")


async def test_a_real_vm_whose_start_was_not_seen_has_no_uptime():
    from console.model.commands import ObserveVm
    from console.session import OBSERVATION

    app = observed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        app.advance(600)
        await pilot.pause()
        assert vm_cells(app, "web01")["Uptime"] == "-"  # running since before the console
        await select_vm(pilot, "web01")
        await pilot.press("enter")
        await pilot.pause()
        assert "uptime         - (running since before the console started" in app.screen._text
        await pilot.press("escape")
        app.session.submit(ObserveVm("db01", "running", reason="booted"), source=OBSERVATION)
        app.advance(180)
        await pilot.pause()
        assert vm_cells(app, "db01")["Uptime"] == "3m"  # its start was seen
        from console.ui import vm_values

        assert vm_values.uptime_all(app.engine) == {"web01": None, "db01": 180.0}
    app = make_app()  # the embedded model knows every start: uptime from its time 0
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(600)
        await pilot.pause()
        assert vm_cells(app, "web01")["Uptime"] == "10m"


def test_a_real_hosts_details_claim_only_what_its_connection_tells():
    from console.formats.cluster import parse_cluster
    from console.model.commands import parse
    from console.model.engine import Engine
    from console.ui.details import node_details

    engine = Engine(parse_cluster('[cluster]\nname = "real"\ntruth = "observed"\n\n'
                                  '[[nodes]]\nname = "A"\nhypervisor = "kvm"\n', "r.toml"))
    truth = [line for line in node_details(engine, "A") if line.startswith("truth")]
    assert truth == ["truth          its connection answers"]
    engine.submit(parse("observe-host A down 'keepalive timed out'"))
    truth = [line for line in node_details(engine, "A") if line.startswith("truth")]
    assert truth == ["truth          its connection does not answer (power and network not "
                     "known)"]
    assert "fenced" not in "\n".join(node_details(engine, "A"))
