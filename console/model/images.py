"""Image streaming (XenServer-style): a few master base images plus application layers.

A VM is a base plus layers. Deploying streams to the chosen host only the parts it does not hold
yet (time = size over the host's link), then boots the VM. Hosts keep what they received, so the
second Exchange VM on a host streams nothing. Publishing a new version of a base marks its VMs
stale; each takes the new version at its next restart, streaming it to its host then.
"""

from __future__ import annotations

from console.model import placement
from console.model.commands import Command, Deploy, PublishImage
from console.model.entities import HaState, Image, Node, Priority, Vm, VmState, Workload
from console.model.events import Severity
from console.model.kernel import Context, Handler, Outcome


class ImageError(ValueError):
    """An image spec (`base+layer+layer`) that names unknown or mismatched parts."""


def resolve(images: dict[str, Image], spec: str) -> list[Image]:
    """`win2008+exchange2007` -> [base, layer]; raise ImageError saying what is wrong."""
    names = spec.split("+")
    if not all(names):
        raise ImageError(f'must be a base image, then layers, joined by "+"; got {spec!r}')
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ImageError(f"{repeated[0]} is listed twice")
    unknown = [n for n in names if n not in images]
    if unknown:
        known = ", ".join(sorted(images)) or "none are defined"
        raise ImageError(f"unknown image or layer {unknown[0]!r} (known: {known})")
    base, layers = images[names[0]], [images[n] for n in names[1:]]
    if base.kind != "base":
        raise ImageError(f"{base.name} is a layer; an image spec starts with a base image")
    for layer in layers:
        if layer.kind != "layer":
            raise ImageError(f"{layer.name} is a base image; only layers follow the base")
        if layer.bases and base.name not in layer.bases:
            raise ImageError(f"layer {layer.name} fits {', '.join(layer.bases)}, not {base.name}")
    return [base, *layers]


