"""Cluster-file sections for migration, balancing, trace-driven workloads, images and rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.formats.cluster import load_cluster, parse_cluster, schema, summarize
from console.formats.toml import ConfigError
from console.model import entities
from console.model.commands import parse
from console.model.engine import Engine
from console.model.entities import Rule, VmState
from console.model.settings import BalancerSettings, MigrationSettings
from console.paths import SAMPLE_CLUSTERS

SAMPLES = SAMPLE_CLUSTERS

# Two XenServer hosts; tests append sections. BASE is 12 lines long, so an entry appended to it
# starts on line 13.
BASE = """\
[cluster]
name = "t"

[[nodes]]
name = "A"
hypervisor = "xenserver"
memory_gb = 16

[[nodes]]
name = "B"
hypervisor = "xenserver"
memory_gb = 8
"""

# Two bases and two layers: 24 lines.
IMAGES = """\
[[images]]
name = "win"
size_gb = 20
guest_os = "windows2008"
vcpus = 2
memory_gb = 2
[[images]]
name = "sles"
label = "SUSE"
size_gb = 8
version = 3
guest_os = "suse"
vcpus = 1
memory_gb = 1
[[layers]]
name = "iis"
size_gb = 1
bases = ["win"]
[[layers]]
name = "exch"
label = "Exchange"
size_gb = 4
memory_gb = 4
bases = ["win"]
"""


def error_of(text: str, base: Path | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_cluster(text, "t.toml", base)
    return str(caught.value)


def entry(table: str, *lines: str) -> str:
    return "\n".join([f"[[{table}]]", *lines]) + "\n"


def vm(name: str, *extra: str, guest: str | None = "rhel") -> str:
    """A [[vms]] entry: 2 lines (3 with a guest OS) plus one per extra `key = value`."""
    head = [f'name = "{name}"'] + ([f'guest_os = "{guest}"'] if guest else [])
    return entry("vms", *head, *extra)


def rule(*lines: str) -> str:
    return entry("rules", 'name = "r"', *lines)


def write_traces(folder: Path, traces: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in traces.items():
        (folder / name).write_text("\n".join(values) + "\n", encoding="utf-8")
    return folder


# -- the constants live with their entities ------------------------------------------------------


def test_vocabularies_come_from_the_entities() -> None:
    assert schema.SERVICE_KINDS is entities.SERVICE_KINDS
    assert schema.FAILBACK_POLICIES is entities.FAILBACK_POLICIES
    assert schema.WORKLOAD_PROFILES is entities.WORKLOAD_PROFILES
    assert schema.RULE_KINDS is entities.RULE_KINDS


# -- [migration] and [balancer] ----------------------------------------------------------------


def test_migration_and_balancer_reach_the_settings() -> None:
    text = BASE + (
        "[migration]\ndowntime_target_ms = 150\nmax_rounds = 5\nauto_converge = true\n"
        "link_efficiency = 1\nlimit_1g = 2\nlimit_10g = 16\n"
        '[balancer]\nautomation = "partial"\nthreshold = 5\ninterval_s = 0\nholddown_s = 0\n'
        "max_moves = 1\n")
    settings = parse_cluster(text, "t.toml").settings
    assert settings.migration == MigrationSettings(150, 5, True, 1.0, 2, 16)
    assert settings.balancer == BalancerSettings("partial", 5, 0.0, 0.0, 1)


def test_sections_left_out_keep_the_model_defaults() -> None:
    settings = parse_cluster(BASE, "t.toml").settings
    assert settings.migration == MigrationSettings()
    assert settings.balancer == BalancerSettings()


SETTINGS_ERRORS = [
    ("[migration]\ndowntime_target_ms = 0\n",
     "t.toml:14: migration.downtime_target_ms: must be a number above 0, at most 60000 ms, got 0"),
    ("[migration]\nmax_rounds = 0\n",
     "t.toml:14: migration.max_rounds: must be an integer from 1 to 1000, got 0"),
    ('[migration]\nauto_converge = "yes"\n',
     't.toml:14: migration.auto_converge: must be true or false, got "yes"'),
    ("[migration]\nlink_efficiency = 0\n",
     "t.toml:14: migration.link_efficiency: must be a number above 0, at most 1, got 0"),
    ("[migration]\nlink_efficiency = 1.2\n",
     "t.toml:14: migration.link_efficiency: must be a number above 0, at most 1, got 1.2"),
    ("[migration]\nlimit_1g = 0\n",
     "t.toml:14: migration.limit_1g: must be an integer from 1 to 128, got 0"),
    ("[migration]\nlimit_10g = 2.5\n",
     "t.toml:14: migration.limit_10g: must be an integer from 1 to 128, got 2.5"),
    ("[migration]\nbandwidth = 1\n",
     "t.toml:14: migration.bandwidth: unknown key (known: downtime_target_ms, max_rounds, "
     "auto_converge, link_efficiency, limit_1g, limit_10g)"),
    ('[balancer]\nautomation = "auto"\n',
     't.toml:14: balancer.automation: must be one of manual, partial, full; got "auto"'),
    ("[balancer]\nthreshold = 6\n",
     "t.toml:14: balancer.threshold: must be an integer from 1 to 5, got 6"),
    ("[balancer]\nthreshold = 0\n",
     "t.toml:14: balancer.threshold: must be an integer from 1 to 5, got 0"),
    ("[balancer]\ninterval_s = -1\n",
     "t.toml:14: balancer.interval_s: must be a number 0 (off) or from 10 to 86400 s, got -1"),
    ("[balancer]\nholddown_s = -60\n",
     "t.toml:14: balancer.holddown_s: must be a number from 0 to 2592000 s, got -60"),
    ("[balancer]\nmax_moves = 0\n",
     "t.toml:14: balancer.max_moves: must be an integer from 1 to 1000, got 0"),
    ("[balancer]\nlevel = 3\n",
     "t.toml:14: balancer.level: unknown key (known: automation, threshold, interval_s, "
     "holddown_s, max_moves)"),
]


@pytest.mark.parametrize(("section", "expected"), SETTINGS_ERRORS)
def test_settings_errors(section: str, expected: str) -> None:
    assert error_of(BASE + section) == expected


# -- [workloads] traces ------------------------------------------------------------------------


def trace_vms(*entries: str) -> str:
    return BASE + '[workloads]\ntraces = "traces"\n' + "".join(entries)


def auto_vm(name: str, count: int) -> str:
    return vm(name, f"count = {count}", 'workload = { profile = "trace", trace = "auto" }')


def test_traces_load_and_auto_assigns_them_round_robin_in_name_order(tmp_path: Path) -> None:
    write_traces(tmp_path / "traces", {"c": ["30", "40"], "a": ["10"], "b": ["0", "99", "5"]})
    (tmp_path / "traces" / "README.md").write_text("# not a trace\n", encoding="utf-8")
    (tmp_path / "traces" / ".hidden").write_text("junk\n", encoding="utf-8")
    (tmp_path / "traces" / "sub").mkdir()
    text = trace_vms(auto_vm("x", 4), vm("y", 'workload = { profile = "trace", trace = "c" }'),
                     auto_vm("z", 2))
    cluster = parse_cluster(text, str(tmp_path / "t.toml"))
    assert cluster.traces == {"a": (0.1,), "b": (0.0, 0.99, 0.05), "c": (0.3, 0.4)}
    assigned = {name: v.workload.trace for name, v in cluster.vms.items()}
    # One round-robin over every "auto" VM in file order; a named trace does not take a turn.
    assert assigned == {"x001": "a", "x002": "b", "x003": "c", "x004": "a", "y": "c",
                        "z001": "b", "z002": "c"}
    again = parse_cluster(text, str(tmp_path / "t.toml"))
    assert {name: v.workload.trace for name, v in again.vms.items()} == assigned


def test_traces_folder_is_relative_to_the_cluster_file(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write_traces(tmp_path / "site" / "traces", {"t1": ["50"]})
    (tmp_path / "site" / "c.toml").write_text(trace_vms(auto_vm("x", 1)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cluster = load_cluster("site/c.toml")
    assert cluster.vms["x001"].workload.trace == "t1"


def test_a_broken_trace_names_its_file_and_line(tmp_path: Path) -> None:
    write_traces(tmp_path / "traces", {"good": ["1", "2"], "bad": ["1", "2", "x3"]})
    assert error_of(trace_vms(), tmp_path) == (
        f"t.toml:14: workloads.traces: {tmp_path / 'traces' / 'bad'}:3: not an integer: \"x3\"")


def test_a_trace_out_of_range_names_its_file_and_line(tmp_path: Path) -> None:
    write_traces(tmp_path / "traces", {"hot": ["5", "", "101"]})
    assert error_of(trace_vms(), tmp_path) == (
        f"t.toml:14: workloads.traces: {tmp_path / 'traces' / 'hot'}:3: "
        'CPU percent out of 0-100: "101"')


@pytest.mark.parametrize(("lines", "shown"), [
    (["1", "9" * 5000], ':2: not an integer: "' + "9" * 40 + '..."'),
    (["1", "\x1b[2J"], ':2: not an integer: "\\u001b[2J"'),
    (["1", "1" * 60], ':2: CPU percent out of 0-100: "' + "1" * 40 + '..."'),
])
def test_a_long_or_unprintable_trace_line_is_shown_short_on_one_line(
        tmp_path: Path, lines: list[str], shown: str) -> None:
    write_traces(tmp_path / "traces", {"junk": lines})
    message = error_of(trace_vms(), tmp_path)
    assert message.endswith(shown) and message.isprintable(), message


@pytest.mark.parametrize(("setup", "message"), [
    pytest.param(lambda root: None, "no such folder: {root}/traces", id="missing"),
    pytest.param(lambda root: (root / "traces").write_text("1\n"), "not a folder: {root}/traces",
                 id="file"),
    pytest.param(lambda root: (root / "traces").mkdir(), "no trace files in {root}/traces",
                 id="empty"),
    pytest.param(lambda root: write_traces(root / "traces", {"e": []}),
                 "{root}/traces/e: empty trace", id="empty-trace"),
    pytest.param(lambda root: (write_traces(root / "traces", {}) / "w").write_bytes(b"\xff\n"),
                 "{root}/traces/w:1: not UTF-8 text", id="binary"),
])
def test_traces_folder_errors_name_the_key(tmp_path: Path, setup, message: str) -> None:
    setup(tmp_path)
    assert error_of(trace_vms(), tmp_path) == (
        f"t.toml:14: workloads.traces: {message.format(root=tmp_path)}")


def test_trace_errors(tmp_path: Path) -> None:
    write_traces(tmp_path / "traces", {"a": ["1"], "b": ["2"]})
    named = 'workload = { profile = "trace", trace = "nope" }'
    assert error_of(trace_vms(vm("x", named)), tmp_path) == (
        't.toml:18: vms[0].workload.trace: unknown trace "nope" (traces: a, b)')
    assert error_of(BASE + auto_vm("x", 2)) == (
        't.toml:17: vms[0].workload.trace: no traces are loaded (set traces = "folder" in '
        "[workloads])")
    assert error_of(BASE + vm("x", 'workload = { trace = "a" }')) == (
        't.toml:16: vms[0].workload.trace: only used with profile = "trace"')
    assert error_of(BASE + "[workloads]\n") == (
        "t.toml:13: workloads.traces: required key is missing")
    assert error_of(BASE + "[workloads]\ntraces = 3\n") == (
        "t.toml:14: workloads.traces: must be a string, got 3")


def test_traces_drive_the_vms_cpu(tmp_path: Path) -> None:
    write_traces(tmp_path / "traces", {"a": ["10", "90"]})
    cluster = parse_cluster(trace_vms(auto_vm("x", 1)), "t.toml", tmp_path)
    engine = Engine(cluster, 0)
    x = cluster.vms["x001"]
    assert engine.workloads.demand(x, 0).cpu == pytest.approx(0.1)
    assert engine.workloads.demand(x, 300).cpu == pytest.approx(0.9)


# -- [[images]], [[layers]] and what nodes hold ------------------------------------------------


def test_images_and_layers_round_trip() -> None:
    text = (BASE.replace('memory_gb = 16\n', 'memory_gb = 16\nimages = ["win", "iis"]\n')
            + IMAGES
            + vm("w1", 'host = "A"', 'image = "win+iis+exch"', guest=None)
            + vm("w2", 'image = "win"', 'guest_os = "windows2008"', "vcpus = 4", "memory_gb = 3",
                 "disk_gb = 100", guest=None)
            + vm("s1", 'image = "sles"', guest=None))
    cluster = parse_cluster(text, "t.toml")
    images = cluster.images
    assert list(images) == ["win", "sles", "iis", "exch"]
    assert images["sles"] == entities.Image("sles", "base", 8.0, "SUSE", 3, "suse", 1, 1.0, ())
    assert images["iis"] == entities.Image("iis", "layer", 1.0, "", 1, memory_gb=0.0,
                                           bases=("win",))
    assert images["exch"].memory_gb == 4 and images["exch"].label == "Exchange"
    assert cluster.nodes["A"].images == {"win": 1, "iis": 1}
    assert cluster.nodes["B"].images == {}
    w1, w2, s1 = cluster.vms["w1"], cluster.vms["w2"], cluster.vms["s1"]
    # From the image: the base's guest OS and vCPUs, base + layers' memory, the parts' size.
    assert (w1.image, w1.guest_os, w1.vcpus, w1.memory_gb, w1.disk_gb) == (
        ("win", "iis", "exch"), "windows2008", 2, 6.0, 25.0)
    # What the entry says wins over the image.
    assert (w2.image, w2.vcpus, w2.memory_gb, w2.disk_gb) == (("win",), 4, 3.0, 100.0)
    assert (s1.guest_os, s1.vcpus, s1.memory_gb, s1.host) == ("suse", 1, 1.0, "B")
    assert summarize(cluster) == ("cluster 't' (HA profile vsphere): "
                                  "2 nodes (xenserver), 3 VMs (3 running), "
                                  "0 services, 2 base images + 2 layers")


def test_a_vms_parts_need_not_be_on_its_host() -> None:
    cluster = parse_cluster(BASE + IMAGES + vm("w", 'host = "B"', 'image = "win+exch"',
                                               guest=None), "t.toml")
    assert cluster.vms["w"].host == "B"
    assert cluster.nodes["B"].images == {}


def test_node_images_take_the_current_version() -> None:
    text = BASE.replace('memory_gb = 8\n', 'memory_gb = 8\nimages = ["sles"]\n') + IMAGES
    assert parse_cluster(text, "t.toml").nodes["B"].images == {"sles": 3}


def test_count_nodes_each_hold_the_images() -> None:
    text = BASE.replace('name = "B"', 'name = "B"\ncount = 2\nimages = ["win"]') + IMAGES
    cluster = parse_cluster(text, "t.toml")
    assert cluster.nodes["B01"].images == cluster.nodes["B02"].images == {"win": 1}
    assert cluster.nodes["B01"].images is not cluster.nodes["B02"].images


IMAGE_ERRORS = [
    # values
    pytest.param(entry("images", 'name = "w"', "size_gb = 0", 'guest_os = "rhel"'),
                 "t.toml:15: images[0].size_gb: must be a number above 0, at most 65536 "
                 "GB, got 0", id="size"),
    pytest.param(entry("images", 'name = "w"', "size_gb = 1"),
                 "t.toml:13: images[0].guest_os: required key is missing", id="base-guest"),
    pytest.param(entry("images", 'name = "w"', "size_gb = 1", 'guest_os = "dos"'),
                 "t.toml:16: images[0].guest_os: must be one of windows2003, windows2008, "
                 "windows2008r2, windows2012, suse, rhel, centos, debian, ubuntu, linux, solaris, "
                 'freebsd; got "dos"', id="base-guest-unknown"),
    pytest.param(entry("images", 'name = "w"', "size_gb = 1", 'guest_os = "rhel"',
                       "version = 0"),
                 "t.toml:17: images[0].version: must be an integer from 1 to 1000000, "
                 "got 0", id="version"),
    pytest.param(entry("images", 'name = "w"', "size_gb = 1", 'guest_os = "rhel"', "vcpus = 0"),
                 "t.toml:17: images[0].vcpus: must be an integer from 1 to 768, got 0", id="vcpus"),
    pytest.param(entry("images", 'name = "w"', "size_gb = 1", 'guest_os = "rhel"',
                       "memory_gb = 0"),
                 "t.toml:17: images[0].memory_gb: must be a number above 0, at most "
                 "24576 GB, got 0", id="memory"),
    pytest.param(entry("images", 'name = "w+x"', "size_gb = 1", 'guest_os = "rhel"'),
                 "t.toml:14: images[0].name: must be a name (a letter or digit, then letters, "
                 "digits, '_', '.' or '-', at most 64 characters), got \"w+x\"", id="plus-in-name"),
    pytest.param(entry("images", 'name = "w"', "size_gb = 1", 'guest_os = "rhel"',
                       "bases = []"),
                 "t.toml:17: images[0].bases: unknown key (known: name, label, size_gb, version, "
                 "guest_os, vcpus, memory_gb)", id="base-with-bases"),
    pytest.param(entry("layers", 'name = "l"', "size_gb = 1", "memory_gb = -1"),
                 "t.toml:16: layers[0].memory_gb: must be a number from 0 to 24576 GB, got -1",
                 id="layer-memory"),
    pytest.param(entry("layers", 'name = "l"', "size_gb = 1", 'guest_os = "rhel"'),
                 "t.toml:16: layers[0].guest_os: unknown key (known: name, label, size_gb, "
                 "memory_gb, bases)", id="layer-guest"),
    pytest.param(entry("layers", 'name = "l"'),
                 "t.toml:13: layers[0].size_gb: required key is missing", id="layer-size"),
    # names
    pytest.param(IMAGES + entry("layers", 'name = "win"', "size_gb = 1"),
                 't.toml:38: layers[2].name: duplicate name "win" (already used by images[0])',
                 id="duplicate"),
    pytest.param(IMAGES + entry("layers", 'name = "l"', "size_gb = 1", 'bases = ["nt4"]'),
                 't.toml:40: layers[2].bases[0]: unknown base image "nt4" '
                 "(base images: win, sles)", id="unknown-base"),
    pytest.param(entry("layers", 'name = "l"', "size_gb = 1", 'bases = ["nt4"]'),
                 't.toml:16: layers[0].bases[0]: unknown base image "nt4" '
                 "(no [[images]] are defined)", id="no-bases"),
    pytest.param(IMAGES + entry("layers", 'name = "l"', "size_gb = 1", 'bases = ["iis"]'),
                 "t.toml:40: layers[2].bases[0]: iis is a layer, not a base image",
                 id="layer-as-base"),
    pytest.param(IMAGES + entry("layers", 'name = "l"', "size_gb = 1",
                                'bases = ["win", "win"]'),
                 't.toml:40: layers[2].bases[1]: "win" is listed twice', id="base-twice"),
]


@pytest.mark.parametrize(("section", "expected"), IMAGE_ERRORS)
def test_image_errors(section: str, expected: str) -> None:
    assert error_of(BASE + section) == expected


def test_node_image_errors() -> None:
    held = BASE.replace('memory_gb = 8\n', 'memory_gb = 8\nimages = ["win", "vista"]\n')
    assert error_of(held + IMAGES) == (
        't.toml:13: nodes[1].images[1]: unknown image or layer "vista" '
        "(known: win, sles, iis, exch)")
    twice = BASE.replace('memory_gb = 8\n', 'memory_gb = 8\nimages = ["iis", "iis"]\n')
    assert error_of(twice + IMAGES) == 't.toml:13: nodes[1].images[1]: "iis" is listed twice'
    none = BASE.replace('memory_gb = 8\n', 'memory_gb = 8\nimages = ["win"]\n')
    assert error_of(none) == (
        't.toml:13: nodes[1].images[0]: unknown image or layer "win" '
        "(no [[images]] or [[layers]] are defined)")


VM_IMAGE_ERRORS = [
    pytest.param(vm("v", guest=None),
                 "t.toml:37: vms[0].guest_os: required key is missing (a VM without an image "
                 "needs one)", id="no-guest-no-image"),
    pytest.param(vm("v", 'image = "nt4"', guest=None),
                 "t.toml:39: vms[0].image: unknown image or layer 'nt4' "
                 "(known: exch, iis, sles, win)", id="unknown"),
    pytest.param(vm("v", 'image = "iis"', guest=None),
                 "t.toml:39: vms[0].image: iis is a layer; an image spec starts with a base image",
                 id="layer-first"),
    pytest.param(vm("v", 'image = "win+sles"', guest=None),
                 "t.toml:39: vms[0].image: sles is a base image; only layers follow the base",
                 id="two-bases"),
    pytest.param(vm("v", 'image = "sles+iis"', guest=None),
                 "t.toml:39: vms[0].image: layer iis fits win, not sles", id="does-not-fit"),
    pytest.param(vm("v", 'image = "win++iis"', guest=None),
                 't.toml:39: vms[0].image: must be a base image, then layers, joined by "+"; '
                 "got 'win++iis'", id="empty-part"),
    pytest.param(vm("v", 'image = ""', guest=None),
                 't.toml:39: vms[0].image: must be a base image, then layers, joined by "+"; '
                 "got ''", id="empty"),
    pytest.param(vm("v", 'image = "win+iis+iis"', guest=None),
                 "t.toml:39: vms[0].image: iis is listed twice", id="twice"),
    pytest.param(vm("v", 'image = "win"', guest="windows2003"),
                 "t.toml:39: vms[0].guest_os: image win runs windows2008, not windows2003 "
                 "(leave guest_os out to take the base's)", id="guest-mismatch"),
    pytest.param(vm("v", 'image = "win+exch"', "memory_gb = 17", guest=None),
                 "t.toml:40: vms[0].memory_gb: v needs 17 GB, more than any host that runs "
                 "windows2008 can hold (at most 16 GB)", id="size-still-checked"),
]


@pytest.mark.parametrize(("vms", "expected"), VM_IMAGE_ERRORS)
def test_vm_image_errors(vms: str, expected: str) -> None:
    assert error_of(BASE + IMAGES + vms) == expected


def test_vm_image_without_any_images() -> None:
    assert error_of(BASE + vm("v", 'image = "win"', guest=None)) == (
        "t.toml:15: vms[0].image: unknown image or layer 'win' (known: none are defined)")


def test_image_defaults_feed_the_capacity_check() -> None:
    # Two Exchange VMs of 2 + 4 GB on B (8 GB): the second overloads it.
    text = (BASE + IMAGES + vm("e1", 'host = "B"', 'image = "win+exch"', guest=None)
            + vm("e2", 'host = "B"', 'image = "win+exch"', guest=None))
    assert error_of(text) == (
        "t.toml:43: vms[1].host: host B is over capacity at load: its running VMs need "
        "4 vCPUs / 12 GB, it has 64 vCPUs / 8 GB")


# -- [[rules]] ---------------------------------------------------------------------------------


def pair(*extra: str) -> str:
    """Two host-less VMs v and w (6 lines), then whatever follows."""
    return vm("v") + vm("w") + "".join(extra)


def test_rules_round_trip_and_must_anti_affinity_joins_the_sets() -> None:
    text = (BASE + pair()
            + rule('kind = "anti-affinity"', 'strength = "must"', 'vms = ["v", "w"]')
            + entry("rules", 'name = "r2"', 'kind = "affinity"', 'strength = "should"',
                    'vms = ["v", "w"]')
            + entry("rules", 'name = "r3"', 'kind = "vm-host"', 'strength = "should"',
                    'vms = ["v"]', 'hosts = ["B"]'))
    cluster = parse_cluster(text, "t.toml")
    assert cluster.rules == [
        Rule("r", "anti-affinity", "must", ("v", "w")),
        Rule("r2", "affinity", "should", ("v", "w")),
        Rule("r3", "vm-host", "should", ("v",), ("B",)),
    ]
    assert cluster.anti_affine["v"] == {"w"}
    assert cluster.vms["v"].host != cluster.vms["w"].host
    assert summarize(cluster).endswith(", 0 services, 3 rules")


@pytest.mark.parametrize(("rules", "hosts"), [
    # Without rules both go to A (most free memory).
    pytest.param("", {"v": "A", "w": "A"}, id="none"),
    pytest.param(rule('kind = "vm-host"', 'strength = "must"', 'vms = ["v", "w"]',
                      'hosts = ["B"]'), {"v": "B", "w": "B"}, id="vm-host"),
    pytest.param(rule('kind = "vm-not-host"', 'strength = "must"', 'vms = ["w"]',
                      'hosts = ["A"]'), {"v": "A", "w": "B"}, id="vm-not-host"),
    pytest.param(rule('kind = "anti-affinity"', 'strength = "must"', 'vms = ["w", "v"]'),
                 {"v": "A", "w": "B"}, id="anti-affinity"),
    # `should` rules are preferences placement keeps when it can (as vSphere's initial
    # placement and HA restart do): B has room, so both go there.
    pytest.param(rule('kind = "vm-host"', 'strength = "should"', 'vms = ["v", "w"]',
                      'hosts = ["B"]'), {"v": "B", "w": "B"}, id="should"),
])
def test_loader_placement_honours_must_rules(rules: str, hosts: dict[str, str]) -> None:
    cluster = parse_cluster(BASE + pair(rules), "t.toml")
    assert {name: v.host for name, v in cluster.vms.items()} == hosts
    assert cluster.pending == []
    assert {name: cluster.vm_hypervisor[name] for name in hosts} == {
        "v": "xenserver", "w": "xenserver"}


def test_a_must_rule_no_host_satisfies_is_a_placement_error() -> None:
    text = BASE + pair(rule('kind = "vm-not-host"', 'strength = "must"', 'vms = ["w"]',
                            'hosts = ["A", "B"]'))
    assert error_of(text) == "t.toml:16: vms[1]: no host can take w: rule r: w must not run on A"


RULE_ERRORS = [
    # values and shape (BASE + pair() is 18 lines: a rule starts on line 19, its kind on 21)
    pytest.param(rule('kind = "near"', 'strength = "must"', 'vms = ["v"]'),
                 't.toml:21: rules[0].kind: must be one of affinity, anti-affinity, vm-host, '
                 'vm-not-host; got "near"', id="kind"),
    pytest.param(rule('kind = "affinity"', 'strength = "always"', 'vms = ["v", "w"]'),
                 't.toml:22: rules[0].strength: must be one of must, should; got "always"',
                 id="strength"),
    pytest.param(rule('kind = "affinity"', 'vms = ["v", "w"]'),
                 "t.toml:19: rules[0].strength: required key is missing", id="no-strength"),
    pytest.param(rule('kind = "affinity"', 'strength = "should"', 'vms = ["v"]'),
                 "t.toml:23: rules[0].vms: an affinity rule needs at least two VMs, got 1",
                 id="affinity-one"),
    pytest.param(rule('kind = "anti-affinity"', 'strength = "must"', 'vms = ["v"]'),
                 "t.toml:23: rules[0].vms: an anti-affinity rule needs at least two VMs, got 1",
                 id="anti-affinity-one"),
    pytest.param(rule('kind = "vm-host"', 'strength = "must"', "vms = []", 'hosts = ["A"]'),
                 "t.toml:23: rules[0].vms: a vm-host rule needs at least one VM, got 0",
                 id="vm-host-none"),
    pytest.param(rule('kind = "vm-host"', 'strength = "must"', 'vms = ["v"]'),
                 "t.toml:19: rules[0].hosts: required for a vm-host rule", id="hosts-missing"),
    pytest.param(rule('kind = "vm-not-host"', 'strength = "must"', 'vms = ["v"]', "hosts = []"),
                 "t.toml:24: rules[0].hosts: a vm-not-host rule needs at least one host, got 0",
                 id="hosts-empty"),
    pytest.param(rule('kind = "anti-affinity"', 'strength = "must"', 'vms = ["v", "w"]',
                      'hosts = ["A"]'),
                 "t.toml:24: rules[0].hosts: only for vm-host and vm-not-host rules, not "
                 "anti-affinity", id="hosts-not-allowed"),
    pytest.param(rule('kind = "affinity"', 'strength = "should"', 'vms = ["v", "w"]',
                      "weight = 2"),
                 "t.toml:24: rules[0].weight: unknown key (known: name, kind, strength, vms, "
                 "hosts)", id="unknown-key"),
    pytest.param(rule('kind = "affinity"', 'strength = "should"', 'vms = ["v", "w"]')
                 + rule('kind = "affinity"', 'strength = "should"', 'vms = ["v", "w"]'),
                 't.toml:25: rules[1].name: duplicate name "r" (already used by rules[0])',
                 id="duplicate"),
    # names
    pytest.param(rule('kind = "anti-affinity"', 'strength = "must"', 'vms = ["v", "x"]'),
                 't.toml:23: rules[0].vms[1]: unknown VM "x"', id="unknown-vm"),
    pytest.param(rule('kind = "anti-affinity"', 'strength = "must"', 'vms = ["v", "v"]'),
                 't.toml:23: rules[0].vms[1]: "v" is listed twice', id="vm-twice"),
    pytest.param(rule('kind = "vm-host"', 'strength = "must"', 'vms = ["v"]', 'hosts = ["C"]'),
                 't.toml:24: rules[0].hosts[0]: unknown node "C" (nodes: A, B)',
                 id="unknown-host"),
    pytest.param(rule('kind = "vm-host"', 'strength = "must"', 'vms = ["v"]',
                      'hosts = ["A", "A"]'),
                 't.toml:24: rules[0].hosts[1]: "A" is listed twice', id="host-twice"),
]


@pytest.mark.parametrize(("rules", "expected"), RULE_ERRORS)
def test_rule_errors(rules: str, expected: str) -> None:
    assert error_of(BASE + pair(rules)) == expected


def pinned(*extra: str) -> str:
    """v on A, w on A (8 lines), then the rules: a rule's `vms` is on line 25."""
    return BASE + vm("v", 'host = "A"') + vm("w", 'host = "A"') + "".join(extra)


