"""Big libvirt hosts within a budget: stats read in rotating slices (at most the pool's domain
readings a second, each active domain once a period), handed over as one observation a pass,
the period said to the operator; discovery asks in bulk what a call per domain used to.

The passes are driven directly (`LibvirtPool.read_stats`, `StatsSampler.sample`): no watcher
thread, no sleeps."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from libvirt_support import generated_host, needs_libvirt

from console.sources.libvirt_client import (
    DOMAIN_READINGS_PER_S,
    DomainStats,
    HostStats,
    LibvirtPool,
    Readings,
    stats_passes,
)

#: Every 20th domain of a generated host is shut off: not read.
STOPPED_EVERY = 20


def active_names(domains: int) -> set[str]:
    return {f"vm-{n:04d}" for n in range(1, domains + 1) if n % STOPPED_EVERY}


@pytest.mark.parametrize("active", [0, 1, 199, 200, 201, 2_000, 20_000, 100_000])
def test_readings_a_second_stay_in_budget_as_domains_grow(active: int) -> None:
    for interval in (0.5, 1.0, 2.0):
        passes = stats_passes(active, DOMAIN_READINGS_PER_S, interval)
        per_pass = math.ceil(active / passes)
        assert per_pass / interval <= DOMAIN_READINGS_PER_S
        # no slower than the budget needs: one pass fewer would break it
        assert passes == 1 or math.ceil(active / (passes - 1)) / interval > DOMAIN_READINGS_PER_S


@needs_libvirt
def test_a_pool_reads_every_active_domain_once_a_period_within_its_budget(
        tmp_path: Path) -> None:
    """Two hosts (190 + 95 active domains) on a budget of 100 readings a second: 3 passes a
    rotation, at most 100 domains read a pass over both, each domain once a rotation."""
    sizes = {"big": 200, "small": 100}
    uris = [generated_host(tmp_path / name, name, count)
            for name, count in sizes.items() if (tmp_path / name).mkdir() is None]
    pool = LibvirtPool(uris, domain_readings_per_s=100)
    pool.open()
    try:
        assert [pool.read_stats(name) for name in sizes] == [None, None]
        assert pool.stats_passes() == 3 and pool.stats_period_s == 3.0
        for _pass in range(3):  # the test driver reports no figures in bulk: one by one, a
            for name in sizes:  # first rotation of readings to take rates from
                readings = pool.read_stats(name)
                assert readings is not None and readings.domains == ()
                assert readings.figures is None  # the host's sums wait for every domain
        for _rotation in range(2):
            read: dict[str, list[str]] = {name: [] for name in sizes}
            for _pass in range(3):
                counted = 0
                for name in sizes:
                    readings = pool.read_stats(name)
                    assert isinstance(readings, Readings)
                    assert (readings.period_s, readings.active) == (
                        3.0, len(active_names(sizes[name])))
                    assert readings.host == name
                    read[name] += [d.name for d in readings.domains]
                    counted += len(readings.domains)
                assert counted <= 100
            for name, count in sizes.items():
                assert sorted(read[name]) == sorted(active_names(count))  # each once
    finally:
        pool.stop()


@needs_libvirt
def test_a_small_pool_reads_every_domain_every_pass(tmp_path: Path) -> None:
    pool = LibvirtPool([generated_host(tmp_path, "few", 40)])
    pool.open()
    try:
        assert pool.read_stats("few") is None
        first = pool.read_stats("few")  # the first readings one by one: no rates yet
        assert first is not None and first.domains == ()
        readings = pool.read_stats("few")
        assert readings is not None and readings.period_s == pool.stats_interval_s == 1.0
        assert {d.name for d in readings.domains} == active_names(40)
    finally:
        pool.stop()


@needs_libvirt
def test_a_domain_stopped_within_a_rotation_is_dropped_not_read(tmp_path: Path) -> None:
    import libvirt

    from console.sources.libvirt_discovery import host_facts
    from console.sources.libvirt_stats import StatsSampler

    uri = generated_host(tmp_path, "h", 60)
    conn = libvirt.open(uri)
    try:
        sampler = StatsSampler(host_facts(conn, uri))
        assert sampler.sample(conn, 3) is None
        for _pass in range(3):  # a rotation of 3 slices of 19, each domain's first reading
            baseline = sampler.sample(conn, 3)
            assert baseline is not None and baseline[1] == []
        first = sampler.sample(conn, 3)
        assert first is not None and [d.name for d in first[1]] == sorted(active_names(60))[:19]
        conn.lookupByName("vm-0025").destroy()  # in the next slice
        second = sampler.sample(conn, 3)
        assert second is not None
        assert [d.name for d in second[1]] == [
            name for name in sorted(active_names(60))[19:38] if name != "vm-0025"]
        third = sampler.sample(conn, 3)
        assert third is not None and len(third[1]) == 19
        assert third[0] is None  # the host's sums wait for every domain listed to be read
        assert sampler.active == 57
        fourth = sampler.sample(conn, 3)  # a new rotation: listed again, without vm-0025
        assert sampler.active == 56 and fourth is not None and fourth[0] is not None
        held = sum(domain.info()[2] for domain in conn.listAllDomains(1))
        assert fourth[0].memory == pytest.approx(held / (sampler.host.memory_mb * 1024))
        assert fourth[0].cpu == pytest.approx(sum(  # the test driver: a core a running domain
            1 for n in range(1, 61) if n % STOPPED_EVERY and n % 50 and n != 25) / 256, abs=1e-3)
    finally:
        conn.close()


@needs_libvirt
def test_a_bulk_reading_gives_the_figures_of_one_read_at_a_time(tmp_path: Path) -> None:
    """Where the driver reports figures in bulk (QEMU does; the test driver only states), the
    sampler takes them from the bulk record: the same figures as the calls per domain."""
    import libvirt

    from console.sources.libvirt_discovery import host_facts
    from console.sources.libvirt_stats import StatsSampler

    uri = generated_host(tmp_path, "h", 5)
    conn = libvirt.open(uri)
    try:
        sampler = StatsSampler(host_facts(conn, uri))
        domain = conn.lookupByName("vm-0001")
        one = sampler._one_by_one("vm-0001", domain)
        assert one is not None
        info = domain.info()
        _rd_req, rd, _wr_req, wr, _errs = domain.blockStats("vda")
        record = {"state.state": info[0], "cpu.time": one.cpu_ns, "vcpu.current": info[3],
                  "balloon.current": info[2], "balloon.rss": info[2] // 4, "block.count": 2,
                  "block.0.name": "vda", "block.0.rd.bytes": rd, "block.0.wr.bytes": wr,
                  "block.1.name": "hdc", "block.1.rd.bytes": 7}  # a CD-ROM: counted too
        one = dataclasses.replace(one, memory=0.25)  # the guest's share of its memory
        bulk = sampler._from_bulk(record, one.at)
        assert bulk is not None
        assert dataclasses.replace(bulk, disk_bytes=one.disk_bytes) == one
        assert bulk.disk_bytes == rd + wr + 7
        with pytest.raises(KeyError):  # no CPU time in it: read one call at a time
            sampler._from_bulk({"state.state": 1}, one.at)
    finally:
        conn.close()


@needs_libvirt
def test_discovery_in_bulk_finds_what_a_call_per_domain_found(tmp_path: Path) -> None:
    """States, sizes and persistence asked in bulk and from the definitions: the same facts as
    each domain's own calls, for a transient domain and one of fewer vCPUs than its maximum."""
    import libvirt

    from console.sources.libvirt_discovery import discover, domain_facts

    conn = libvirt.open(generated_host(tmp_path, "h", 30))
    try:
        xml = conn.lookupByName("vm-0001").XMLDesc(2).replace(
            "<name>vm-0001</name>", "<name>extra</name>").replace(
            "000000000001</uuid>", "000000009999</uuid>").replace(
            "<vcpu placement='static'>2</vcpu>", "<vcpu placement='static' current='1'>2</vcpu>")
        assert "current='1'" in xml
        conn.createXML(xml, 0)  # transient, running
        conn.lookupByName("vm-0003").suspend()
        one_by_one = []
        for domain in conn.listAllDomains(0):
            _state, max_kib, _kib, vcpus, _cpu = domain.info()
            facts = domain_facts(conn, domain)
            assert facts.vcpus == vcpus and facts.memory_mb == max_kib // 1024
            one_by_one.append(dataclasses.replace(facts, persistent=bool(domain.isPersistent())))
        found = discover(conn)
        assert found == sorted(one_by_one, key=lambda f: f.name)
        extra = next(f for f in found if f.name == "extra")
        assert (extra.persistent, extra.vcpus, extra.state) == (False, 1, "running")
        assert next(f for f in found if f.name == "vm-0003").state == "paused"
    finally:
        conn.close()


