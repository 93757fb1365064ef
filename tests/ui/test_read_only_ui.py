"""Read-only in the console: a typed `reading` is refused with the reason (observations come
only from the source), a dry run passes."""

from __future__ import annotations

from ui_helpers import make_app, notes, seed_engine

from console.session import OBSERVATION_REFUSAL


async def test_a_typed_reading_is_refused_and_a_dry_run_passes_read_only():
    from console.sources.local import build_node

    engine = seed_engine()
    node = build_node(set(engine.cluster.nodes))
    engine.cluster.add_node(node)
    app = make_app(engine, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        outcome = app.run_text(f"reading {node.name} 0.99 0.99 0.99")
        await pilot.pause()
        assert not outcome.accepted and outcome.reason == OBSERVATION_REFUSAL
        assert notes(app)[-1].endswith(OBSERVATION_REFUSAL)
        assert engine.readings.latest == {}
        assert app.run_text("rebalance --dry-run").accepted
