"""Discovery: a libvirt connection's host and domains read into HostFacts and DomainFacts.

Every function here makes libvirt calls (blocking, on a remote host over the network): the
pool runs them off the caller's thread with a timeout. A fact libvirt cannot give (an
unsupported call, a disk that is no storage volume) is left out, not guessed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from console.model.names import as_name
from console.sources.libvirt_facts import DomainFacts, HostFacts, domain_state
from console.sources.libvirt_redact import redact_uri

#: Node-device capabilities listed for NICs and disks (VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET,
#: ..._CAP_STORAGE).
_CAP_NET, _CAP_STORAGE = 1 << 4, 1 << 8
#: virDomainXMLFlags: the persistent definition, not the running one.
_XML_INACTIVE = 2
#: VIR_DOMAIN_STATS_STATE | _BALLOON | _VCPU | _BLOCK: what discovery asks of every domain at
#: once.
_BULK_FACTS = 1 | 4 | 8 | 32
#: VIR_CONNECT_LIST_DOMAINS_TRANSIENT.
_LIST_TRANSIENT = 8

# libvirt's getType() (lower-case) -> our hypervisor kind; anything else counts as kvm.
_KINDS = {"qemu": "kvm", "kvm": "kvm", "test": "kvm", "xen": "xenserver", "libxl": "xenserver",
          "xenlight": "xenserver", "esx": "esxi", "vmware": "esxi", "hyper-v": "hyperv",
          "hyperv": "hyperv"}


def hypervisor_kind(driver: str) -> str:
    """libvirt's driver name (getType(): "QEMU", "Test", "Xen", "ESX", "HYPER-V", ...) -> our
    kind: "kvm", "xenserver", "esxi" or "hyperv" (unknown drivers count as "kvm")."""
    return _KINDS.get(driver.lower(), "kvm")


def base_name(uri: str, hostname: str) -> str:
    """The node name a connection asks for, before uniqueness: a test driver's XML file's stem
    ("default" for test:///default), else `hostname`'s first label; made a valid node name
    (console.model.names.as_name)."""
    parts = urlsplit(uri)
    if parts.scheme.split("+")[0] == "test":
        raw = PurePosixPath(unquote(parts.path)).stem or "default"
    else:
        raw = hostname.split(".")[0] or parts.hostname or "host"
    return as_name(raw)


def _device_xml(conn: Any, capability: int) -> list[ET.Element]:
    try:
        devices = [ET.fromstring(device.XMLDesc(0)) for device in conn.listAllDevices(capability)]
    except Exception:  # the driver lists no node devices
        return []
    return sorted(devices, key=lambda device: device.findtext("name") or "")


def _nics_gbps(conn: Any) -> tuple[float, ...]:
    speeds = []
    for device in _device_xml(conn, _CAP_NET):
        link = device.find("./capability[@type='net']/link")
        if link is not None and link.get("state") == "up" and link.get("speed"):
            speeds.append(round(int(link.get("speed", "0")) / 1000, 3))
    return tuple(speeds)


def _disks_gb(conn: Any) -> tuple[float, ...]:
    sizes = []
    for device in _device_xml(conn, _CAP_STORAGE):
        size = device.findtext("./capability[@type='storage']/size")
        if size and int(size) > 0:
            sizes.append(round(int(size) / 2**30, 1))
    return tuple(sizes)


def host_facts(conn: Any, uri: str, taken: Collection[str] = ()) -> HostFacts:
    """The host behind `conn` (opened on `uri`), named uniquely among `taken`."""
    _model, memory_mb, cpus, mhz, nodes, sockets, _cores, _threads = conn.getInfo()
    driver = conn.getType()
    hostname = "" if driver.lower() == "test" else conn.getHostname()
    all_sockets = max(1, nodes * sockets)
    return HostFacts(
        uri=redact_uri(uri),
        name=as_name(base_name(uri, hostname), set(taken)),
        hypervisor=hypervisor_kind(driver),
        driver=driver,
        sockets=all_sockets,
        cores_per_socket=max(1, cpus // all_sockets),
        mhz=int(mhz),
        memory_mb=int(memory_mb),
        nics_gbps=_nics_gbps(conn),
        disks_gb=_disks_gb(conn),
    )


def _volume_bytes(conn: Any, domain: Any, disk: ET.Element) -> int:
    """A disk's capacity in bytes: its storage volume's, else libvirt's block info, else 0."""
    source = disk.find("source")
    try:
        if source is not None and source.get("pool") and source.get("volume"):
            pool = conn.storagePoolLookupByName(source.get("pool"))
            return int(pool.storageVolLookupByName(source.get("volume")).info()[1])
        path = None if source is None else (source.get("file") or source.get("dev"))
        if path:
            return int(conn.storageVolLookupByPath(path).info()[1])
    except Exception:  # not a volume libvirt knows
        pass
    target = disk.find("target")
    try:
        if target is not None and target.get("dev"):
            return int(domain.blockInfo(target.get("dev"))[0])
    except Exception:  # the driver cannot tell (an inactive domain, for one)
        pass
    return 0


def disk_targets(domain_xml: str) -> list[str]:
    """The target device names (vda, sdb, ...) of a domain's disks (not its CD-ROMs)."""
    root = ET.fromstring(domain_xml)
    return [t.get("dev", "") for d in root.findall("./devices/disk[@device='disk']")
            if (t := d.find("target")) is not None and t.get("dev")]


def _size(root: ET.Element) -> tuple[int, int]:
    """(vCPUs, maximum memory in KiB) of a domain's definition: its current vCPUs where it
    says (`<vcpu current='2'>4</vcpu>`), else its vCPUs; its `<memory>` in KiB."""
    vcpu = root.find("vcpu")
    vcpus = int((vcpu.get("current") or vcpu.text or "1") if vcpu is not None else "1")
    memory = root.find("memory")
    kib = int(memory.text or "0") if memory is not None else 0
    scale = {"b": 1 / 1024, "bytes": 1 / 1024, "kib": 1, "k": 1, "mib": 1024, "m": 1024,
             "gib": 2**20, "g": 2**20, "tib": 2**30, "t": 2**30}
    unit = (memory.get("unit") or "KiB").lower() if memory is not None else "kib"
    return vcpus, int(kib * scale.get(unit, 1))


def domain_facts(conn: Any, domain: Any, live: dict[str, Any] | None = None,
                 persistent: bool | None = None) -> DomainFacts:
    """One domain of `conn`, read now. `live` is its record of libvirt's bulk stats
    (`getAllDomainStats`: its state, and for a running domain its vCPUs, maximum memory and
    disks' capacities where the driver reports them), `persistent` whether it is (each asked
    of the domain when not given); its size otherwise comes from its definition, its disks'
    from their storage volumes."""
    if live is not None and "state.state" in live:
        state, reason = domain_state(int(live["state.state"]), int(live.get("state.reason", 0)))
    else:
        state, reason = domain_state(*domain.state())
    root = ET.fromstring(domain.XMLDesc(_XML_INACTIVE))
    vcpus, max_kib = _size(root)
    if live is not None:
        vcpus = int(live.get("vcpu.current", vcpus))
        max_kib = int(live.get("balloon.maximum", max_kib))
    reported = _block_capacities(live or {})
    disk_bytes = 0
    for disk in root.findall("./devices/disk[@device='disk']"):
        target = disk.find("target")
        dev = None if target is None else target.get("dev")
        disk_bytes += (reported[dev] if dev in reported
                       else _volume_bytes(conn, domain, disk))
    return DomainFacts(
        name=domain.name(),
        uuid=domain.UUIDString(),
        state=state,
        reason=reason,
        vcpus=vcpus,
        memory_mb=max_kib // 1024,
        disk_gb=round(disk_bytes / 2**30, 1),
        persistent=bool(domain.isPersistent()) if persistent is None else persistent,
    )


def _block_capacities(live: dict[str, Any]) -> dict[str, int]:
    """Target device -> capacity in bytes, of the block devices a bulk record reports (a
    running domain's, where the driver reports them)."""
    found = {}
    for index in range(int(live.get("block.count", 0))):
        name, capacity = live.get(f"block.{index}.name"), live.get(f"block.{index}.capacity")
        if name is not None and capacity is not None:
            found[str(name)] = int(capacity)
    return found


def _live_records(conn: Any) -> dict[str, dict[str, Any]]:
    """Every domain's record of libvirt's bulk stats (state, vCPUs, balloon) by name, in one
    call; {} where the driver has no bulk stats."""
    try:
        return {domain.name(): record
                for domain, record in conn.getAllDomainStats(_BULK_FACTS, 0)}
    except Exception:  # the driver has no bulk stats: each domain is asked
        return {}


def _transient(conn: Any) -> set[str] | None:
    """The names of the domains that are not persistent, in one call (None if the driver
    cannot list them so)."""
    try:
        return {domain.name() for domain in conn.listAllDomains(_LIST_TRANSIENT)}
    except Exception:  # no such filter: each domain is asked
        return None


def discover(conn: Any) -> list[DomainFacts]:
    """Every domain of `conn` (running or only defined), sorted by name: their states, sizes
    and persistence asked of the host in bulk (one call each), each one's definition and disks
    one domain at a time."""
    live = _live_records(conn)
    transient = _transient(conn)
    found = []
    for domain in conn.listAllDomains(0):
        name = domain.name()
        found.append(domain_facts(conn, domain, live.get(name),
                                  None if transient is None else name not in transient))
    return sorted(found, key=lambda facts: facts.name)