@needs_libvirt
def test_a_pass_becomes_the_readings_that_moved_and_says_its_period(tmp_path: Path) -> None:
    from console.model.engine import Engine
    from console.session import Session
    from console.sources.libvirt import LibvirtSource

    uri = generated_host(tmp_path, "big", 60)
    source = LibvirtSource([uri], pool=LibvirtPool([uri], domain_readings_per_s=20))
    session = Session(Engine(source.build(), 0))
    source.start(session, lambda job: None)
    try:
        figures = (DomainStats("big", "vm-0001", 0.5, 0.1, 0.0),
                   DomainStats("big", "vm-0002", 0.25, 0.0, 0.0))
        readings = Readings("big", HostStats("big", 0.2, 0.3, 0.0), figures, 3.0, 57)
        assert [c.text() for c in source.commands_for(readings)] == [
            "reading big 0.2 0.3 0", "vm-reading vm-0001 0.5 0.1 0",
            "vm-reading vm-0002 0.25 0 0"]
        assert source.commands_for(readings) == []  # nothing moved
        assert session.readings["big"] == ("host every 1 s, its 57 active VMs in turn, each "
                                           "every 3 s (a VM's figures are as old as that)")
        source.commands_for(dataclasses.replace(readings, period_s=1.0, active=1))
        assert session.readings["big"] == "host every 1 s, its 1 active VM every 1 s"
    finally:
        source.stop()


