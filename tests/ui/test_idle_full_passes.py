"""The console asks for the cycle collector's full passes at its clock's ticks, telling how long
the operator has been idle (console.collector.tidy runs one only then): a key is input."""

from __future__ import annotations

from ui_helpers import make_app

from console import collector


async def test_ticks_tell_the_collector_how_long_the_operator_is_idle(monkeypatch) -> None:
    asked: list[float] = []
    monkeypatch.setattr(collector, "tidy", lambda idle_s, now=None: asked.append(idle_s) or False)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app._last_input -= 30.0  # as if nothing was pressed for half a minute
        app._tick()
        await pilot.press("j")
        app._tick()
    assert asked[0] >= 30.0
    assert asked[-1] < 5.0  # the key just pressed
