"""HA profiles: a profile picks setting values, the cluster file's keys override them."""

from __future__ import annotations

import pytest
from cluster_helpers import run_checked

from console.formats.cluster import parse_cluster
from console.formats.toml import ConfigError
from console.model.engine import Engine
from console.model.profiles import PROFILE_VALUES, PROFILES, default_profile, settings_for
from console.model.settings import Settings
from console.paths import SAMPLE_CLUSTERS

NODE = '[[nodes]]\nname = "A"\nhypervisor = "{kind}"\n'


def _cluster(body: str, kind: str = "esxi") -> str:
    return '[cluster]\nname = "c"\n' + body + "\n" + NODE.format(kind=kind)


def test_vsphere_is_the_dataclass_defaults() -> None:
    assert settings_for("vsphere") == Settings(profile="vsphere")


@pytest.mark.parametrize("profile", PROFILES)
def test_a_key_written_in_the_file_beats_the_profile(profile: str) -> None:
    settings = settings_for(profile, {"heartbeat": {"interval_s": 7.0}})
    assert settings.profile == profile
    assert settings.heartbeat.interval_s == 7.0


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_value_names_a_real_setting(profile: str) -> None:
    settings = settings_for(profile)
    for section, values in PROFILE_VALUES[profile].items():
        for key, value in values.items():
            assert getattr(getattr(settings, section), key) == value


@pytest.mark.parametrize(("kinds", "profile"), [
    (["esxi"], "vsphere"), (["hyperv", "hyperv"], "wsfc"), (["kvm"], "pve"),
    (["xenserver"], "vsphere"), (["hyperv", "kvm"], "vsphere"), ([], "vsphere"),
])
def test_the_default_profile_follows_the_hosts_family(kinds: list[str], profile: str) -> None:
    assert default_profile(kinds) == profile


def test_the_file_names_its_profile_or_gets_its_hosts_family() -> None:
    assert parse_cluster(_cluster(""), "c.toml").settings.profile == "vsphere"
    assert parse_cluster(_cluster("", "hyperv"), "c.toml").settings.profile == "wsfc"
    named = parse_cluster(_cluster('[ha]\nprofile = "pve"\n', "hyperv"), "c.toml")
    assert named.settings.profile == "pve"


def test_an_unknown_profile_is_one_line_naming_the_key() -> None:
    with pytest.raises(ConfigError) as error:
        parse_cluster(_cluster('[ha]\nprofile = "ovirt"\n'), "c.toml")
    assert "c.toml" in str(error.value) and "ha.profile" in str(error.value)
    assert "vsphere" in str(error.value)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_runs_an_incident_the_same_way_twice(profile: str) -> None:
    """Determinism per profile: the seed cluster under each profile's rules, through a crash, a
    partition, maintenance and a forced failover, gives the same event log twice, and the
    invariants hold at every step."""
    text = (SAMPLE_CLUSTERS / "seed.toml").read_text(encoding="utf-8")
    text = text.replace("[ha]\n", f'[ha]\nprofile = "{profile}"\n', 1)
    steps = {60: "fail-node C", 200: "isolate B", 420: "reconnect B", 500: "power-on C",
             900: "maintenance A on --force", 1300: "failover sql", 1500: "maintenance A off"}
    logs = []
    for _ in range(2):
        engine = Engine(parse_cluster(text, "seed.toml"), seed=3)
        assert engine.cluster.settings.profile == profile
        run_checked(engine, 2000, steps)
        logs.append([(e.t, e.kind, e.subject, e.message) for e in engine.log.events])
    assert logs[0] == logs[1] and len(logs[0]) > 20