def test_a_real_hosts_details_say_how_its_figures_are_read(seed_engine) -> None:
    from console.ui.details import node_details

    said = "host every 1 s, its 3 active VMs every 1 s"
    assert f"readings       {said}" in node_details(seed_engine, "A", readings=said)
    assert not any(line.startswith("readings") for line in node_details(seed_engine, "A"))


@needs_libvirt
def test_a_vm_not_read_yet_shows_no_figure_until_its_first_reading(tmp_path: Path) -> None:
    """A big host's VMs are read in turn: until its first reading a running VM's CPU is not
    known (`-`), not 0 %; a paused one uses none; a reading gives the figure."""
    from console.model import views
    from console.model.engine import Engine
    from console.session import Session
    from console.sources.libvirt import LibvirtSource
    from console.ui.details import vm_details

    uri = generated_host(tmp_path, "big", 60)
    source = LibvirtSource([uri], pool=LibvirtPool([uri]))
    engine = Engine(source.build(), 0)
    session = Session(engine)
    source.start(session, lambda job: None)
    try:
        vms = engine.cluster.vms
        assert views.vm_cpu(engine, vms["vm-0001"]) is None
        assert views.vm_demand(engine, vms["vm-0001"]) is None
        assert views.vm_cpu(engine, vms["vm-0050"]) == 0.0  # paused: no CPU, known
        assert views.vm_cpu(engine, vms["vm-0020"]) == 0.0  # shut off
        assert any("not read yet" in line for line in vm_details(engine, "vm-0001"))
        source.observe(Readings("big", HostStats("big", 0.2, 0.3, 0.0),
                                (DomainStats("big", "vm-0001", 0.0, 0.0, 0.0),), 3.0, 57))
        assert views.vm_cpu(engine, vms["vm-0001"]) == 0.0  # read: idle
        assert views.vm_cpu(engine, vms["vm-0002"]) is None
        everything = views.vm_cpu_all(engine)
        assert everything == {name: views.vm_cpu(engine, vm) for name, vm in vms.items()}
    finally:
        source.stop()


