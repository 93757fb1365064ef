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


def domain_facts(conn: Any, domain: Any) -> DomainFacts:
    """One domain of `conn`, read now."""
    state, reason = domain_state(*domain.state())
    _state, max_kib, _kib, vcpus, _cpu_time = domain.info()
    root = ET.fromstring(domain.XMLDesc(_XML_INACTIVE))
    disk_bytes = sum(_volume_bytes(conn, domain, disk)
                     for disk in root.findall("./devices/disk[@device='disk']"))
    return DomainFacts(
        name=domain.name(),
        uuid=domain.UUIDString(),
        state=state,
        reason=reason,
        vcpus=int(vcpus),
        memory_mb=int(max_kib) // 1024,
        disk_gb=round(disk_bytes / 2**30, 1),
        persistent=bool(domain.isPersistent()),
    )


def discover(conn: Any) -> list[DomainFacts]:
    """Every domain of `conn` (running or only defined), sorted by name."""
    return sorted((domain_facts(conn, d) for d in conn.listAllDomains(0)), key=lambda f: f.name)
