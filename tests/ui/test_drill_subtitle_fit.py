"""The drill panel's subtitle fits its border at 80 columns: the next step's command, the least
of it, is left out when the whole would not fit (Textual cut it mid-word), and comes back when
the panel is wide enough."""

from __future__ import annotations

import json
import textwrap

from ui_helpers import make_app

from console.drills import parse_drill
from console.drills.live import LiveDrill, drill_session
from console.paths import SAMPLE_CLUSTERS
from console.ui.drill import DrillMode
from console.ui.widgets.drill import DrillPane

EXPECTATIONS = "".join(f'\n[[expect]]\nthat = "node A is online at {n} s"\n' for n in range(1, 13))
DRILL = textwrap.dedent(f"""\
    [drill]
    name = "long-step"
    cluster = {json.dumps(str(SAMPLE_CLUSTERS / "seed.toml"))}
    duration_s = 600

    [[steps]]
    at = 60
    do = "maintenance C on"
    """) + EXPECTATIONS


async def test_the_next_steps_command_gives_way_at_80_columns(tmp_path) -> None:
    drill = parse_drill(DRILL, str(tmp_path / "d.toml"))
    session = drill_session(drill, paused=True)
    app = make_app(session=session, mode=DrillMode(LiveDrill(session, drill,
                                                             tmp_path / "r.txt")))
    async with app.run_test(size=(80, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        pane = app.screen.query_one(DrillPane)
        subtitle = str(pane.border_subtitle)
        assert subtitle == "0 passed · 0 failed · 12 pending · next: step 1 at 00:01:00"
        assert len(subtitle) <= pane.region.width - 4
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        await pilot.pause()
        assert str(pane.border_subtitle).endswith("next: step 1 at 00:01:00 maintenance C on")