class _Bulky:
    """A test-driver connection whose bulk stats report what QEMU's do (CPU time, vCPUs,
    balloon, block devices) for guests half busy, half their memory used, reading and
    writing 4 MB/s, on the clock `now` (seconds); counts the bulk calls."""

    def __init__(self, conn) -> None:
        self._conn = conn
        self.now = 100.0
        self.bulk_calls = 0

    def __call__(self) -> float:
        return self.now

    def __getattr__(self, name: str):
        return getattr(self._conn, name)

    def domainListGetStats(self, domains, stats: int, flags: int):
        self.bulk_calls += 1
        records = []
        for domain in domains:
            state, _max_kib, held_kib, vcpus, _cpu_ns = domain.info()
            records.append((domain, {
                "state.state": state, "cpu.time": int(self.now * 1e9 * vcpus / 2),
                "vcpu.current": vcpus, "balloon.current": held_kib,
                "balloon.available": held_kib, "balloon.unused": held_kib // 2,
                "block.count": 1, "block.0.name": "vda",
                "block.0.rd.bytes": int(self.now * 2e6), "block.0.wr.bytes": int(self.now * 2e6)}))
        return records


@needs_libvirt
def test_where_the_driver_reports_in_bulk_a_slice_is_one_call(tmp_path: Path) -> None:
    """With bulk figures a pass makes one call for its slice, and the first pass reads every
    domain in it, so figures come from the first rotation on: rates over each domain's own
    time since its last reading."""
    import libvirt

    from console.sources.libvirt_discovery import host_facts
    from console.sources.libvirt_stats import StatsSampler

    uri = generated_host(tmp_path, "h", 60)
    conn = libvirt.open(uri)
    try:
        bulky = _Bulky(conn)
        sampler = StatsSampler(host_facts(conn, uri), clock=bulky)
        assert sampler.sample(bulky, 3) is None and bulky.bulk_calls == 1
        for slice_ in range(3):
            bulky.now += 1.0
            found = sampler.sample(bulky, 3)
            assert found is not None and bulky.bulk_calls == 2 + slice_
            paused = {f"vm-{n:04d}" for n in range(50, 61, 50)}
            assert [(d.name, d.cpu, d.memory, d.disk) for d in found[1]] == [
                (name, 0.0 if name in paused else 0.5, 0.5, 0.01)
                for name in sorted(active_names(60))[19 * slice_:19 * (slice_ + 1)]]
    finally:
        conn.close()


class _ReportsBlocks:
    """A test-driver connection whose bulk stats report running domains' block devices
    (target, capacity) as QEMU's do; counts the storage volume lookups made on it."""

    def __init__(self, conn) -> None:
        self._conn = conn
        self.volume_lookups = 0

    def __getattr__(self, name: str):
        return getattr(self._conn, name)

    def storageVolLookupByPath(self, path: str):
        self.volume_lookups += 1
        return self._conn.storageVolLookupByPath(path)

    def getAllDomainStats(self, stats: int, flags: int):
        records = []
        for domain, record in self._conn.getAllDomainStats(stats, flags):
            if domain.isActive():
                path = f"/srv/vmstore/{domain.name()}.qcow2"
                capacity = self._conn.storageVolLookupByPath(path).info()[1]
                record = {**record, "block.count": 1, "block.0.name": "vda",
                          "block.0.capacity": capacity}
            records.append((domain, record))
        return records


@needs_libvirt
def test_discovery_takes_running_disks_sizes_from_the_bulk_call(tmp_path: Path) -> None:
    import libvirt

    from console.sources.libvirt_discovery import discover

    conn = libvirt.open(generated_host(tmp_path, "h", 40))
    try:
        blocks = _ReportsBlocks(conn)
        assert discover(blocks) == discover(conn)
        assert blocks.volume_lookups == 40 - len(active_names(40))  # the shut-off ones only
    finally:
        conn.close()
