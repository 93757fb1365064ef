"""A TOML text parsed ahead in a forked child (console.formats.parse_ahead) is the document the
text parses to here: the same values of the same types (repr compares NaN, -0.0 and bools), for
the shipped files and randomised ones (fixed seeds); what the child cannot hand over (a date),
a text it refuses, or another text object, and the reader parses the text itself, with the
same document or the same refusal. A parse ahead never taken is ended."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from console.formats import parse_ahead, toml
from console.formats.cluster import parse_cluster
from console.formats.cluster.write import cluster_text
from console.formats.toml import ConfigError, parse_toml
from console.paths import SAMPLE_CLUSTERS

pytestmark = pytest.mark.skipif(toml.toml_rs is None or not hasattr(os, "fork"),
                                reason="toml_rs and os.fork are needed to parse ahead")


@pytest.fixture
def any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse ahead whatever the text's length, also in a test process that runs threads."""
    monkeypatch.setattr(parse_ahead, "MIN_CHARS", 0)
    monkeypatch.setattr(parse_ahead, "_alone", lambda: True)
    yield
    parse_ahead.discard()


def taken_ahead(text: str) -> object:
    assert parse_ahead.start(text)
    return parse_ahead.taken(text)


@pytest.mark.parametrize("name", ["seed.toml", "datacenter.toml"])
def test_a_shipped_cluster_file_parsed_ahead_is_the_document(name: str, any_size) -> None:
    text = (SAMPLE_CLUSTERS / name).read_text(encoding="utf-8")
    assert repr(taken_ahead(text)) == repr(toml.toml_rs.loads(text, toml_version="1.0.0"))


def random_value(rng: random.Random, depth: int = 0) -> str:
    kinds = ["int", "float", "str", "bool", "special"] + (["array", "table"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return str(rng.choice([0, 1, -1, 2**62, -(2**63), rng.randrange(-10**6, 10**6)]))
    if kind == "float":
        return repr(rng.choice([0.0, -0.0, 1.0, 0.3, 1e300, -2.5e-300, rng.random()]))
    if kind == "str":
        return '"' + rng.choice(["", "rhel", r"h\u00e9te", r'a\"b', r"\ud7ff", "x" * 50]) + '"'
    if kind == "bool":
        return rng.choice(["true", "false"])
    if kind == "special":
        return rng.choice(["nan", "-nan", "inf", "-inf", "+inf"])
    if kind == "array":
        return "[" + ", ".join(random_value(rng, depth + 1) for _ in range(rng.randrange(4))) + "]"
    return "{ " + ", ".join(f"k{i} = {random_value(rng, depth + 1)}"
                            for i in range(rng.randrange(4))) + " }"


def random_text(seed: int) -> str:
    rng = random.Random(seed)
    parts = [f"top = {random_value(rng)}\n"]
    for i in range(rng.randrange(1, 40)):
        parts.append(f"[[entries]]\nname = \"e{i}\"\n")
        parts += [f"key{k} = {random_value(rng)}\n" for k in range(rng.randrange(5))]
    return "".join(parts)


@pytest.mark.parametrize("seed", range(12))
def test_random_documents_parsed_ahead_are_the_documents(seed: int, any_size) -> None:
    text = random_text(seed)
    assert repr(taken_ahead(text)) == repr(toml.toml_rs.loads(text, toml_version="1.0.0"))
    assert parse_ahead.start(text)  # the reader's own parse takes it as well
    assert repr(parse_toml(text, "x.toml")) == repr(toml.tomllib.loads(text))


def test_a_document_with_a_date_is_parsed_by_the_reader(any_size) -> None:
    text = 'when = 1979-05-27\n[a]\nb = 1\n'
    assert taken_ahead(text) is None  # marshal does not write dates
    assert parse_ahead.start(text)
    assert repr(parse_toml(text, "x.toml")) == repr(toml.tomllib.loads(text))


def test_a_refused_text_is_refused_by_the_reader_in_the_same_words(any_size) -> None:
    """The child's refusal is handed over (toml_rs's message, naming the line): the reader
    does not parse the text with toml_rs again to find it (a typo late in a 6 MB file took a
    second parse), and says what it always said."""
    text = "[a]\nb = 1\nc = [1,\n"
    with pytest.raises(ConfigError) as plain:
        parse_toml(text, "x.toml")
    with pytest.raises(parse_ahead.Refused, match="line 3"):
        taken_ahead(text)
    calls: list[str] = []
    for parse in (parse_toml, lambda text, name: toml.parse_and_read(text, name, dict)):
        assert parse_ahead.start(text)
        with pytest.MonkeyPatch.context() as patch, pytest.raises(ConfigError) as ahead:
            patch.setattr(toml.toml_rs, "loads", lambda text, **_: calls.append(text))
            parse(text, "x.toml")
        assert str(ahead.value) == str(plain.value)
        assert calls == []  # toml_rs's refusal came from the child


def test_only_the_very_text_takes_the_parse_and_one_never_taken_is_ended(any_size) -> None:
    text = "a = 1\n" * 3
    other = "".join(["a = 1\n"] * 3)  # equal, another object
    assert other == text and other is not text
    assert parse_ahead.start(text)
    pid = parse_ahead._ahead.pid
    assert not parse_ahead.start(text)  # one at a time
    assert parse_ahead.taken(other) is None
    parse_ahead.discard()
    assert parse_ahead._ahead is None
    with pytest.raises(ChildProcessError):  # reaped
        os.waitpid(pid, 0)
    assert parse_ahead.taken(text) is None


def test_nothing_is_forked_for_a_short_text_or_beside_another_thread() -> None:
    assert not parse_ahead.start("a = 1\n")  # below MIN_CHARS
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not parse_ahead.start("a = 1\n" * parse_ahead.MIN_CHARS)
    finally:
        release.set()
        other.join()
    assert parse_ahead._ahead is None


FLAT = "".join(
    ['[cluster]\nname = "flat"\n\n'] +
    [f'[[nodes]]\nname = "h{i:03d}"\nhypervisor = "esxi"\ncpus = 2\ncores_per_cpu = 8\n'
     f"memory_gb = 256\n\n" for i in range(20)] +
    [f'[[vms]]\nname = "vm{k:04d}"\nguest_os = "rhel"\nvcpus = {1 + k % 4}\n'
     f"memory_gb = {2 + k % 8}\n" + (f'host = "h{k // 20:03d}"\n' if k % 2 else "") +
     f'workload = {{ cpu = 0.3, disk_mbps = {k % 3}, profile = "steady" }}\n\n'
     for k in range(400)])


def test_a_cluster_loaded_from_a_parse_ahead_is_the_cluster(any_size) -> None:
    plain = cluster_text(parse_cluster(FLAT, "flat.toml"))
    assert parse_ahead.start(FLAT)
    assert cluster_text(parse_cluster(FLAT, "flat.toml")) == plain
    assert parse_ahead._ahead is None  # taken


def test_the_console_parses_a_big_file_ahead(tmp_path: Path, monkeypatch) -> None:
    """`cluster-console FILE` starts the parse ahead as soon as it has read a big file."""
    from console.cli import console as console_cli

    path = tmp_path / "big.toml"
    path.write_text(FLAT)
    started: list[str] = []
    monkeypatch.setattr(parse_ahead, "start", started.append)
    monkeypatch.setattr("console.ui.launch.open_console", lambda *a, **k: 0)
    assert console_cli.run([str(path), "--no-journal"]) == 0
    assert started == [FLAT]
