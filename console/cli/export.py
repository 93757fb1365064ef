"""`cluster-console export --connect URI [--connect URI ...] [-o FILE]`: model a real cluster.

Connects to the hosts (console.sources.libvirt) and writes their hosts and VMs as a cluster
file of the simulated kind (console.sources.libvirt_cluster): the same sizes, the VMs where
they run and in their state, HA and the balancer at the model's defaults, so drills run on a
faithful copy of the real cluster. To standard output, or atomically to `-o FILE`. Nothing is
changed on the hosts; URIs in the file's comment are redacted."""

from __future__ import annotations

from collections.abc import Sequence

from console.cli.options import check_outputs, parser, write_output
from console.cli.real_hosts import add_connect_option, connect, uri_files
from console.errors import InputError
from console.formats.connections import Connections


def run(argv: Sequence[str]) -> int:
    """Write the cluster file of the real hosts; 0, or InputError for a bad option, a host
    that cannot be reached or libvirt-python missing."""
    options = parser("export", "Write real hosts (libvirt) as a cluster file, so that drills "
                               "run on a model of them.")
    add_connect_option(options)
    options.add_argument("-o", "--output", metavar="FILE",
                         help="write the cluster file here (default: standard output)")
    args = options.parse_args(argv)
    if not args.connect:
        raise InputError("export needs the hosts: --connect URI, once for each")
    check_outputs({"--output": args.output}, uri_files(args.connect))
    text = connect(Connections(args.connect), allow_actions=False).export_text()
    if args.output is None:
        print(text, end="")
    else:
        write_output(args.output, text, "--output")
    return 0
