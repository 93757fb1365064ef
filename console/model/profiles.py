"""HA vendor profiles: the documented set of rules and defaults a cluster follows.

A profile is a name and the setting values it chooses (`PROFILE_VALUES`, by section and key);
the cluster file's own keys override any of them. The behaviours never ask which profile is in
force: each rule is a setting (`console.model.settings`), and a profile only picks values. README's
"HA profiles" section lists every choice with the vendor document it follows.

* `vsphere`: VMware vSphere HA ("vSphere Availability", VMware vSphere 8 documentation).
* `wsfc`: Windows Server failover clustering ("Failover Clustering" documentation, Microsoft
  Learn: quorum, heartbeat thresholds, failover and failback settings).
* `pve`: Proxmox VE's HA manager ("High Availability", Proxmox VE Administration Guide; the
  pve-ha-manager sources).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from typing import Any

from console.model.settings import Settings

PROFILES = ("vsphere", "wsfc", "pve")

#: The profile of a cluster whose file names none, by its hosts' hypervisor: Hyper-V hosts are
#: clustered by Windows failover clustering, KVM hosts by Proxmox VE's HA manager; ESXi (and
#: XenServer, whose HA also pairs network and storage heartbeats) by vSphere HA's rules.
PROFILE_OF_HYPERVISOR = {"esxi": "vsphere", "xenserver": "vsphere", "hyperv": "wsfc",
                         "kvm": "pve"}

#: What each profile sets, by settings section (`Settings` field) and key; keys not named keep
#: the dataclass default, which is vSphere HA's.
PROFILE_VALUES: dict[str, dict[str, dict[str, Any]]] = {
    "vsphere": {},
    "wsfc": {
        # SameSubnetDelay 1 s, SameSubnetThreshold 10, CrossSubnetThreshold 20 ("Tuning failover
        # cluster network thresholds"); no datastore heartbeat channel
        "heartbeat": {"interval_s": 1.0, "failed_after_missed": 10,
                      "cross_subnet_failed_after_missed": 20, "datastore_heartbeat": False},
        # node majority, a witness only where the file configures one, dynamic quorum and
        # witness, tie breaker ("Understanding cluster and pool quorum"); a node without quorum
        # stops its cluster service and roles
        "quorum": {"voting": True, "dynamic_quorum": True,
                   "dynamic_witness": True, "tie_breaker": True,
                   "isolation_response": "power_off"},
        # no failover capacity is reserved (no admission control): what does not fit waits
        "ha": {"admission_control": False},
        # a group may fail over nodes - 1 times in 6 hours (FailoverThreshold's default)
        "service_defaults": {"max_failovers": None},
        # VM load balancing (Windows Server 2016+): on node join and every 30 minutes
        # (AutoBalancerMode 2, the default); what triggers a move is the model's threshold
        "balancer": {"interval_s": 1800.0},
    },
    "pve": {
        # corosync drops a silent node within seconds and the CRM, working in 10 s rounds, then
        # marks it lost (15 s, as vSphere's); no datastore heartbeat channel
        "heartbeat": {"datastore_heartbeat": False},
        # corosync votequorum: majority of static votes, qdevice as the witness, no tie breaker
        # ("Cluster Manager": Quorum, Corosync External Vote Support); a node without quorum
        # keeps its guests until its watchdog resets it (60 s)
        "quorum": {"voting": True, "dynamic_quorum": False,
                   "dynamic_witness": False, "tie_breaker": False,
                   "isolation_response": "leave_powered_on", "watchdog_s": 60.0},
        # the quorate side recovers a lost node's services once its HA lock expired, 120 s
        # after the node's last renewal (its last heartbeat heard); no admission control
        # (recovery picks a node by its scheduler); a failed start is relocated once
        # (max_relocate)
        "ha": {"fence_s": 120.0, "admission_control": False, "restart_retries": 1,
               # node maintenance brings its services back when it ends ("Node
               # Maintenance"); a fenced node's stopped services are recovered too ("Recover
               # Fenced Services")
               "maintenance_return": True, "recover_stopped": True},
        # no automatic rebalancing: the CRS picks a node at start and recovery only, so the
        # balancer recommends and the operator applies
        "balancer": {"automation": "manual"},
    },
}


def default_profile(hypervisors: Iterable[str]) -> str:
    """The profile for hosts of these hypervisors: their family's when they share one, else
    `vsphere`."""
    found = {PROFILE_OF_HYPERVISOR.get(kind, "vsphere") for kind in hypervisors}
    return found.pop() if len(found) == 1 else "vsphere"


def settings_for(profile: str, explicit: Mapping[str, Mapping[str, Any]] | None = None
                 ) -> Settings:
    """`profile`'s settings with `explicit` values (section -> key -> value, as checked from a
    cluster file) laid over them. Raises KeyError for an unknown profile, section or key."""
    chosen = PROFILE_VALUES[profile]
    explicit = explicit or {}
    settings = Settings(profile=profile)
    sections = {f.name for f in fields(Settings)} - {"profile"}
    for section in sorted(set(chosen) | set(explicit)):
        if section not in sections:
            raise KeyError(section)
        values = {**chosen.get(section, {}), **explicit.get(section, {})}
        settings = replace(settings, **{section: replace(getattr(settings, section), **values)})
    return settings
