"""Refusing a broken file costs no more than reading a good one: a syntax error is worded by
tomllib from the text through the line the compiled parser names (not the whole text), a
schema problem near the top is located without reading the rest, and every message stays
exactly tomllib's (checked on every broken input file and on randomly broken texts). Costs are
counted in characters read, never timed."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from console.formats import toml
from console.formats.cluster import parse_cluster
from console.formats.toml import ConfigError, parse_toml
from console.paths import SAMPLE_CLUSTERS

TESTS = Path(__file__).parent
FILES = sorted([*SAMPLE_CLUSTERS.rglob("*.toml"), *(TESTS / "bad_inputs").rglob("*.toml")])

needs_toml_rs = pytest.mark.skipif(toml.toml_rs is None, reason="toml_rs is not installed here")


def many_vms(count: int) -> str:
    """A valid cluster file of two hosts and `count` VMs, one `[[vms]]` entry each."""
    hosts = "".join(f'[[nodes]]\nname = "h{i}"\ncpu_cores = 64\nmemory_gb = 512\n\n'
                    for i in range(2))
    vms = "".join(f'[[vms]]\nname = "v{i}"\nguest_os = "rhel"\nvcpus = 1\nmemory_gb = 1\n\n'
                  for i in range(count))
    return f'[cluster]\nname = "big"\n\n{hosts}{vms}'


def tomllib_refusal(text: str) -> str | None:
    """What parsing the whole `text` with tomllib alone says (None: it accepts it)."""
    try:
        document = toml._tomllib_loads(text, "x.toml")
    except ConfigError as error:
        return str(error)
    if toml.nesting_depth(document) > toml.MAX_NESTING:
        return f"x.toml: {toml._too_deep()}"
    return None


def refusal(text: str) -> str | None:
    try:
        parse_toml(text, "x.toml")
    except ConfigError as error:
        return str(error)
    return None


def counting_tomllib(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The lengths of the texts handed to tomllib.loads from now on."""
    handed: list[int] = []
    loads = toml.tomllib.loads

    def counted(text: str, **options: Any) -> dict[str, Any]:
        handed.append(len(text))
        return loads(text, **options)

    monkeypatch.setattr(toml.tomllib, "loads", counted)
    return handed


@needs_toml_rs
@pytest.mark.parametrize("line", [1, 3, 40])
def test_a_syntax_error_is_worded_from_the_text_through_its_line(
        monkeypatch: pytest.MonkeyPatch, line: int) -> None:
    lines = many_vms(500).splitlines(keepends=True)
    lines[line - 1] = "vcpus = = 2\n" if line > 1 else "[cluster\n"
    text = "".join(lines)
    expected = tomllib_refusal(text)
    handed = counting_tomllib(monkeypatch)
    assert refusal(text) == expected is not None
    assert f"x.toml:{line}:" in expected
    assert sum(handed) <= len("".join(lines[:line]))


@needs_toml_rs
@pytest.mark.parametrize("broken", ["vcpus = = 2\n", "name = 'again'\n", "memory_", "[[vms]\n"])
def test_a_syntax_error_late_in_an_entry_is_worded_from_that_entry(
        monkeypatch: pytest.MonkeyPatch, broken: str) -> None:
    """A typo, a key written twice, a file cut short in the last `[[vms]]` entry, or a broken
    header after it: tomllib reads that entry, not the thousands before it."""
    lines = many_vms(500).splitlines(keepends=True)
    text = "".join(lines[:-3]) + broken
    expected = tomllib_refusal(text)
    handed = counting_tomllib(monkeypatch)
    assert refusal(text) == expected is not None
    assert f"x.toml:{len(lines) - 2}:" in expected
    assert sum(handed) <= 200


@needs_toml_rs
@pytest.mark.parametrize("end", ["\n", ""], ids=["newline", "cut"])
@pytest.mark.parametrize("broken", ["[[vms]]x", "[vms", "[vms]", "[[vms", "[vms.name]",
                                    "[ [vms]]"])
def test_a_broken_header_on_the_last_line_is_worded_from_the_entry_before_it(
        monkeypatch: pytest.MonkeyPatch, broken: str, end: str) -> None:
    """The last line of a 40,000-VM file a broken or repeated header (the whole file read by
    tomllib took 5 s): tomllib reads the last entry and that line, and says what it says of
    the whole text."""
    text = many_vms(500) + broken + end
    expected = tomllib_refusal(text)
    handed = counting_tomllib(monkeypatch)
    assert refusal(text) == expected is not None
    assert f"x.toml:{text.count(chr(10)) + (0 if end else 1)}:" in expected
    assert sum(handed) <= 200


@needs_toml_rs
@pytest.mark.parametrize("again", ["[cluster]\n", "[cluster]", "[[cluster]]\n",
                                   "[nodes]\nx = 1\n"])
def test_a_table_declared_again_late_is_worded_from_the_headers(
        monkeypatch: pytest.MonkeyPatch, again: str) -> None:
    """A header that only an early header declared (`[cluster]` again at the end, after
    the entries): tomllib reads the headers before it, not the text between them, and says
    what it says of the whole text."""
    text = many_vms(500) + again
    expected = tomllib_refusal(text)
    handed = counting_tomllib(monkeypatch)
    assert refusal(text) == expected is not None
    assert f"x.toml:{many_vms(500).count(chr(10)) + 1}:" in expected
    assert sum(handed) <= len(text) // 4


