"""Failover capacity (admission control policies, maintenance against the failover level) and
rules in placement (should rules in HA restart, the balancer's repairs), as vSphere documents
them; see console/model/failover.py."""

from __future__ import annotations

from cluster_helpers import events, run_checked

from console.formats.cluster import parse_cluster
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import NodeState, VmState


def cluster_text(hosts: int = 3, ha: str = "", vms: str = "", memory_gb: int = 16,
                 extra: str = "") -> str:
    """`hosts` ESXi hosts H1.. of `memory_gb` GB and 8 cores, [ha] lines, then `vms` and
    `extra` (rules) as written."""
    nodes = "".join(f'[[nodes]]\nname = "H{i}"\nhypervisor = "esxi"\ncpus = 2\n'
                    f"cores_per_cpu = 4\nmemory_gb = {memory_gb}\n\n"
                    for i in range(1, hosts + 1))
    return f'[cluster]\nname = "t"\n\n[ha]\n{ha}\n\n{nodes}{vms}{extra}'


def vm(name: str, host: str | None, memory_gb: float = 4, vcpus: int = 2, **more: str) -> str:
    """One [[vms]] entry."""
    lines = [f'name = "{name}"', 'guest_os = "windows2008"', f"vcpus = {vcpus}",
             f"memory_gb = {memory_gb}"]
    if host:
        lines.append(f'host = "{host}"')
    lines += [f"{key} = {value}" for key, value in more.items()]
    return "[[vms]]\n" + "\n".join(lines) + "\n\n"


def rule(name: str, kind: str, strength: str, vms: list[str], hosts: list[str] = ()) -> str:
    """One [[rules]] entry."""
    text = (f'[[rules]]\nname = "{name}"\nkind = "{kind}"\nstrength = "{strength}"\n'
            f"vms = {list(vms)!r}\n".replace("'", '"'))
    if hosts:
        text += f"hosts = {list(hosts)!r}\n".replace("'", '"')
    return text + "\n"


def engine_of(text: str) -> Engine:
    return Engine(parse_cluster(text, "t.toml"), seed=0)


TIGHT = "".join(vm(f"v{h}{k}", f"H{h}") for h in (1, 2, 3) for k in (1, 2))  # 8 GB per host


# -- maintenance against the failover level --------------------------------------------------


def test_maintenance_waits_when_the_rest_could_not_keep_the_failover_level():
    engine = engine_of(cluster_text(vms=TIGHT))
    outcome = engine.submit(parse("maintenance H3 on"))
    assert outcome.accepted and "waits" in outcome.reason
    warned = events(engine, "ha_capacity_reduced")
    assert len(warned) == 1 and warned[0].t == 0
    assert ("insufficient resources to satisfy the HA failover level: evacuating it needs 8 GB "
            "of memory but only 0 GB is left after reserving room for 1 host failure"
            in warned[0].message)
    run_checked(engine, 600)
    assert engine.cluster.nodes["H3"].state is NodeState.ENTERING_MAINTENANCE
    assert sorted(engine.cluster.nodes["H3"].vms) == ["v31", "v32"]
    assert not events(engine, "migration_started")
    blocked = engine.maintenance.blockers["H3"]
    assert set(blocked) == {"v31", "v32"}
    assert all("insufficient resources to satisfy the HA failover level" in why
               for why in blocked.values())


def test_a_waiting_maintenance_goes_on_when_room_returns():
    engine = engine_of(cluster_text(vms=TIGHT))
    run_checked(engine, 300, {10: "maintenance H3 on", 100: "add-node H4 H1"})
    assert engine.cluster.nodes["H3"].state is NodeState.MAINTENANCE


