"""Failback follows only a move the cluster made, after Windows Server failover clustering
(Microsoft Learn, "Failover Clustering": failover and failback settings): an operator's move
sticks and restarts the failover count; a failure or a maintenance drain arms failback, which
waits for its window of hours or its delay; the failover threshold defaults to the nodes minus
one under the wsfc profile. And no event says "None"."""

from __future__ import annotations

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.formats.cluster import parse_cluster
from console.formats.toml import ConfigError
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import Service, ServiceState

NODE = '[[nodes]]\nname = "H{i}"\nhypervisor = "{kind}"\nmemory_gb = 32\n'
VM = '[[vms]]\nname = "w{i}"\nhost = "H{i}"\nguest_os = "windows2008"\n'


def _cluster(service: str, nodes: int = 3, kind: str = "hyperv", profile: str = "") -> str:
    text = '[cluster]\nname = "c"\n' + (f'[ha]\nprofile = "{profile}"\n' if profile else "")
    text += "".join(NODE.format(i=i, kind=kind) for i in range(1, nodes + 1))
    text += "".join(VM.format(i=i) for i in range(1, 4))
    return text + '[[services]]\nname = "svc"\nkind = "iis"\nmembers = ["w1", "w2", "w3"]\n' \
                  'preferred_owners = ["w1"]\nfailover_s = 10\n' + service


def _engine(service: str, **kwargs: object) -> Engine:
    return Engine(parse_cluster(_cluster(service, **kwargs), "c.toml"), 0)  # type: ignore[arg-type]


def _failovers(engine: Engine, name: str) -> list[str]:
    return [e.message for e in events(engine, "service_failover", lambda e: e.subject == name)]


def test_an_operators_move_sticks_against_immediate_failback(seed_engine: Engine) -> None:
    iis = seed_engine.cluster.services["iis"]
    assert iis.failback == "immediate" and iis.active == "iis01"
    run_checked(seed_engine, 900, {60: "failover iis iis02"})
    assert iis.active == "iis02"
    assert len(_failovers(seed_engine, "iis")) == 1


def test_an_operators_move_cancels_a_delayed_failback_already_counting() -> None:
    engine = _engine('failback = "delayed"\nfailback_delay_s = 300\n')
    svc = engine.cluster.services["svc"]
    run_checked(engine, 900, {10: "vm-power w1 off", 20: "vm-power w1 on",
                              100: "failover svc w3"})
    assert svc.active == "w3"
    assert not any("failing back" in m for m in _failovers(engine, "svc"))


def test_failback_after_a_failure_goes_to_the_most_preferred_owner_ready() -> None:
    engine = _engine('failback = "immediate"\n')
    svc = engine.cluster.services["svc"]
    svc.preferred_owners = ("w1", "w2")
    run_checked(engine, 300, {10: "failover svc w3", 60: "vm-power w3 off"})
    assert svc.active == "w1"  # a failure from where the operator put it: home, by preference
    run_checked(engine, 600, {400: "vm-power w1 off", 410: "vm-power w1 on"})
    assert svc.active == "w1"
    assert sum("failing back" in m for m in _failovers(engine, "svc")) == 1


def test_an_operators_move_restarts_the_failover_count(seed_engine: Engine) -> None:
    sql = seed_engine.cluster.services["sql"]
    sql.max_failovers = 1
    run_checked(seed_engine, 600, {60: "vm-power sql01 off", 120: "vm-power sql01 on",
                                   300: "failover sql sql01", 400: "vm-power sql01 off"})
    assert sql.state is ServiceState.ONLINE and sql.active == "sql02"
    assert not events(seed_engine, "service_failed")


def test_a_maintenance_drain_fails_back_by_the_policy_once_maintenance_ends(
        seed_engine: Engine) -> None:
    """iis (immediate) stays on iis02 while B is in maintenance, though iis01 runs elsewhere,
    and goes home when B leaves it; sql (never) stays where the drain put it."""
    services = seed_engine.cluster.services
    run_checked(seed_engine, 590, {60: "maintenance B on --force"})
    assert seed_engine.cluster.vms["iis01"].host != "B"
    assert services["iis"].active == "iis02"
    run_checked(seed_engine, 700, {600: "maintenance B off"})
    back = [e for e in events(seed_engine, "service_failover") if "failing back" in e.message]
    assert [e.t for e in back] == [600] and services["iis"].active == "iis01"
    assert services["sql"].active == "sql02"


def test_an_operators_move_during_maintenance_sticks_after_it(seed_engine: Engine) -> None:
    run_checked(seed_engine, 900, {60: "maintenance B on", 300: "failover iis iis01",
                                   600: "maintenance B off"})
    assert seed_engine.cluster.services["iis"].active == "iis01"
    run_checked(seed_engine, 1200, {900: "failover iis iis02"})
    assert seed_engine.cluster.services["iis"].active == "iis02"


