"""A VM's and a service's downtime total counts the outage still going on, up to now, wherever
it is shown: the details views (console.ui.details), the views (console.model.views), the run
summary and the drills' figures."""

from __future__ import annotations

from console.drills import checks
from console.formats.cluster import load_cluster
from console.model import views
from console.model.commands import parse
from console.model.engine import Engine
from console.model.summary import summary
from console.paths import SAMPLE_CLUSTERS
from console.ui import details


def seed_engine() -> Engine:
    return Engine(load_cluster(SAMPLE_CLUSTERS / "seed.toml"), 0)


def _line(lines: list[str], label: str) -> str:
    return next(line for line in lines if line.startswith(label))


def test_a_vm_and_a_service_down_now_count_their_outage_so_far() -> None:
    engine = seed_engine()
    assert engine.submit(parse("fail-node A")).accepted
    engine.advance(24)
    vm, service = engine.cluster.vms["web01"], engine.cluster.services["exchange"]
    assert vm.down_since is not None and service.down_since is not None
    vm_so_far = engine.now - vm.down_since
    service_so_far = engine.now - service.down_since
    assert vm_so_far > 10 and service_so_far > 10

    assert views.vm_downtime(engine, vm) == vm.downtime_s + vm_so_far
    assert views.service_downtime(engine, service) == service.downtime_s + service_so_far
    assert _line(details.vm_details(engine, "web01"), "downtime").startswith(
        f"downtime       {vm.downtime_s + vm_so_far:.1f} s in total, down since ")
    assert _line(details.service_details(engine, "exchange"), "downtime").startswith(
        f"downtime       {service.downtime_s + service_so_far:.1f} s in total, down since ")
    assert summary(engine)["vms"]["web01"]["downtime_s"] == round(vm.downtime_s + vm_so_far, 3)
    assert checks.vm_downtime(checks.View(engine), "web01") == vm.downtime_s + vm_so_far
    assert (checks.service_downtime(checks.View(engine), "exchange")
            == service.downtime_s + service_so_far)


def test_an_ended_outage_stays_in_the_total_and_nothing_runs_on() -> None:
    engine = seed_engine()
    assert engine.submit(parse("fail-node A")).accepted
    engine.advance(120)
    vm = engine.cluster.vms["web01"]
    assert vm.down_since is None and vm.downtime_s > 0
    total = views.vm_downtime(engine, vm)
    engine.advance(60)
    assert views.vm_downtime(engine, vm) == total == vm.downtime_s
    assert ", down since" not in _line(details.vm_details(engine, "web01"), "downtime")
