"""The real hosts behind a cluster, named where the operator decides (`Session.real_hosts`: node
name -> its connection's URI, secrets already redacted by the source): the question a
destructive action asks, and the header's source.

    force_off = "Force VM web01 off?"
    named(engine, {"host-a": "test:///…/host-a.xml"}, force_off, [VmPower("web01", False)])
    # "Force VM web01 off on host-a (test:///…/host-a.xml)?"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from console.model import views

if TYPE_CHECKING:
    from console.model.commands import Command
    from console.model.engine import Engine


def named(engine: Engine, real_hosts: Mapping[str, str], question: str,
          commands: Sequence[Command]) -> str:
    """`question` naming the real hosts `commands` act on: `on NODE (URI)` for a VM's host,
    `to NODE (URI)` for a move's target, `at URI` for a node acted on; `question` as it is when
    none of them is a real host (a simulated cluster)."""
    if not real_hosts:
        return question
    places: list[str] = []
    for command in commands:
        for place in _places(engine, real_hosts, command):
            if place not in places:
                places.append(place)
    if not places:
        return question
    return f"{question.rstrip('?')} {' '.join(places)}?"


def _places(engine: Engine, real_hosts: Mapping[str, str], command: Command) -> list[str]:
    """Where `command` acts, on the real hosts: its VM's host, its target node, its node."""
    found = []
    vm = getattr(command, "vm", None)
    if isinstance(vm, str):
        machine = views.vms(engine).get(vm)
        host = machine.host if machine is not None else None
        if host is not None and host in real_hosts:
            found.append(f"on {host} ({real_hosts[host]})")
        target = getattr(command, "target", None)
        if isinstance(target, str) and target in real_hosts:
            found.append(f"to {target} ({real_hosts[target]})")
    node = getattr(command, "node", None)
    if isinstance(node, str) and node in real_hosts:
        found.append(f"at {real_hosts[node]}")
    return found


def on_real_host(engine: Engine, real_hosts: Mapping[str, str], vm: str) -> bool:
    """Whether VM `vm` runs (or sits) on one of the real hosts."""
    machine = views.vms(engine).get(vm)
    return machine is not None and machine.host is not None and machine.host in real_hosts


def source_label(real_hosts: Mapping[str, str], *, wide: bool = True) -> str:
    """The header's part for a cluster of real hosts: `libvirt: 2 hosts` (`libvirt 2` when not
    `wide`); "" for a simulated cluster."""
    count = len(real_hosts)
    if not count:
        return ""
    if not wide:
        return f"libvirt {count}"
    return f"libvirt: {count} host{'s' if count != 1 else ''}"