@pytest.mark.parametrize(("rules", "expected"), [
    pytest.param(rule('kind = "vm-host"', 'strength = "must"', 'vms = ["v", "w"]',
                      'hosts = ["B"]'),
                 ("v", "rule r (must vm-host) is broken: v runs on A, w runs on A; it must run "
                       "on B"), id="vm-host"),
    pytest.param(rule('kind = "vm-not-host"', 'strength = "must"', 'vms = ["w"]',
                      'hosts = ["B", "A"]'),
                 ("w", "rule r (must vm-not-host) is broken: w runs on A; it must not run on "
                       "B, A"), id="vm-not-host"),
    pytest.param(rule('kind = "anti-affinity"', 'strength = "must"', 'vms = ["w", "v"]'),
                 ("w", "rule r (must anti-affinity) is broken: w and v run together on A"),
                 id="anti-affinity"),
])
def test_a_given_host_may_break_a_must_rule_which_the_run_reports(
        rules: str, expected: tuple[str, str]) -> None:
    """A starting situation to repair, not an error: one warning event per rule at time 0."""
    cluster = parse_cluster(pinned(rules), "t.toml")
    assert (cluster.vms["v"].host, cluster.vms["w"].host) == ("A", "A")
    broken = [(e.subject, e.message) for e in Engine(cluster).log.events
              if e.kind == "rule_broken"]
    assert broken == [(expected[0], f"at start, {expected[1]}")]


