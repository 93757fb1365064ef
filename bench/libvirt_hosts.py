"""Big hosts in libvirt's test-driver format, generated: what the libvirt benchmarks (and the
tests of the stats budget) connect to as `test:///ABS/PATH.xml`.

    host_xml(2000)   # a host of 2,000 domains: most running, some paused, some shut off

The same arguments give the same text (names, UUIDs, sizes and states follow the domain's
number), so a benchmark's host is the same from run to run. Each domain has one disk, a volume
of the host's "vmstore" pool (as the shipped sample hosts have), and the host is large enough
for all of them (the model takes what a real host reports, overcommitted or not).
"""

from __future__ import annotations

#: Every STOPPED_EVERY-th domain is shut off, every PAUSED_EVERY-th (of the rest) paused.
STOPPED_EVERY, PAUSED_EVERY = 20, 50

_DOMAIN = """  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>{name}</name>
    <uuid>5c0e7a1e-0000-4000-8000-{number:012d}</uuid>
    <memory unit='MiB'>{memory}</memory>
    <currentMemory unit='MiB'>{memory}</currentMemory>
    <vcpu>{vcpus}</vcpu>
    <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
    <devices>
      <disk type='file' device='disk'>
        <driver name='qemu' type='qcow2'/>
        <source file='/srv/vmstore/{name}.qcow2'/>
        <target dev='vda' bus='virtio'/>
      </disk>
    </devices>
    <test:runstate>{state}</test:runstate>
  </domain>
"""
_VOLUME = """    <volume type='file'>
      <name>{name}.qcow2</name>
      <capacity unit='GiB'>{disk}</capacity>
      <allocation unit='GiB'>{disk}</allocation>
      <target><path>/srv/vmstore/{name}.qcow2</path><format type='qcow2'/></target>
    </volume>
"""


def domain_name(number: int) -> str:
    """The name of domain `number` (1-based) of a generated host: `vm-0001`, ..."""
    return f"vm-{number:04d}"


def domain_state(number: int) -> int:
    """The test driver's runstate of domain `number`: 5 (shut off), 3 (paused) or 1."""
    if number % STOPPED_EVERY == 0:
        return 5
    return 3 if number % PAUSED_EVERY == 0 else 1


def host_xml(domains: int) -> str:
    """A host (4 sockets of 64 cores, 8 TiB) with `domains` domains `vm-0001`... of 1, 2 or 4
    vCPUs and 1-4 GiB, one 20-80 GiB disk each; see the module's docstring."""
    parts = ["<node>\n  <cpu><mhz>2600</mhz><model>x86_64</model><nodes>1</nodes>"
             "<sockets>4</sockets><cores>64</cores><threads>1</threads><active>256</active>"
             "</cpu>\n  <memory>8589934592</memory>\n"]
    for number in range(1, domains + 1):
        parts.append(_DOMAIN.format(name=domain_name(number), number=number,
                                    memory=1024 * (1 + number % 4), vcpus=(1, 2, 4)[number % 3],
                                    state=domain_state(number)))
    parts.append("  <pool type='dir'>\n    <name>vmstore</name>\n"
                 "    <uuid>5c0e7a1e-1111-4000-8000-000000000001</uuid>\n"
                 "    <capacity unit='TiB'>200</capacity>\n    <allocation unit='TiB'>100"
                 "</allocation>\n    <available unit='TiB'>100</available>\n"
                 "    <target><path>/srv/vmstore</path></target>\n")
    for number in range(1, domains + 1):
        parts.append(_VOLUME.format(name=domain_name(number), disk=20 * (1 + number % 4)))
    parts.append("  </pool>\n</node>\n")
    return "".join(parts)
