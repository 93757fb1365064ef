"""The main screen's first frame on a big cluster works out only what it shows: each table's
cells for the rows on screen, not one per VM (40,000 VMs at a vCenter's size). A cluster of a
few thousand VMs built in code; counts the rows whose cells were made, never time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

from ui_helpers import make_app

from console.formats.cluster import parse_cluster
from console.model.engine import Engine
from console.ui.widgets.keyed_table import KeyedTable
from console.ui.widgets.nodes import NodesTable
from console.ui.widgets.vms import VmsTable

#: 150 hosts, 3,000 VMs, all but 100 of them placed at load time.
BIG = """[cluster]
name = "big"

[[nodes]]
name = "h"
count = 150
hypervisor = "esxi"
cpus = 2
cores_per_cpu = 16
memory_gb = 512

[[vms]]
name = "placed"
count = 100
host = "h01"
guest_os = "windows2008"
vcpus = 1
memory_gb = 1

[[vms]]
name = "v"
count = 2900
guest_os = "windows2008"
vcpus = 2
memory_gb = 8
"""


def big_engine() -> Engine:
    return Engine(parse_cluster(BIG, "big.toml"), 0)


async def test_the_first_frame_makes_the_cells_of_the_rows_on_screen_only(monkeypatch) -> None:
    made: Counter[str] = Counter()

    def counting(cells):
        def counted(table: KeyedTable, key: Hashable):
            made[table.id or ""] += 1
            return cells(table, key)
        return counted

    for cls in (NodesTable, VmsTable):
        monkeypatch.setattr(cls, "row_cells", counting(cls.row_cells))
    app = make_app(big_engine())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        nodes = app.screen.query_one(NodesTable)
        vms = app.screen.query_one(VmsTable)
        assert nodes.row_count() == 150 and vms.row_count() > 0  # every row there at once
        assert 0 < made["nodes-table"] <= 2 * nodes.page_rows
        assert 0 < made["vms-table"] <= 2 * vms.page_rows
        made.clear()
        await pilot.press("2", "a")  # every VM: 3,000 rows, the cells of a screenful made
        await pilot.pause()
        assert vms.shown_count() == 3000
        assert 0 < made["vms-table"] <= 2 * vms.page_rows
        await pilot.press("G")  # the last row, at once
        await pilot.pause()
        assert vms.cursor == 2999 and vms.cursor_key == vms.shown_keys()[-1]
        assert made["vms-table"] <= 4 * vms.page_rows
