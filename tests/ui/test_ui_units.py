"""The pieces under the screens: the keyed table's minimal repaints, completion, the
model views and readings, and the local-machine source."""

from __future__ import annotations

from ui_helpers import make_app, seed_engine

from console.model import views
from console.model.commands import LocalReading, parse
from console.ui.widgets.command_line import complete
from console.ui.widgets.keyed_table import KeyedTable, meter, sparkline
from console.ui.widgets.vms import VmsTable


async def test_a_tick_repaints_only_the_cells_that_changed(monkeypatch):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.advance(1)
        await pilot.pause()
        calls: list[tuple[str, tuple]] = []
        original = KeyedTable.refresh

        def spy(self, *regions, **kwargs):
            calls.append((type(self).__name__, regions))
            return original(self, *regions, **kwargs)

        monkeypatch.setattr(KeyedTable, "refresh", spy)
        app.refresh_view()  # nothing moved: nothing repainted
        assert calls == []
        app.advance(60)  # uptimes tick over a minute: one cell per VM row, no whole table
        assert calls and all(regions for _, regions in calls)
        widths = {r.width for _, regions in calls for r in regions}
        table = app.screen.query_one(VmsTable)
        assert max(widths) < table.size.width


async def test_the_cursor_follows_its_row_when_rows_move():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")  # all VMs
        table = app.screen.query_one(VmsTable)
        table.move_cursor_to_key("web01")
        table.text_filter = "web"
        table.refresh_rows(force=True)
        assert table.cursor_key == "web01" and table.cursor == 0


async def test_columns_drop_by_priority_when_narrow():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(VmsTable)
        shown = [table.columns[i].label for i, _x, _w in table._layout]
        assert shown[:3] == ["VM", "State", "Host"] and "Img" not in shown


def test_meter_and_sparkline():
    assert meter(0.5, 9) == (("██", "bar"), ("░░", "dim-bar"), ("  50%", ""))
    assert meter(0.97, 9)[0][1] == "error"
    # nothing recorded, none used, a little used, half, all, overcommitted
    assert sparkline([None, 0, 0.01, 0.5, 1.0, 1.7]) == " ▁▂▅██"


def test_completion_of_verbs_names_and_flags():
    engine = seed_engine()
    assert complete(engine, "fail")[0] == "fail"
    assert complete(engine, "fail-")[1] == ["fail-migrations", "fail-node", "fail-starts"]
    assert complete(engine, "fail-n")[0] == "fail-node "
    assert complete(engine, "fail-node ")[1] == ["A", "B", "C"]
    assert complete(engine, "migrate we")[1] == ["web01", "web02"]
    assert complete(engine, "migrate web01 ")[1] == ["A", "B", "C"]
    assert complete(engine, "maintenance B o")[1] == ["off", "on"]
    assert complete(engine, "rebalance --")[0] == "rebalance --dry-run "
    assert complete(engine, "ha-state web01 d")[0] == "ha-state web01 disabled "
    assert complete(engine, "theme d", ["dark", "light"])[0] == "theme dark "


def test_views_node_usage_and_targets():
    engine = seed_engine()
    node = engine.cluster.nodes["B"]
    usage = views.node_usage(engine, node)
    assert 0 < usage.cpu < 1 and usage.memory == node.used_memory_gb / node.memory_gb
    targets = views.migration_targets(engine, engine.cluster.vms["web01"])
    assert [t.node for t in targets] == ["B", "C"]
    assert targets[0].refusal is None and "anti-affinity" in targets[1].refusal
    assert views.services_active_on(engine, "B") == ["iis", "sql"]
    assert len(views.node_cpu_history(engine, node, 10, 10.0)) == 10


def test_views_migration_progress():
    engine = seed_engine()
    engine.submit(parse("migrate dc01 C"))
    engine.advance(5)
    (m,) = views.migrations(engine)
    assert m.vm == "dc01" and not m.queued and 0 < m.progress < 1 and m.eta_s > 0


def test_readings_component_sets_the_local_nodes_usage():
    engine = seed_engine()
    engine.cluster.nodes["C"].local = True
    assert engine.submit(LocalReading("C", 0.5, 0.25, 0.1)).accepted
    usage = views.node_usage(engine, engine.cluster.nodes["C"])
    assert (usage.cpu, usage.memory, usage.disk, usage.measured) == (0.5, 0.25, 0.1, True)
    refused = engine.submit(LocalReading("A", 0.5, 0.5, 0.5))
    assert not refused.accepted and "not the local machine" in refused.reason
    assert not engine.submit(LocalReading("C", 1.5, 0.5, 0.5)).accepted
    assert not [e for e in engine.log.events if e.kind == "command"]  # one a second: not logged


def test_local_source_builds_a_node_and_samples():
    from console.sources.local import LocalSampler, build_node

    node = build_node({"A"})
    assert node.local and node.hypervisor == "kvm" and node.cores >= 1 and node.memory_gb > 0
    sample = LocalSampler().sample(processes=True)
    assert 0 <= sample.cpu <= 1 and 0 <= sample.memory <= 1 and 0 <= sample.disk <= 1