def test_force_evacuates_and_says_what_the_cluster_can_no_longer_tolerate():
    engine = engine_of(cluster_text(vms=TIGHT))
    outcome = engine.submit(parse("maintenance H3 on --force"))
    assert outcome.accepted
    assert "forced" in outcome.reason and "can no longer tolerate 1 host failure" in outcome.reason
    assert "can no longer tolerate" in events(engine, "ha_capacity_reduced")[0].message
    run_checked(engine, 300)
    assert engine.cluster.nodes["H3"].state is NodeState.MAINTENANCE


def test_maintenance_with_room_to_spare_says_nothing_of_capacity():
    engine = engine_of(cluster_text(hosts=4, vms=TIGHT))
    assert engine.submit(parse("maintenance H3 on")).reason == ""
    run_checked(engine, 300)
    assert engine.cluster.nodes["H3"].state is NodeState.MAINTENANCE
    assert not events(engine, "ha_capacity_reduced")


def test_force_belongs_to_maintenance_on():
    engine = engine_of(cluster_text(vms=TIGHT))
    engine.submit(parse("maintenance H3 on"))
    refused = engine.submit(parse("maintenance H3 off --force"))
    assert not refused.accepted and "--force" in refused.reason
    assert parse("maintenance H3 on --force").text() == "maintenance H3 on --force"


def test_without_admission_control_maintenance_does_not_wait():
    engine = engine_of(cluster_text(ha="admission_control = false", vms=TIGHT))
    run_checked(engine, 300, {10: "maintenance H3 on"})
    assert engine.cluster.nodes["H3"].state is NodeState.MAINTENANCE


def test_the_wsfc_and_pve_profiles_have_no_admission_control():
    for profile in ("wsfc", "pve"):
        engine = engine_of(cluster_text(ha=f'profile = "{profile}"', vms=TIGHT))
        assert engine.cluster.settings.ha.admission_control is False
        assert engine.ha.admission_refusal(engine.cluster.vms["v11"]) is None


def test_the_check_counts_vcpus_too():
    # Memory to spare, vCPUs not: 3 hosts x 32 vCPUs, 24 vCPUs on each.
    vms = "".join(vm(f"v{h}{k}", f"H{h}", memory_gb=1, vcpus=12) for h in (1, 2, 3)
                  for k in (1, 2))
    engine = engine_of(cluster_text(vms=vms))
    engine.submit(parse("maintenance H3 on"))
    (warned,) = events(engine, "ha_capacity_reduced")
    assert "needs 24 vCPUs but only 0 vCPUs are left" in warned.message


# -- admission control policies ---------------------------------------------------------------


def test_power_on_refusals_give_units():
    vms = TIGHT.replace("memory_gb = 4", "memory_gb = 6") + vm("extra", "H1", state='"stopped"')
    engine = engine_of(cluster_text(vms=vms))
    refused = engine.submit(parse("vm-power extra on"))
    assert refused.reason == ("admission control: starting extra needs 4 GB of memory but only "
                              "0 GB is left after reserving room for 1 host failure")


def test_percentage_policy_keeps_its_share_free():
    ha = 'admission_policy = "percentage"\nmemory_reserve_percent = 50\ncpu_reserve_percent = 0'
    # 48 GB, half kept free: 24 GB may run, 18 GB runs, so 6 GB is left.
    vms = TIGHT.replace("memory_gb = 4", "memory_gb = 3") + vm("big", "H1", memory_gb=7,
                                                              state='"stopped"')
    engine = engine_of(cluster_text(ha=ha, vms=vms))
    refused = engine.submit(parse("vm-power big on"))
    assert refused.reason == ("admission control: starting big needs 7 GB of memory but only "
                              "6 GB is left after reserving 50 % of the cluster's memory")


