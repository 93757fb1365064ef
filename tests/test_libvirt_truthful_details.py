"""A real host's details claim only what its connection tells: disks and NICs it does not
report are written empty in the observed cluster file (never the model's defaults) and read
"not known"; the vCPU capacity is whole vCPUs, with the cores and overcommit ratio it comes
from; an export (a simulated copy) still gets the hardware a simulation needs."""

from __future__ import annotations

from pathlib import Path

from libvirt_support import generated_host, needs_libvirt

from console.formats.cluster import parse_cluster
from console.model.engine import Engine
from console.sources.libvirt_cluster import name_everything, observed_cluster_text
from console.sources.libvirt_facts import DomainFacts, HostFacts
from console.ui import details


def host(name: str, *, disks: tuple[float, ...] = (), nics: tuple[float, ...] = ()) -> HostFacts:
    return HostFacts(uri=f"test:///{name}.xml", name=name, hypervisor="kvm", driver="Test",
                     sockets=4, cores_per_socket=64, mhz=2600, memory_mb=8 * 2**20,
                     nics_gbps=nics, disks_gb=disks)


def domains(count: int) -> list[DomainFacts]:
    """`count` running domains of 1, 2 or 4 vCPUs (as bench/libvirt_hosts.py makes them)."""
    return [DomainFacts(name=f"vm-{n:04d}", uuid=f"5c0e7a1e-0000-4000-8000-{n:012d}",
                        state="running", reason="booted", vcpus=(1, 2, 4)[n % 3],
                        memory_mb=1024, disk_gb=20.0, persistent=True)
            for n in range(1, count + 1)]


def engine_of(found: list[tuple[HostFacts, list[DomainFacts]]]) -> tuple[Engine, str]:
    text = observed_cluster_text(found, name_everything(found), title="test")
    return Engine(parse_cluster(text, "observed.toml"), 0), text


def line(engine: Engine, node: str, label: str) -> str:
    return next(x for x in details.node_details(engine, node) if x.startswith(label))


def test_disks_and_nics_a_host_does_not_report_are_not_known_not_the_defaults() -> None:
    engine, text = engine_of([(host("bare"), domains(3))])
    assert "disks_gb = []" in text and "nics_gbps = []" in text
    node = engine.cluster.nodes["bare"]
    assert node.disks_gb == () and node.nics_gbps == ()
    assert line(engine, "bare", "disks") == f"disks          {details.NOT_REPORTED}"
    assert line(engine, "bare", "NICs") == f"NICs           {details.NOT_REPORTED}"


def test_reported_disks_and_nics_are_shown_without_an_invented_throughput() -> None:
    engine, _text = engine_of([(host("full", disks=(480.0, 480.0), nics=(10.0, 25.0)),
                                domains(3))])
    assert line(engine, "full", "disks") == "disks          2 x 480 GB = 960 GB"
    assert line(engine, "full", "NICs") == "NICs           10 Gb, 25 Gb"


def test_the_vcpu_capacity_is_whole_vcpus_with_its_cores_and_ratio() -> None:
    # more vCPUs than 256 cores x 4: the ratio is raised to the next tenth (20.3), and
    # cores x ratio is a fraction of a vCPU (5196.8)
    engine, _text = engine_of([(host("big"), domains(2217))])
    ratio = engine.cluster.settings.ha.cpu_overcommit
    assert ratio == 20.3 and (256 * ratio) % 1 > 0.5
    used = engine.cluster.nodes["big"].used_vcpus
    assert line(engine, "big", "CPU ").endswith(
        f"256 cores; {used} vCPUs allocated of 5196 (256 cores x 20.3 overcommit)")


def test_a_simulated_cluster_still_needs_its_disks_and_nics(tmp_path) -> None:
    from console.errors import InputError
    from console.formats.toml import ConfigError

    _engine, text = engine_of([(host("bare"), domains(1))])
    simulated = text.replace('truth = "observed"\n', "")
    try:
        parse_cluster(simulated, "sim.toml")
    except (ConfigError, InputError) as error:
        assert "nodes[0].disks_gb: must be a non-empty array, got []" in str(error)
    else:
        raise AssertionError("a simulated host without disks was taken")


@needs_libvirt
def test_an_export_of_a_host_that_reports_no_hardware_loads_as_a_simulated_cluster(
        tmp_path: Path) -> None:
    from console.sources.libvirt import LibvirtSource

    uri = generated_host(tmp_path, "bare", 3)
    source = LibvirtSource([uri], allow_actions=False)
    try:
        assert source.build().nodes["bare"].disks_gb == ()
        text = source.export_text()
    finally:
        source.stop()
    assert 'truth = "observed"' not in text
    node = parse_cluster(text, "exported.toml").nodes["bare"]
    assert node.disks_gb and node.nics_gbps  # the model's defaults, said in the header
    assert "host does not report: the model's defaults" in text