@pytest.mark.parametrize(("window", "hour", "inside"), [
    ((22, 6), 23, True), ((22, 6), 0, True), ((22, 6), 5, True), ((22, 6), 6, False),
    ((22, 6), 21, False), ((9, 17), 9, True), ((9, 17), 16, True), ((9, 17), 17, False),
    ((9, 17), 3, False), (None, 12, True),
])
def test_the_failback_window_runs_from_its_start_hour_to_its_end_hour(
        window: tuple[int, int] | None, hour: int, inside: bool) -> None:
    service = Service("s", "iis", ("a", "b"), failback="window", failback_window=window)
    now = 3 * 86_400 + hour * 3600 + 1800
    assert service.in_failback_window(now) is inside
    wait = service.seconds_to_failback_window(now)
    assert (wait == 0) is inside
    assert service.in_failback_window(now + wait)


def test_failback_waits_for_its_window_of_hours() -> None:
    engine = _engine('failback = "window"\nfailback_window = [2, 4]\n')
    svc = engine.cluster.services["svc"]
    run_checked(engine, 7100, {10: "vm-power w1 off", 20: "vm-power w1 on"}, step=60)
    assert svc.active != "w1"
    run_checked(engine, 7500, step=60)
    back = [e for e in events(engine, "service_failover") if "failing back" in e.message]
    assert back and back[0].t == 7200 and svc.active == "w1"


@pytest.mark.parametrize(("profile", "nodes", "written", "threshold"), [
    ("wsfc", 5, "", 4), ("wsfc", 3, "", 2), ("wsfc", 5, "max_failovers = 7\n", 7),
    ("vsphere", 5, "", 3),
])
def test_the_failover_threshold_is_the_profiles_unless_the_service_says(
        profile: str, nodes: int, written: str, threshold: int) -> None:
    cluster = parse_cluster(_cluster(written, nodes=nodes, profile=profile), "c.toml")
    svc = cluster.services["svc"]
    assert svc.failover_threshold(len(cluster.nodes)) == threshold
    assert svc.failback == "never" and svc.failover_period_s == 6 * 3600


def test_nodes_minus_one_is_at_least_one_failover() -> None:
    assert Service("s", "iis", ("a", "b"), max_failovers=None).failover_threshold(1) == 1


@pytest.mark.parametrize(("written", "message"), [
    ('failback = "window"\n', 'failback_window: required when failback is "window"'),
    ('failback = "immediate"\nfailback_window = [1, 2]\n', 'only used with failback = "window"'),
    ('failback = "window"\nfailback_window = [1, 2, 3]\n', "must be [start hour, end hour]"),
    ('failback = "window"\nfailback_window = [5, 5]\n', "start and end hour must differ"),
    ('failback = "window"\nfailback_window = [1, 24]\n', "failback_window[1]"),
])
def test_a_bad_failback_window_is_one_line_naming_the_key(written: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_cluster(_cluster(written), "c.toml")
    text = str(error.value)
    assert "c.toml" in text and "services[0].failback_window" in text and message in text
    assert "\n" not in text


def test_a_forced_failover_of_a_service_with_no_active_member_names_no_none(
        seed_engine: Engine) -> None:
    sql = seed_engine.cluster.services["sql"]
    sql.max_failovers = 1
    run_checked(seed_engine, 700, {60: "vm-power sql01 off", 120: "vm-power sql01 on",
                                   300: "vm-power sql02 off", 360: "vm-power sql02 on"})
    assert sql.state is ServiceState.FAILED and sql.active is None
    assert seed_engine.submit(parse("failover sql sql01")).accepted
    run_checked(seed_engine, 800)
    assert "forced failover to sql01 on " in _failovers(seed_engine, "sql")[-1]
    assert not [e.message for e in seed_engine.log.events if "None" in e.message]


def test_a_service_whose_members_start_stopped_fails_over_without_naming_none() -> None:
    text = _cluster("").replace('guest_os = "windows2008"\n', 'guest_os = "windows2008"\n'
                                'state = "stopped"\n')
    engine = Engine(parse_cluster(text, "c.toml"), 0)
    run_checked(engine, 100, {10: "vm-power w2 on"})
    assert engine.cluster.services["svc"].active == "w2"
    assert not [e.message for e in engine.log.events if "None" in e.message]


def test_profile_defaults_reach_a_sample_cluster() -> None:
    engine = make_engine("wsfc.toml")
    sql = engine.cluster.services["sql"]
    assert engine.cluster.settings.profile == "wsfc"
    assert sql.max_failovers is None and sql.failover_threshold(len(engine.cluster.nodes)) == 3