class ImageStreaming:
    """XenServer-style image streaming (Citrix Provisioning Services: vDisks streamed to
    targets): implements `kernel.Streaming` for HA.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.cluster = context.cluster
        self._streams: dict[tuple[str, str], float] = {}  # (host, part) -> arrival time

    def handlers(self) -> dict[type[Command], Handler]:
        """`deploy VM BASE+LAYER... [on HOST]` and `publish IMAGE`."""
        return {Deploy: self._deploy, PublishImage: self._publish}

    def reconcile(self) -> None:
        """Streaming acts on commands and restarts only."""

    def summary(self) -> dict[str, object]:
        """The run summary's `images` section: GB saved by sharing, what each host holds."""
        if not self.cluster.images:
            return {}
        return {"images": {"saved_gb": round(self.saved_gb(), 1),
                           "hosts": {n.name: sorted(n.images) for n in self.cluster.nodes.values()
                                     if n.images}}}

    # -- storage -------------------------------------------------------------------------------

    def full_copies_gb(self) -> float:
        """What the VMs' disks would take if each held its own full copy of base + layers."""
        return sum(self.cluster.images[p].size_gb for vm in self.cluster.vms.values()
                   for p in vm.image if p in self.cluster.images)

    def held_gb(self) -> float:
        """GB of images and layers the hosts hold, all hosts together."""
        return sum(self.cluster.images[p].size_gb for node in self.cluster.nodes.values()
                   for p in node.images if p in self.cluster.images)

    def saved_gb(self) -> float:
        """GB sharing saves: full per-VM copies minus what the hosts hold (never below 0)."""
        return max(0.0, self.full_copies_gb() - self.held_gb())

    def holders(self, part: str) -> list[str]:
        """Names of the hosts that hold `part` (an image or layer name)."""
        return [n.name for n in self.cluster.nodes.values() if part in n.images]

    # -- streaming -----------------------------------------------------------------------------

    def stream_seconds(self, parts: list[str], node: Node) -> float:
        """Time until `node` holds the current version of every part, queueing streams now.

        A host's streams share its link: each part starts when the one before it has arrived."""
        now = self.context.now
        ready = now
        for name in parts:
            image = self.cluster.images[name]
            if node.images.get(name) == image.version:
                continue
            key = (node.name, name)
            arrival = self._streams.get(key)
            if arrival is None or arrival < now:
                version = image.version
                arrival = self.context.world.stream_image(
                    node, image, lambda n=node, p=name, v=version: self._arrived(n, p, v))
                self._streams[key] = arrival
                self.context.emit("image_streaming", node.name,
                                  f"streaming {name} v{image.version} ({image.size_gb:g} GB) to "
                                  f"{node.name}: ready in {arrival - now:.0f} s")
            ready = max(ready, arrival)
        return ready - now

    def _arrived(self, node: Node, part: str, version: int) -> None:
        self.context.emit("image_arrived", node.name, f"{node.name} holds {part} v{version}")

    def prepare_restart(self, vm: Vm, node: Node) -> float:
        """Extra seconds before `vm` can boot on `node`; a stale VM takes the new base now."""
        if not vm.image:
            return 0.0
        if vm.stale_image:
            vm.stale_image = False
        return self.stream_seconds(list(vm.image), node)

    # -- commands ------------------------------------------------------------------------------

    def _deploy(self, command: Command) -> Outcome:
        assert isinstance(command, Deploy)
        if command.vm in self.cluster.vms or command.vm in self.cluster.nodes:
            return Outcome.refuse(f"the name {command.vm} is taken")
        try:
            parts = resolve(self.cluster.images, command.image)
        except ImageError as error:
            return Outcome.refuse(str(error))
        base = parts[0]
        vm = Vm(command.vm, None, vcpus=base.vcpus,
                memory_gb=base.memory_gb + sum(p.memory_gb for p in parts[1:]),
                disk_gb=sum(p.size_gb for p in parts), guest_os=base.guest_os,
                image=tuple(p.name for p in parts), priority=Priority.MEDIUM,
                workload=Workload(), state=VmState.STOPPED)
        host = self._deploy_host(vm, command.host)
        if isinstance(host, str):
            return Outcome.refuse(host)
        refusal = self.context.ha.admission_refusal(vm)
        if refusal:
            return Outcome.refuse(refusal)
        vm.host = host.name
        self.cluster.add_vm(vm, host.hypervisor)
        self.cluster.set_state(vm, VmState.DEPLOYING)
        wait = self.stream_seconds(list(vm.image), host)
        epoch = vm.epoch
        self.context.world.start_vm(vm, wait, lambda: self._deployed(vm, epoch),
                                    lambda why: self._deploy_failed(vm, epoch, why))
        return Outcome.ok(f"on {host.name}, running in {wait + vm.boot_s:.0f} s")

    def _deploy_host(self, vm: Vm, wanted: str | None) -> Node | str:
        """The host to deploy on, or why there is none."""
        candidates = [n for n in self.cluster.nodes.values() if wanted in (None, n.name)]
        if wanted is not None and not candidates:
            return f"no node named {wanted}"
        fitting = [n for n in candidates if placement.allowed(self.cluster, vm, n)]
        if not fitting:
            if wanted is not None:
                node = candidates[0]
                if not placement.usable(node):
                    return f"{node.name} is {placement.condition(node)}"
                return (f"{node.name} cannot take {vm.name} ({placement.vcpus(vm.vcpus)}, "
                        f"{vm.memory_gb:g} GB, {vm.guest_os})")
            return (f"no host can take {vm.name} ({placement.vcpus(vm.vcpus)}, "
                    f"{vm.memory_gb:g} GB)")
        # Prefer hosts that already hold the most of the image: less to stream.
        def score(node: Node) -> tuple[float, float, str]:
            missing = sum(self.cluster.images[p].size_gb for p in vm.image
                          if node.images.get(p) != self.cluster.images[p].version)
            return missing, -placement.free_memory(self.cluster, node), node.name

        return min(fitting, key=score)

    def _deployed(self, vm: Vm, epoch: int) -> None:
        if vm.epoch != epoch or vm.state is not VmState.DEPLOYING:
            return
        self.cluster.set_state(vm, VmState.RUNNING)
        vm.started_at = self.context.now
        self.context.emit("vm_deployed", vm.name,
                          f"{vm.name} ({'+'.join(vm.image)}) is running on {vm.host}")

    def _deploy_failed(self, vm: Vm, epoch: int, why: str) -> None:
        """The new VM did not power on: it stays registered on its host, off."""
        if vm.epoch != epoch or vm.state is not VmState.DEPLOYING:
            return
        self.cluster.set_state(vm, VmState.STOPPED)
        vm.ha_state = HaState.STOPPED
        self.context.emit("vm_start_failed", vm.name,
                          f"{vm.name} was deployed on {vm.host} but did not start: {why}",
                          Severity.ERROR)

    def _publish(self, command: Command) -> Outcome:
        assert isinstance(command, PublishImage)
        image = self.cluster.images.get(command.image)
        if image is None:
            return Outcome.refuse(f"no image named {command.image}")
        if image.kind != "base":
            return Outcome.refuse(f"{image.name} is a layer; publish a new base image version")
        image.version += 1
        stale = [vm for vm in self.cluster.vms.values() if vm.image[:1] == (image.name,)]
        for vm in stale:
            vm.stale_image = True
        self.context.emit("image_published", image.name,
                          f"{image.name} v{image.version} published; {len(stale)} VM(s) take it "
                          "at their next restart", Severity.INFO)
        return Outcome.ok(f"v{image.version}")