def test_a_given_host_may_break_a_should_rule() -> None:
    text = pinned(rule('kind = "anti-affinity"', 'strength = "should"', 'vms = ["w", "v"]'),
                  entry("rules", 'name = "r2"', 'kind = "vm-host"', 'strength = "should"',
                        'vms = ["v"]', 'hosts = ["B"]'))
    cluster = parse_cluster(text, "t.toml")
    assert (cluster.vms["v"].host, cluster.vms["w"].host) == ("A", "A")


def test_rules_may_come_before_the_vms_they_name() -> None:
    text = (BASE + rule('kind = "vm-host"', 'strength = "must"', 'vms = ["v"]', 'hosts = ["B"]')
            + vm("v"))
    assert parse_cluster(text, "t.toml").vms["v"].host == "B"


# -- the samples -------------------------------------------------------------------------------


def test_xenserver_sample() -> None:
    cluster = load_cluster(SAMPLES / "xenserver.toml")
    assert summarize(cluster) == (
        "cluster 'xenserver' (HA profile vsphere): "
        "4 nodes (xenserver), 12 VMs (12 running), 2 services, "
        "3 base images + 4 layers, 4 rules")
    assert {n.hypervisor for n in cluster.nodes.values()} == {"xenserver"}
    assert [(i.name, i.kind, i.size_gb) for i in cluster.images.values()] == [
        ("win2008", "base", 20), ("win2003", "base", 12), ("sles11", "base", 8),
        ("exchange2007", "layer", 4), ("iis7", "layer", 1), ("sql2005", "layer", 3),
        ("apache", "layer", 0.5)]
    assert cluster.images["win2008"].label == "Windows Server 2008 Standard"
    assert all(v.image for v in cluster.vms.values())
    # Each host holds the parts of the VMs it runs.
    for vm_ in cluster.vms.values():
        assert set(vm_.image) <= set(cluster.nodes[vm_.host].images), vm_.name
    assert not any("iis7" in n.images for n in cluster.nodes.values())
    exch = cluster.vms["exch01"]
    assert (exch.guest_os, exch.vcpus, exch.memory_gb) == ("windows2008", 2, 6)
    assert cluster.services["exchange"].members == ("exch01", "exch02")
    assert cluster.services["sql"].members == ("sql01", "sql02")


