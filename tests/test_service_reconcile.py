"""The services' reconcile works only on the services an event touched (`ServiceManager.
_due_services`), with the same outcome as reconciling every service on every event; and the
maintenance failover check keeps its figures per host, so hosts evacuating at once do not
throw each other's away."""

from __future__ import annotations

import random

import pytest
from test_balancer_slices import random_cluster

from console.model import failover
from console.model.cluster import Cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import Role, Service, ServiceState
from console.model.services import ServiceManager

#: Members of the services live on these hosts; the others hold none.
MEMBER_HOSTS = 10


def _with_services(seed: int, services: int = 30) -> Cluster:
    """`random_cluster` plus `services` two-member services over VMs on the first
    `MEMBER_HOSTS` hosts (members on different hosts, the first active), of every failback
    policy."""
    cluster = random_cluster(seed, hosts=20, vms=200, interval_s=0)
    rng = random.Random(seed)
    by_host: dict[str, list[str]] = {}
    for vm in sorted(cluster.vms.values(), key=lambda v: v.name):
        if vm.host is not None and int(vm.host[1:]) < MEMBER_HOSTS:
            by_host.setdefault(vm.host, []).append(vm.name)
    for k in range(services):
        first, second = rng.sample([host for host in sorted(by_host) if by_host[host]], 2)
        members = (by_host[first].pop(), by_host[second].pop())
        service = Service(name=f"s{k:02d}", kind="sql", members=members,
                          preferred_owners=members, failback=("never", "immediate",
                                                              "delayed")[k % 3],
                          failback_delay_s=30.0, failover_s=10.0)
        service.roles = {members[0]: Role.ACTIVE, members[1]: Role.PASSIVE}
        service.state = ServiceState.ONLINE
        cluster.add_service(service)
    return cluster


#: A churn that moves services: crashes, a drain and its end, a partition, forced failovers.
CHURN = {5.0: "maintenance h001 on", 40.0: "fail-node h002", 45.0: "failover s03",
         90.0: "isolate h003", 120.0: "reconnect h003", 150.0: "maintenance h001 off",
         200.0: "power-on h002", 230.0: "maintenance h004 on --force", 260.0: "failover s07",
         400.0: "maintenance h004 off"}


def _log(seed: int) -> list[tuple[float, str, str, str]]:
    engine = Engine(_with_services(seed), seed=seed)
    for at, line in CHURN.items():
        engine.submit_at(at, parse(line))
    engine.run_until(600.0)
    return [(e.t, e.kind, e.subject, e.message) for e in engine.log.events]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reconciling_the_touched_services_only_logs_what_reconciling_all_does(seed, monkeypatch):
    touched = _log(seed)
    assert any(kind == "service_failover" for _, kind, _, _ in touched)
    assert any(kind == "service_online" for _, kind, _, _ in touched)

    def every_service(self: ServiceManager) -> list[Service]:
        return list(self.cluster.services.values())

    monkeypatch.setattr(ServiceManager, "_due_services", every_service)
    assert _log(seed) == touched


def _count_reconciles(engine: Engine, monkeypatch) -> list[str]:
    """The names of the services reconciled from now on, in order."""
    seen: list[str] = []
    plain = ServiceManager._reconcile

    def counted(self: ServiceManager, service: Service) -> None:
        seen.append(service.name)
        plain(self, service)

    monkeypatch.setattr(ServiceManager, "_reconcile", counted)
    return seen


def test_an_event_reconciles_only_the_services_on_the_hosts_it_touched(monkeypatch):
    engine = Engine(_with_services(1), seed=1)
    engine.reconcile()  # the first pass reconciles every service
    cluster = engine.cluster
    seen = _count_reconciles(engine, monkeypatch)
    engine.advance(60.0)
    assert seen == []  # nothing happened: nothing reconciled
    outsider = next(vm for vm in sorted(cluster.vms.values(), key=lambda v: v.name)
                    if int(vm.host[1:]) >= MEMBER_HOSTS)  # type: ignore[index]
    target = next(f"h{i:03d}" for i in range(MEMBER_HOSTS, 20) if f"h{i:03d}" != outsider.host)
    assert engine.submit(parse(f"migrate {outsider.name} {target}")).accepted
    engine.advance(120.0)
    assert seen == []  # a migration between hosts holding no member touches no service
    service = cluster.services["s05"]
    passive = next(m for m, role in service.roles.items() if role is Role.PASSIVE)
    source = cluster.vms[passive].host
    assert engine.submit(parse(f"migrate {passive} {target}")).accepted
    engine.advance(120.0)
    assert cluster.vms[passive].host == target
    on_source = {name for name, s in cluster.services.items()
                 if any(cluster.vms[m].host == source for m in s.members)}
    assert set(seen) == on_source | {"s05"}
    assert len(set(seen)) < len(cluster.services) // 3


def test_hosts_evacuating_at_once_keep_their_own_failover_figures(monkeypatch):
    engine = Engine(_with_services(2), seed=2)
    maintenance, nodes = engine.maintenance, engine.cluster.nodes
    first, second = nodes["h011"], nodes["h012"]
    answers = [maintenance.failover_shortfall(first), maintenance.failover_shortfall(second)]
    built: list[str] = []
    plain_room = failover.HostRoom
    monkeypatch.setattr(failover, "HostRoom", lambda *a: built.append("room") or plain_room(*a))
    for _ in range(5):
        assert [maintenance.failover_shortfall(first),
                maintenance.failover_shortfall(second)] == answers
    assert built == []