def test_dedicated_failover_hosts_take_only_ha_restarts():
    ha = 'admission_policy = "failover_hosts"\nfailover_hosts = ["H3"]'
    vms = vm("a", "H1") + vm("b", "H2") + vm("off", "H1", state='"stopped"') + vm("c", None)
    engine = engine_of(cluster_text(ha=ha, vms=vms))
    assert engine.cluster.vms["c"].host != "H3"  # initial placement keeps off it
    refused = engine.submit(parse("migrate a H3"))
    assert not refused.accepted and "dedicated failover host" in refused.reason
    assert engine.submit(parse("vm-power off on")).reason == "on H1"
    run_checked(engine, 200, {10: "fail-node H2"})
    assert engine.cluster.vms["b"].host == "H3"  # the restart goes to the failover host first
    assert engine.cluster.vms["b"].state is VmState.RUNNING


# -- rules in restart and the balancer --------------------------------------------------------


def test_ha_restart_prefers_a_host_that_keeps_a_should_rule():
    # H2 has the most free memory, but the should rule wants app next to db on H3.
    vms = vm("app", "H1") + vm("db", "H3", memory_gb=6)
    text = cluster_text(vms=vms, extra=rule("app-with-db", "affinity", "should", ["app", "db"]))
    engine = engine_of(text)
    run_checked(engine, 200, {10: "fail-node H1"})
    assert engine.cluster.vms["app"].host == "H3"


def test_ha_restart_falls_back_when_no_host_keeping_the_rule_has_room():
    vms = vm("app", "H1", memory_gb=8) + vm("db", "H3", memory_gb=12)
    text = cluster_text(vms=vms, extra=rule("app-with-db", "affinity", "should", ["app", "db"]))
    engine = engine_of(text)
    run_checked(engine, 200, {10: "fail-node H1"})
    assert engine.cluster.vms["app"].host == "H2"
    (restart,) = events(engine, "vm_restarting")
    assert "breaks should rule app-with-db" in restart.message


def test_the_balancer_repairs_a_should_rule_ha_broke():
    vms = vm("app", "H1", memory_gb=8) + vm("db", "H3", memory_gb=8) + vm("tmp", "H3")
    text = cluster_text(vms=vms, extra=rule("app-with-db", "affinity", "should", ["app", "db"]))
    engine = engine_of(text)
    run_checked(engine, 200, {10: "fail-node H1"})
    assert engine.cluster.vms["app"].host == "H2"
    run_checked(engine, 400, {210: "vm-power tmp off", 220: "rebalance"})
    assert engine.cluster.vms["app"].host == "H3"
    assert [e.t for e in events(engine, "migration_started") if e.subject == "app"] == [220]


def test_the_balancer_separates_vms_a_must_rule_keeps_apart():
    cluster = parse_cluster(cluster_text(vms=vm("dc1", "H1") + vm("dc2", "H2"),
                                         extra=rule("dcs-apart", "anti-affinity", "must",
                                                    ["dc1", "dc2"])), "t.toml")
    cluster.set_host(cluster.vms["dc2"], "H1")  # a placement that breaks the rule at start
    engine = Engine(cluster, seed=0)
    run_checked(engine, 200, {1: "rebalance"})
    assert cluster.vms["dc1"].host != cluster.vms["dc2"].host


def test_a_vm_no_rule_allows_anywhere_waits_naming_the_rule():
    vms = vm("dc1", "H1") + vm("dc2", "H2") + vm("dc3", "H3")
    text = cluster_text(vms=vms, extra=rule("dcs-apart", "anti-affinity", "must",
                                            ["dc1", "dc2", "dc3"]))
    engine = engine_of(text)
    run_checked(engine, 200, {10: "fail-node H3"})
    (pending,) = events(engine, "vm_pending")
    assert pending.message.startswith("dc3 waits for a host its rules allow: rule dcs-apart")
    assert "waits for capacity" not in pending.message


# -- VM-VM must affinity: the VMs stay together ----------------------------------------------

TOGETHER = rule("app-with-db", "affinity", "must", ["app", "db"])


def test_must_affinity_places_the_vms_on_one_host():
    engine = engine_of(cluster_text(vms=vm("db", None) + vm("app", None), extra=TOGETHER))
    assert engine.cluster.vms["app"].host == engine.cluster.vms["db"].host


