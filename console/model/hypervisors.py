"""Hypervisor kinds and the guest operating systems each of them runs.

Kept as data, not scattered conditionals, so the config validator, HA placement and migration checks
all ask the same question the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GuestOs:
    """A guest OS as the support matrices know it: an id, a family and a display name."""

    id: str
    family: str  # windows | linux | unix
    label: str


GUEST_OSES: dict[str, GuestOs] = {
    g.id: g
    for g in (
        GuestOs("windows2003", "windows", "Windows Server 2003"),
        GuestOs("windows2008", "windows", "Windows Server 2008"),
        GuestOs("windows2008r2", "windows", "Windows Server 2008 R2"),
        GuestOs("windows2012", "windows", "Windows Server 2012"),
        GuestOs("suse", "linux", "SUSE Linux Enterprise Server"),
        GuestOs("rhel", "linux", "Red Hat Enterprise Linux"),
        GuestOs("centos", "linux", "CentOS"),
        GuestOs("debian", "linux", "Debian GNU/Linux"),
        GuestOs("ubuntu", "linux", "Ubuntu"),
        # A real VM whose distribution its host does not report (libvirt, console.sources).
        GuestOs("linux", "linux", "Linux (distribution not reported)"),
        GuestOs("solaris", "unix", "Solaris"),
        GuestOs("freebsd", "unix", "FreeBSD"),
    )
}


@dataclass(frozen=True, slots=True)
class Hypervisor:
    """A hypervisor kind: its family (live migration stays inside one) and guest support."""

    kind: str
    label: str
    migration_name: str
    families: frozenset[str]
    extra_guests: frozenset[str] = frozenset()

    def supports(self, guest_os: str) -> bool:
        """Does this hypervisor run the guest OS with id `guest_os` (False for unknown ids)?"""
        guest = GUEST_OSES.get(guest_os)
        if guest is None:
            return False
        return guest.family in self.families or guest.id in self.extra_guests


HYPERVISORS: dict[str, Hypervisor] = {
    h.kind: h
    for h in (
        # VMware ESXi runs Windows, Linux and Unix guests.
        Hypervisor("esxi", "VMware ESXi", "VMotion", frozenset({"windows", "linux", "unix"})),
        # Hyper-V, as modelled here, runs Windows and SUSE Linux, and no other Linux.
        Hypervisor("hyperv", "Microsoft Hyper-V", "Live Migration", frozenset({"windows"}),
                   frozenset({"suse"})),
        Hypervisor("xenserver", "Citrix XenServer", "XenMotion", frozenset({"windows", "linux"})),
        Hypervisor("kvm", "KVM", "live migration", frozenset({"windows", "linux"}),
                   frozenset({"freebsd"})),
    )
}


def supported_guests(kind: str) -> list[str]:
    """Guest OS ids the hypervisor runs, in catalogue order (for error messages and help)."""
    hypervisor = HYPERVISORS[kind]
    return [g for g in GUEST_OSES if hypervisor.supports(g)]