@needs_toml_rs
@pytest.mark.parametrize("again", ["[vms.workload]\n", "[cluster.name]\n"])
def test_a_header_only_a_key_makes_wrong_is_tomllibs_refusal(again: str) -> None:
    """A header over what a key set (`workload = {...}` in the last entry, `name` in
    `[cluster]`): the headers alone accept it, so tomllib reads on, and says what it says."""
    text = many_vms(50).replace("memory_gb = 1\n", "memory_gb = 1\nworkload = { cpu = 0.5 }\n")
    text += again
    expected = tomllib_refusal(text)
    assert expected is not None
    assert refusal(text) == expected


def key_lines_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How far into its text each reading of key lines got (`_KeyLines.read`), in order."""
    read_up_to: list[int] = []
    read = toml._KeyLines.read

    def counted(self: toml._KeyLines) -> dict[toml._KeyPath, int]:
        lines = read(self)
        read_up_to.append(self.position)
        return lines

    monkeypatch.setattr(toml._KeyLines, "read", counted)
    return read_up_to


def test_a_schema_problem_at_the_top_is_located_without_reading_the_rest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    text = many_vms(500).replace('name = "big"', "name = 5", 1)
    handed = counting_tomllib(monkeypatch)
    read_up_to = key_lines_reads(monkeypatch)
    with pytest.raises(ConfigError, match=r"^x\.toml:2: cluster\.name: must be a name"):
        parse_cluster(text, "x.toml")
    assert sum(handed) == 0 if toml.toml_rs is not None else sum(handed) == len(text)
    assert read_up_to and max(read_up_to) <= len("[cluster]\nname = 5\n")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_tomllibs_own_message_for_every_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    assert refusal(text) == tomllib_refusal(text)


BREAKS = ["=", "[", "]", '"', "'", '"""', "{", ",", ".", "\n", "\n[cluster]\n", "\n[[vms]]\n",
          "x", " = 1\n", "99999999999999999999999", "#", "\\"]


@pytest.mark.parametrize("seed", range(3))
def test_tomllibs_own_message_for_texts_broken_late(seed: int) -> None:
    chance = random.Random(seed)
    source = many_vms(60).splitlines(keepends=True)
    for _ in range(60):
        lines = list(source)
        i = chance.randrange(len(lines) // 2, len(lines))
        if chance.random() < 0.3:
            lines.insert(chance.randrange(i, len(lines) + 1), lines[i])
        else:
            at = chance.randint(0, len(lines[i]))
            lines[i] = lines[i][:at] + chance.choice(BREAKS) + lines[i][at:]
        if chance.random() < 0.3:  # cut short, perhaps in the middle of a line
            cut = "".join(lines)
            lines = [cut[: chance.randrange(len(cut) // 2, len(cut) + 1)]]
        broken = "".join(lines)
        assert refusal(broken) == tomllib_refusal(broken), broken[-300:]


@pytest.mark.parametrize("seed", range(6))
def test_tomllibs_own_message_for_randomly_broken_texts(seed: int) -> None:
    chance = random.Random(seed)
    sources = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE_CLUSTERS.rglob("*.toml"))]
    for _ in range(40):
        text = chance.choice(sources)
        lines = text.splitlines(keepends=True)
        for _ in range(chance.randint(1, 2)):
            if chance.random() < 0.3 and lines:  # a line written twice
                i = chance.randrange(len(lines))
                lines.insert(chance.randrange(len(lines)), lines[i])
            else:
                i = chance.randrange(len(lines))
                at = chance.randint(0, len(lines[i]))
                lines[i] = lines[i][:at] + chance.choice(BREAKS) + lines[i][at:]
        if chance.random() < 0.2:  # cut short
            lines = lines[: chance.randrange(1, len(lines) + 1)]
        broken = "".join(lines)
        assert refusal(broken) == tomllib_refusal(broken), broken


def test_a_schema_problem_in_a_table_after_the_entries_is_located_from_that_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`[ha]` written after thousands of `[[vms]]` entries (settings at the end of a file):
    its line is found from the text before the first header and the `[ha]` part, not by
    reading every entry in Python (seconds at 40,000 VMs)."""
    text = many_vms(500) + "[ha]\nfence_s = -1\n"
    read_up_to = key_lines_reads(monkeypatch)
    assert toml.locate(text, "ha.fence_s") == text.count("\n")
    assert toml.locate(text, "ha") == text.count("\n") - 1
    assert read_up_to and max(read_up_to) <= len("[ha]\nfence_s = -1\n")


@pytest.mark.parametrize("path", [p for p in FILES if p.stat().st_size < 20_000],
                         ids=lambda p: str(p.relative_to(p.parents[1])))
def test_a_top_level_names_lines_are_the_whole_readings(path: Path) -> None:
    """Every key path the whole reading of a file notes has the same line when read from its
    top-level name's parts only (where those can be told for sure)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        whole = toml._KeyLines(text).read()
    except RecursionError:  # nesting past Python's limit (refused before any line is wanted)
        return
    for key, line in list(whole.items())[:60]:  # (a file of deep headers has thousands)
        parts = toml._table_lines(text, key)
        if parts is not None and key in parts:
            assert parts[key] == line, key
