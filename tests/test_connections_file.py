"""Cluster files of real hosts (`[[connections]]`): read with one-line errors naming the file,
the line and the key; `validate` says what such a file is; the console reads its URIs, name
and description. No libvirt needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main
from console.formats.connections import connections_of, read_connections
from console.formats.toml import ConfigError

GOOD = """[cluster]
name = "rack-3"
description = "the KVM hosts of rack 3"

[[connections]]
uri = "qemu+ssh://admin@kvm-a/system"

[[connections]]
uri = "qemu+ssh://admin@kvm-b/system"
"""


def test_a_connections_file_gives_its_uris_name_and_description() -> None:
    found = read_connections(GOOD, "rack3.toml")
    assert found.uris == ["qemu+ssh://admin@kvm-a/system", "qemu+ssh://admin@kvm-b/system"]
    assert (found.name, found.description) == ("rack-3", "the KVM hosts of rack 3")
    assert connections_of(GOOD, "rack3.toml") == found
    seed = (Path(__file__).parent.parent / "console/data/sample_clusters/seed.toml").read_text()
    assert connections_of(seed, "seed.toml").uris == []


@pytest.mark.parametrize(("text", "error"), [
    ('[[connections]]\nuri = ""\n',
     "f.toml:2: connections[0].uri: must be a libvirt connection URI, got an empty string"),
    ('[[connections]]\nuri = "a"\nport = 1\n', "f.toml:3: connections[0].port: unknown key"),
    ('[[nodes]]\nname = "A"\n[[connections]]\nuri = "a"\n',
     "f.toml:1: nodes: a cluster file with [[connections]] takes its hosts"),
    ('[cluster]\nname = "rack 3"\n[[connections]]\nuri = "a"\n',
     "f.toml:2: cluster.name: must be a name"),
    ("connections = []\n", "f.toml:1: connections: must be a non-empty array of tables"),
])
def test_a_mistake_is_one_line_naming_file_line_and_key(text: str, error: str) -> None:
    with pytest.raises(ConfigError) as raised:
        read_connections(text, "f.toml")
    assert str(raised.value).startswith(error)


def test_validate_says_what_a_connections_file_is(tmp_path: Path, capsys) -> None:
    good, bad = tmp_path / "rack3.toml", tmp_path / "bad.toml"
    good.write_text(GOOD)
    bad.write_text('[[connections]]\nuri = ""\n')
    assert main(["validate", str(good)]) == 0
    assert "ok: real hosts through libvirt, 2 connections" in capsys.readouterr().out
    assert main(["validate", str(bad)]) == 2
    assert "connections[0].uri" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "why"), [
    (["--speed", "4"], "--speed is not for real hosts"),
    (["--paused"], "--paused is not for real hosts"),
    (["--local"], "--local is not for real hosts"),
    (["--no-confirm"], "--no-confirm is not for real hosts: a destructive action on them "
                       "always asks first"),
    (["--allow-actions", "--read-only"], "--allow-actions and --read-only contradict"),
])
def test_what_real_hosts_cannot_take_is_refused_before_connecting(option, why, capsys) -> None:
    assert main(["--connect", "qemu+ssh://admin@kvm-a.invalid/system", *option]) == 2
    assert why in capsys.readouterr().err
