"""What every benchmark prints first: the machine a figure was measured on."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def machine() -> str:
    """Date, Python, CPU model and core count."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, {model}, "
            f"{os.cpu_count()} cores")


def flat_host_name(number: int, hosts: int) -> str:
    """The name `flat_cluster_text` gives host `number` (from 1) of `hosts`: `h0007`."""
    return f"h{number:0{max(4, len(str(hosts)))}d}"


def flat_cluster_text(hosts: int = 2000, vms: int = 40000) -> str:
    """A cluster file written out flat, as an export of a real cluster would be: one `[[nodes]]`
    per host (`h0001` ..) and one `[[vms]]` per VM (`vm00001` ..), every other VM without a
    `host` (placed at load time). Per host 2 x 16 cores, 512 GB; per VM 2 vCPUs, 8 GB, a steady,
    diurnal or bursty workload. Returns the TOML text (about 170 bytes per VM)."""
    vm_width = max(5, len(str(vms)))
    profiles = ("steady", "diurnal", "bursty")
    parts = [f'[cluster]\nname = "flat"\ndescription = "{hosts:,} hosts, {vms:,} VMs, '
             f'written out flat (benchmark)"\n', "[balancer]\ninterval_s = 300.0\n"]
    for h in range(1, hosts + 1):
        parts.append(f'[[nodes]]\nname = "{flat_host_name(h, hosts)}"\nhypervisor = "esxi"\n'
                     'cpus = 2\ncores_per_cpu = 16\nmemory_gb = 512\nnics_gbps = [10, 10]\n')
    for v in range(vms):
        host = f'host = "{flat_host_name((v // 2) % hosts + 1, hosts)}"\n' if v % 2 == 0 else ""
        parts.append(f'[[vms]]\nname = "vm{v + 1:0{vm_width}d}"\n{host}guest_os = "rhel"\n'
                     'vcpus = 2\nmemory_gb = 8\nworkload = { cpu = 0.3, memory = 0.5, '
                     f'disk_mbps = 3, dirty_mbps = 20, profile = "{profiles[v % 3]}" }}\n')
    return "\n".join(parts)