async def test_local_readings_enter_as_commands_even_in_read_only_mode():
    from console.sources.local import LocalSource, Sample, build_node
    from console.sources.sim import SimSource

    engine = seed_engine()
    node = build_node(set(engine.cluster.nodes))
    engine.cluster.add_node(node)
    heard = []
    source = LocalSource(SimSource("unused.toml"))
    source.start = lambda session, post: source.attach(session)  # no thread: handed in below
    app = make_app(engine, read_only=True, source=source)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.add_listener(lambda h: heard.append(h.command))
        source.submit(Sample(0.42, 0.5, 0.1, [("python", 12.0, 3.0)]))
        await pilot.pause()
        assert views.node_usage(engine, node).cpu == 0.42
        assert heard == [LocalReading(node.name, 0.42, 0.5, 0.1)]
        assert app.local_processes == [("python", 12.0, 3.0)]


def test_node_details_write_alike_disks_once():
    from console.ui.details import node_details

    lines = node_details(seed_engine(), "A")
    disks = next(line for line in lines if line.startswith("disks"))
    assert disks.split(None, 1)[1].startswith("5 x 300 GB = 1500 GB")


def test_details_wrap_a_long_value_under_the_value_not_the_label():
    from console.ui.screens.details import hang

    line = "workload       steady: CPU 60% of 4 vCPU, memory 85% active, disk 40 MB/s, dirtying"
    assert hang([line, "  sql01          running"], 60) == [
        "workload       steady: CPU 60% of 4 vCPU, memory 85% active,",
        "               disk 40 MB/s, dirtying",
        "  sql01          running",
    ]
    assert hang([line], 0) == [line]  # not laid out yet: as it is


async def test_a_big_cluster_loads_behind_the_loading_screen():
    from ui_helpers import make_session

    from console.ui.app import ConsoleApp
    from console.ui.screens.main import MainScreen

    app = ConsoleApp(loader=make_session, confirm=False, theme="dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.selected_node == "A" and app.session.clock.paused


async def test_a_loader_builds_with_the_collector_off_and_leaves_it_as_it_was():
    """The cycle collector is off while a big cluster is built behind the loading screen (its
    passes over the new model cost half a second at 40,000 VMs) and on again afterwards; under
    tests nothing is frozen out of its reach (one process runs many consoles)."""
    import gc

    from ui_helpers import make_session

    from console.ui.app import ConsoleApp
    from console.ui.screens.main import MainScreen

    collecting: list[bool] = []

    def loader():
        collecting.append(gc.isenabled())
        return make_session()

    frozen = gc.get_freeze_count()
    app = ConsoleApp(loader=loader, confirm=False, theme="dark")
    async with app.run_test(size=(120, 40)) as pilot:
        # until the main screen has mounted (leaving as it is pushed races its on_mount)
        while not (isinstance(app.screen, MainScreen) and app.screen.is_mounted):
            await pilot.pause()
    assert collecting == [False] and gc.isenabled() and gc.get_freeze_count() == frozen


async def test_a_held_start_stays_held_through_the_load_until_the_main_screens_first_frame():
    """As the command line runs a big cluster: the collector held from the start stays off
    while the loader builds and the main screen mounts, and what exists at the main screen's
    first full frame (the model, its tables) is frozen then (console.collector)."""
    import gc

    from ui_helpers import make_session

    from console import collector
    from console.ui.app import ConsoleApp
    from console.ui.screens.main import MainScreen

    collecting: list[bool] = []

    def loader():
        collecting.append(gc.isenabled())
        return make_session()

    frozen = gc.get_freeze_count()
    collector.hold()
    try:
        app = ConsoleApp(loader=loader, confirm=False, theme="dark")
        async with app.run_test(size=(120, 40)) as pilot:
            while not isinstance(app.screen, MainScreen):
                assert not gc.isenabled()
                await pilot.pause()
            for _ in range(20):
                if gc.isenabled():
                    break
                await pilot.pause()
            assert collecting == [False] and gc.isenabled() and gc.get_freeze_count() > frozen
    finally:
        collector.release()
        gc.collect()  # the first full pass after the first frame (its one freeze)
        gc.unfreeze()


async def test_a_loader_that_fails_leaves_with_its_one_line_and_status_2():
    from console.ui.app import ConsoleApp

    def broken():
        raise ValueError("seed.toml:3: nodes[0].memory_gb: must be a positive number")

    app = ConsoleApp(loader=broken, theme="dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_value == 2 and app.load_error.startswith("seed.toml:3:")


def test_service_details_state_the_threshold_the_profile_gives():
    from cluster_helpers import make_engine

    from console.ui.details import service_details

    lines = service_details(make_engine("wsfc.toml"), "exchange")
    assert any("(at most 3)" in line for line in lines)  # four nodes minus one, not None
    assert any(line.endswith("22-06h") for line in lines if line.startswith("failback"))


def test_a_lag_reads_in_its_two_largest_units():
    from console.ui.widgets.base import lag

    assert [lag(s) for s in (0.4, 59.4, 59.6, 725, 3599, 17710)] == [
        "0s", "59s", "1m00s", "12m05s", "59m59s", "4h55m"]
