"""What the sub-commands that reach real hosts share: `--connect URI` (repeatable), a cluster
file of `[[connections]]` (console.formats.connections), and connecting with every failure
as one line (exit status 2): libvirt-python missing (what to install), a host that does not
answer (its URI, secrets redacted, and libvirt's reason)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from console.errors import InputError
from console.formats.connections import Connections

if TYPE_CHECKING:  # libvirt is imported only when a host is reached
    from console.sources.libvirt import LibvirtSource


def add_connect_option(options: argparse.ArgumentParser) -> None:
    """`--connect URI`, as often as there are hosts."""
    options.add_argument("--connect", action="append", metavar="URI",
                         help="a real host through libvirt (e.g. qemu+ssh://host/system); "
                              "repeat for each host of the cluster")


def uri_files(uris: Sequence[str]) -> list[str | Path]:
    """The local files `uris` read (the test driver's host files, `test:///ABS/PATH.xml`), as
    the URIs spell them: inputs that no output may overwrite."""
    return [uri[len("test://"):] for uri in uris
            if uri.startswith("test:///") and uri != "test:///default"]


def connect(connections: Connections, *, allow_actions: bool) -> LibvirtSource:
    """A libvirt source over `connections`, connected and discovered. Raises InputError (one
    line) when libvirt-python is missing or a host cannot be reached."""
    from console.sources.libvirt import LibvirtSource
    from console.sources.libvirt_client import ConnectError, LibvirtMissing

    try:
        source = LibvirtSource(connections.uris, allow_actions=allow_actions,
                               name=connections.name, description=connections.description)
        source.discover()
    except (ConnectError, LibvirtMissing) as error:
        raise InputError(str(error)) from None
    return source