def test_xenserver_deploy_streams_the_missing_layer() -> None:
    engine = Engine(load_cluster(SAMPLES / "xenserver.toml"), 0)
    engine.submit_at(10, parse("deploy web09 win2008+iis7"))
    engine.run_until(120)
    kinds = [(e.kind, e.subject) for e in engine.log.events]
    assert ("image_streaming", "xs01") in kinds
    assert ("vm_deployed", "web09") in kinds
    web09 = engine.cluster.vms["web09"]
    assert (web09.state, web09.host, web09.image) == (VmState.RUNNING, "xs01",
                                                      ("win2008", "iis7"))
    assert engine.cluster.nodes["xs01"].images["iis7"] == 1


def test_planetlab_sample() -> None:
    cluster = load_cluster(SAMPLES / "planetlab.toml")
    assert summarize(cluster) == (
        "cluster 'planetlab' (HA profile pve): "
        "10 nodes (kvm), 100 VMs (100 running), 0 services, 100 traces")
    nodes = list(cluster.nodes.values())
    assert all((n.hypervisor, n.cores, n.memory_gb) == ("kvm", 8, 32) for n in nodes)
    assert cluster.settings.balancer.automation == "full"
    assert cluster.settings.balancer.threshold == 3
    names = sorted(cluster.traces)
    assert len(names) == 100 and not any(" " in name for name in names)
    assert all(len(values) == 288 for values in cluster.traces.values())
    traces = [v.workload.trace for v in cluster.vms.values()]
    assert traces == names  # one each, in file-name order: deterministic
    assert all(v.workload.profile == "trace" and 1 <= v.vcpus <= 2
               for v in cluster.vms.values())
    assert all(v.host is not None for v in cluster.vms.values()) and cluster.pending == []