def test_must_affinity_apart_in_the_file_is_reported_and_repaired():
    engine = engine_of(cluster_text(vms=vm("app", "H1") + vm("db", "H2"), extra=TOGETHER))
    (broken,) = events(engine, "rule_broken")
    assert broken.t == 0 and "rule app-with-db (must affinity) is broken" in broken.message
    assert "db runs on H2; they must run together with app on H1" in broken.message
    run_checked(engine, 400, {1: "rebalance"})
    assert engine.cluster.vms["app"].host == engine.cluster.vms["db"].host


def test_migrating_one_of_them_alone_is_refused_with_why():
    engine = engine_of(cluster_text(vms=vm("app", "H1") + vm("db", "H1"), extra=TOGETHER))
    refused = engine.submit(parse("migrate app H2"))
    assert not refused.accepted
    assert refused.reason == "rule app-with-db: app must run with db on H1"


def test_ha_restarts_them_together():
    engine = engine_of(cluster_text(vms=vm("app", "H1") + vm("db", "H1") + vm("x", "H2"),
                                    extra=TOGETHER))
    run_checked(engine, 200, {10: "fail-node H1"})
    app, db = engine.cluster.vms["app"], engine.cluster.vms["db"]
    assert app.state is db.state is VmState.RUNNING and app.host == db.host != "H1"


def test_maintenance_moves_them_together():
    engine = engine_of(cluster_text(hosts=4, vms=vm("app", "H1") + vm("db", "H1"),
                                    extra=TOGETHER))
    run_checked(engine, 300, {10: "maintenance H1 on"})
    app, db = engine.cluster.vms["app"], engine.cluster.vms["db"]
    assert engine.cluster.nodes["H1"].state is NodeState.MAINTENANCE
    assert app.host == db.host != "H1"


def test_the_balancer_brings_them_together():
    cluster = parse_cluster(cluster_text(vms=vm("app", "H1") + vm("db", "H1"), extra=TOGETHER),
                            "t.toml")
    cluster.set_host(cluster.vms["db"], "H2")  # a placement that breaks the rule at start
    engine = Engine(cluster, seed=0)
    run_checked(engine, 200, {1: "rebalance"})
    assert cluster.vms["app"].host == cluster.vms["db"].host


def test_the_balancer_leaves_rule_breakers_on_a_host_entering_maintenance_to_it() -> None:
    """A VM that breaks a rule on a host the balancer does not manage (one entering
    maintenance) is maintenance's to move: the balancer's pass must not trip over it."""
    engine = engine_of(cluster_text(
        vms=vm("a", "H1") + vm("b", "H2", memory_gb=10) + vm("c", "H3", memory_gb=10),
        extra=rule("a-on-H2", "vm-host", "should", ["a"], ["H2"])))
    run_checked(engine, 400, {1: "maintenance H1 on", 2: "rebalance"})
    assert engine.cluster.nodes["H1"].state is NodeState.ENTERING_MAINTENANCE
    assert engine.cluster.vms["a"].host == "H1"


def test_a_failed_restart_is_retried_by_ha_rules_not_the_operators():
    """A restart that fails on the dedicated failover host is retried as a restart: it may go to
    the failover host again; it never waits on 'a dedicated failover host' (that refusal is for
    the operator's power-ons and migrations)."""
    ha = 'admission_policy = "failover_hosts"\nfailover_hosts = ["H3"]'
    engine = engine_of(cluster_text(ha=ha, vms=vm("a", "H1", memory_gb=12)
                                    + vm("b", "H2", memory_gb=8)))  # H1 has no room for b
    run_checked(engine, 300, {1: "fail-starts H3", 10: "fail-node H2"})
    assert engine.cluster.vms["b"].host == "H3"
    assert not [e for e in events(engine, "vm_pending") if "dedicated failover host" in e.message]
    assert engine.cluster.vms["b"].state is VmState.RUNNING
