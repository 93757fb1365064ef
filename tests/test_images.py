"""Image streaming: deploys stream only what a host lacks; stale images after a new version."""

from __future__ import annotations

import pytest
from cluster_helpers import events, make_engine, run_checked

from console.model.commands import parse
from console.model.entities import Image, VmState
from console.model.images import ImageError, resolve


@pytest.fixture
def engine():
    engine = make_engine()
    images = engine.cluster.images
    images["win2008"] = Image("win2008", "base", 20, "Windows Server 2008", guest_os="windows2008",
                              vcpus=2, memory_gb=1)
    images["exchange2007"] = Image("exchange2007", "layer", 4, memory_gb=1, bases=("win2008",))
    images["sles11"] = Image("sles11", "base", 8, guest_os="suse", vcpus=1, memory_gb=1)
    engine.cluster.settings.ha.admission_control = False
    return engine


def test_deploy_streams_only_missing_parts_and_boots(engine):
    node_c = engine.cluster.nodes["C"]
    node_c.images["win2008"] = 1
    assert engine.submit(parse("deploy mail09 win2008+exchange2007 on C")).accepted
    streams = events(engine, "image_streaming")
    assert [e.message.split()[1] for e in streams] == ["exchange2007"]
    vm = engine.cluster.vms["mail09"]
    assert vm.state is VmState.DEPLOYING and vm.memory_gb == 2 and vm.guest_os == "windows2008"
    run_checked(engine, 120)
    assert vm.state is VmState.RUNNING and vm.host == "C"
    assert node_c.images == {"win2008": 1, "exchange2007": 1}


def test_second_deploy_on_the_same_host_streams_nothing_and_sharing_saves_storage(engine):
    run_checked(engine, 600, {1: "deploy mail09 win2008+exchange2007 on C",
                              300: "deploy mail10 win2008+exchange2007 on C"})
    assert len(events(engine, "image_streaming")) == 2  # base and layer, once
    assert engine.images.saved_gb() == pytest.approx(24)


def test_new_base_version_marks_vms_stale_until_their_next_restart(engine):
    run_checked(engine, 300, {1: "deploy mail09 win2008+exchange2007 on C"})
    assert engine.submit(parse("publish-image win2008")).accepted
    vm = engine.cluster.vms["mail09"]
    assert vm.stale_image
    run_checked(engine, 700, {310: "fail-node C"})
    assert not vm.stale_image and vm.state is VmState.RUNNING
    assert engine.cluster.nodes[vm.host].images["win2008"] == 2


@pytest.mark.parametrize("line, reason", [
    ("deploy web01 win2008", "the name web01 is taken"),
    ("deploy x nope", "unknown image or layer 'nope'"),
    ("deploy x exchange2007", "exchange2007 is a layer"),
    ("deploy x sles11+exchange2007", "fits win2008, not sles11"),
    ("deploy x win2008 on Z", "no node named Z"),
    ("publish-image exchange2007", "is a layer"),
])
def test_deploy_refusals(engine, line, reason):
    outcome = engine.submit(parse(line))
    assert not outcome.accepted and reason in outcome.reason


def test_resolve_rejects_a_spec_starting_with_a_layer():
    images = {"l": Image("l", "layer", 1)}
    with pytest.raises(ImageError):
        resolve(images, "l")


def test_streams_to_one_host_share_its_link(engine):
    assert engine.submit(parse("deploy mail09 win2008+exchange2007 on C")).accepted
    base, layer = events(engine, "image_streaming")
    link_mb_s = engine.cluster.nodes["C"].link_gbps * 1000 / 8
    assert base.message.endswith(f"ready in {20 * 1024 / link_mb_s:.0f} s")
    assert layer.message.endswith(f"ready in {24 * 1024 / link_mb_s:.0f} s")  # after the base
