"""A paused domain uses no CPU in the readings, though libvirt's test driver keeps counting
its CPU time: its own figure and its host's sum say 0 (the model's views say so too)."""

from __future__ import annotations

from libvirt_support import needs_libvirt


@needs_libvirt
def test_a_paused_domain_reads_no_cpu_and_its_host_sums_none() -> None:
    import libvirt

    from console.sources.libvirt_discovery import host_facts
    from console.sources.libvirt_stats import StatsSampler

    conn = libvirt.open("test:///default")
    try:
        conn.lookupByName("test").suspend()
        sampler = StatsSampler(host_facts(conn, "test:///default"))
        assert sampler.sample(conn) is None  # the first reading: nothing to compare with
        found = None
        while found is None or not found[1]:  # the clock moves between two readings; the
            found = sampler.sample(conn)     # first one by one is the one rates start from
        host, domains = found
        assert [(d.name, d.cpu) for d in domains] == [("test", 0.0)]
        assert host.cpu == 0.0
    finally:
        conn.close()
