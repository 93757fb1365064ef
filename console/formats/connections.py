"""Cluster files of real hosts: `[[connections]]`, one libvirt connection URI a host.

    # mycluster.toml: open it with `cluster-console mycluster.toml`
    [cluster]
    name = "rack-3"
    description = "the KVM hosts of rack 3"

    [[connections]]
    uri = "qemu+ssh://admin@kvm-a.example.net/system"

    [[connections]]
    uri = "qemu+ssh://admin@kvm-b.example.net/system"

Such a file takes its hosts and VMs from the connections (console.sources.libvirt), so it has
no `[[nodes]]`, `[[vms]]` or other section of the simulated cluster format; any other key is
an error naming the file, the line and the key, as in every checked file.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.formats.toml import (
    Key,
    Problem,
    at,
    entries,
    identifier,
    located,
    parse_toml,
    read_table,
    string,
)

_CLUSTER_KEYS = {"name": Key(identifier), "description": Key(string)}
_CONNECTION_KEYS = {"uri": Key(string, required=True)}


@dataclass(frozen=True)
class Connections:
    """A cluster file of real hosts: its connection URIs in file order, and the `[cluster]`
    name and description when it gives them (else None)."""

    uris: list[str]
    name: str | None = None
    description: str | None = None


def connections_of(text: str, filename: str) -> Connections:
    """The connections of a cluster file of `[[connections]]`, none (no URI) for a simulated
    one; raises ConfigError as `read_connections` does (or for text that is not TOML)."""
    if "connections" not in text:  # the cheap test first: a 40,000-VM file is not parsed twice
        return Connections([])
    if "connections" not in parse_toml(text, filename):
        return Connections([])
    return read_connections(text, filename)


def read_connections(text: str, filename: str) -> Connections:
    """The connections of the cluster file `text` (named `filename` in errors). Raises
    ConfigError (file, line, key) for a file that is not TOML, a key other than `[cluster]`
    name/description and `[[connections]]` uri, an empty URI or no connection."""
    document = parse_toml(text, filename)
    with located(text, filename):
        for key in document:
            if key not in ("cluster", "connections"):
                raise Problem(key, "a cluster file with [[connections]] takes its hosts and "
                                   "VMs from them: only [cluster] and [[connections]] may be "
                                   "here")
        with at("cluster"):
            cluster = read_table(document.get("cluster", {}), _CLUSTER_KEYS)
        uris = []
        with at("connections"):
            for index, raw in enumerate(entries(document.get("connections"), "connections",
                                                non_empty=True)):
                with at(f"[{index}]"):
                    uri = read_table(raw, _CONNECTION_KEYS)["uri"]
                    if not uri.strip():
                        raise Problem(".uri", "must be a libvirt connection URI, got an "
                                              "empty string")
                    uris.append(uri)
    return Connections(uris, cluster.get("name"), cluster.get("description"))
