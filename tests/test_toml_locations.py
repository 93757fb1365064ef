"""Every error in a checked TOML file names the line of the key (or value) at fault.

The files are written the many ways TOML allows: inline tables, arrays of inline tables, dotted
keys, multi-line strings that contain lines looking like headers or keys, comments with
brackets, quoted keys with dots and brackets. The expected line is the one marked `# <-`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import TWO_HOSTS
from hypothesis import given, settings
from hypothesis import strategies as st

from console.drills.plan import parse_drill
from console.formats.cluster import parse_cluster
from console.formats.toml import ConfigError, bare, locate, parse_toml
from console.paths import SAMPLE_CLUSTERS, THEMES
from console.ui.keys import load_keymap
from console.ui.themes import load_theme

BASE = TWO_HOSTS  # tests append to it; see cluster_helpers


def marked(text: str) -> int:
    """The 1-based line marked `# <-` (exactly one)."""
    lines = [i for i, line in enumerate(text.splitlines(), 1) if line.endswith("# <-")]
    assert len(lines) == 1, "mark exactly one line"
    return lines[0]


def cluster_error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_cluster(text, "x.toml")
    return str(caught.value)


# -- through the loaders: cluster files ---------------------------------------------------------

CLUSTER_CASES = {
    "inline table under [[vms]]": (BASE + textwrap.dedent("""\
        [[vms]]
        name = "v"
        guest_os = "rhel"
        workload = { profile = "steady", cpu = 2 }  # <-
        """), "vms[0].workload.cpu"),
    "inline table after a string that holds a header": (BASE + textwrap.dedent("""\
        [[vms]]
        name = "v"
        guest_os = "rhel"
        anti_affinity = ['''
        [w]
        ''']
        workload = { cpu = 2 }  # <-
        """), "vms[0].workload.cpu"),
    "dotted key under [[vms]]": (BASE + textwrap.dedent("""\
        [[vms]]
        name = "v"
        guest_os = "rhel"
        workload.profile = "steady"
        workload.cpu = 2  # <-
        """), "vms[0].workload.cpu"),
    "dotted key naming an array of tables' entry table": (BASE + textwrap.dedent("""\
        [[vms]]
        name = "v"
        guest_os = "rhel"

        [[vms]]
        name = "w"
        guest_os = "rhel"
        workload . "cpu" = 2  # <-
        """), "vms[1].workload.cpu"),
    "[[nodes]] inside a multi-line basic string": (textwrap.dedent('''\
        [cluster]
        name = "t"
        description = """
        [[nodes]]
        name = "fake"
        """

        [[nodes]]
        name = "A"
        hypervisor = "esxi"

        [[nodes]]
        name = "B"
        hypervisor = "nope"  # <-
        '''), "nodes[1].hypervisor"),
    "keys inside a multi-line literal string": (BASE + textwrap.dedent("""\
        [[vms]]
        name = "v"
        guest_os = "rhel"

        [[vms]]
        name = "w"
        guest_os = "rhel"
        anti_affinity = ['''
        ]]]
        vcpus = 0
        [ha]
        ''']
        vcpus = 0  # <-
        """), "vms[1].vcpus"),
    "multi-line string with an escaped quote and closing quotes": (textwrap.dedent('''\
        [cluster]
        name = "t"
        description = """not the end: \\""" and
        [[nodes]]
        name = "fake"
        five quotes close, two of them in the string: """""

        [[nodes]]
        name = "A"
        hypervisor = "esxi"

        [[nodes]]
        name = "B"
        hypervisor = "nope"  # <-
        '''), "nodes[1].hypervisor"),
    "comments with brackets": (BASE + textwrap.dedent("""\
        # [[vms]] entries follow; [ha] is at the end
        [[vms]]  # the first [[vms]]
        name = "v"  # ] not a header [
        guest_os = "rhel"
        #[[vms]]
        # memory_gb = 1
        memory_gb = -1  # <-
        """), "vms[0].memory_gb"),
    "quoted table and key names": (BASE + textwrap.dedent("""\
        [ "ha" ]
        "enabled" = true
        'fence_s' = -1  # <-
        """), "ha.fence_s"),
    "unknown quoted key with a dot": (BASE + textwrap.dedent("""\
        [ha]
        enabled = true
        "fence.s" = 1  # <-
        fence = 1
        """), 'ha."fence.s"'),
    "unknown quoted key with brackets": (BASE + textwrap.dedent("""\
        [ha]
        enabled = true
        "fence_s[0]" = 1  # <-
        """), 'ha."fence_s[0]"'),
    "key repeated in every entry of an array of tables": (BASE + textwrap.dedent("""\
        [[vms]]
        name = "v"
        guest_os = "rhel"
        memory_gb = 1
        [[vms]]
        name = "w"
        guest_os = "rhel"
        memory_gb = 1
        [[vms]]
        name = "x"
        guest_os = "rhel"
        memory_gb = -1  # <-
        """), "vms[2].memory_gb"),
    "sub-table repeated in every entry of an array of tables": (BASE + textwrap.dedent("""\
        [[vms]]
        name = "v"
        guest_os = "rhel"
        [vms.workload]
        cpu = 0.5
        [[vms]]
        name = "w"
        guest_os = "rhel"
        [vms.workload]
        cpu = 2  # <-
        """), "vms[1].workload.cpu"),
    "an element of a multi-line array": (BASE.replace("memory_gb = 16", textwrap.dedent("""\
        memory_gb = 16
        disks_gb = [
          300,  # the system disk [0]
          -1,  # <-
        ]""")), "nodes[0].disks_gb[1]"),
    "array of inline tables": (textwrap.dedent("""\
        nodes = [
          { name = "A", hypervisor = "esxi" },  # [[nodes]] as values
          { name = "B", hypervisor = "nope" },  # <-
        ]
        [cluster]
        name = "t"
        """), "nodes[1].hypervisor"),
    "array of inline tables, one per line": (textwrap.dedent("""\
        nodes = [{ name = "A", hypervisor = "esxi" },
                 { name = "B", hypervisor = "esxi", bogus = 1 }]  # <-
        [cluster]
        name = "t"
        """), "nodes[1].bogus"),
}


@pytest.mark.parametrize("case", list(CLUSTER_CASES))
def test_cluster_errors_name_the_line_at_fault(case: str) -> None:
    text, key = CLUSTER_CASES[case]
    assert cluster_error(text).startswith(f"x.toml:{marked(text)}: {key}: ")


# -- through the loaders: drills, keys, themes --------------------------------------------------


def test_drill_step_after_a_string_holding_a_steps_header(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text(BASE, encoding="utf-8")
    text = textwrap.dedent('''\
        [drill]
        name = "d"
        description = """
        [[steps]]
        at = 5
        """
        cluster = "c.toml"
        duration_s = 100

        [[steps]]
        at = 10
        do = "fail-node A"

        [[steps]]
        do = "power-on A"
        at = 500  # <-
        ''')
    filename = str(tmp_path / "d.toml")
    with pytest.raises(ConfigError) as caught:
        parse_drill(text, filename)
    assert str(caught.value).startswith(f"{filename}:{marked(text)}: steps[1].at: ")


def test_keymap_dotted_key(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    text = 'keys.help = "f1"\nkeys.nonsense = "x"  # <-\n'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_keymap(path)
    assert str(caught.value).startswith(f"{path}:{marked(text)}: keys.nonsense: ")


def test_theme_dotted_variable(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    text = 'name = "t"\nprimary = "#ffffff"\nvariables.good = "x"\nvariables.bad = 1  # <-\n'
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_theme(path)
    assert str(caught.value).startswith(f"{path}:{marked(text)}: variables.bad: ")


# -- the locator itself -------------------------------------------------------------------------

DOCUMENT = textwrap.dedent('''\
    top = 1                                   # 1
    a.b.c = "x"                               # 2
    "q.k" = { "in[0]" = 1, deep.er = [        # 3
      { x = 1 },                              # 4
      [ 2, 3 ], ]}                            # 5
    text = """                                # 6
    [[t]]
    k = 1
    """
    lit = \'\'\'                                  # 10
    [t]
    \'\'\'
    [[t]]                                     # 13
    k = 1                                     # 14
    [t.sub]                                   # 15
    k = 2                                     # 16
    [[t]]                                     # 17
    [[t.list]]                                # 18
    k = 3                                     # 19
    [[t.list]]                                # 20
    k = 4                                     # 21
    [t.list.deep]                             # 22
    [x.y.z]                                   # 23
    [x]                                       # 24
    "a\\u002Eb" = 1                            # 25
    "" = 2                                    # 26
    ''')


@pytest.mark.parametrize(("key", "line"), [
    ("top", 1),
    ("a", 2), ("a.b", 2), ("a.b.c", 2),
    ('"q.k"', 3), ('"q.k"."in[0]"', 3), ('"q.k".deep', 3), ('"q.k".deep.er', 3),
    ('"q.k".deep.er[0]', 4), ('"q.k".deep.er[0].x', 4),
    ('"q.k".deep.er[1]', 5), ('"q.k".deep.er[1][1]', 5),
    ("text", 6), ("lit", 10),
    ("t[0]", 13), ("t[0].k", 14), ("t[0].sub", 15), ("t[0].sub.k", 16),
    ("t[1]", 17), ("t[1].list[0]", 18), ("t[1].list[0].k", 19),
    ("t[1].list[1]", 20), ("t[1].list[1].k", 21), ("t[1].list[1].deep", 22),
    ("x.y", 23), ("x.y.z", 23),
    ("x", 24),                      # its own header, not the first header that names it
    ('x."a.b"', 25),                # the escape decoded, as the parser does
    ('x.""', 26),
    ("t", 13),                      # an array of tables: its first header
    # not written: the nearest enclosing table, entry or key that is
    ("t[0].missing", 13), ("t[0].sub.missing", 15), ("t[1].sub.k", 17), ("top.nothing", 1),
    ("t[2].k", 13),
    # nothing to point at
    ("nowhere", None), ("", None), ("x[", None),
])
def test_locate(key: str, line: int | None) -> None:
    assert parse_toml(DOCUMENT, "d.toml")  # the document is valid TOML
    assert locate(DOCUMENT, key) == line


def test_locate_crlf_line_ends() -> None:
    text = '[a]\r\nb = """\r\n[a]\r\nc = 1\r\n"""\r\nc = 2\r\n'
    assert locate(text, "a.c") == 6


def paths(value: Any, prefix: str = "") -> list[str]:
    """Every key path in a parsed document, spelt as problems spell them."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = joined(prefix, key)
            found += [path, *paths(item, path)]
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += [f"{prefix}[{i}]", *paths(item, f"{prefix}[{i}]")]
    return found


SHIPPED = sorted([*SAMPLE_CLUSTERS.glob("*.toml"), *SAMPLE_CLUSTERS.glob("drills/*.toml"),
                  *THEMES.glob("*.toml")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_key_of_the_shipped_files_has_its_own_line(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for key in paths(parse_toml(text, path.name)):
        line = locate(text, key)
        assert line is not None, key
        name = key.rsplit(".", 1)[-1]
        if not name.endswith("]"):
            assert name in lines[line - 1], (key, line)


# -- any document: every key path written, in any style, is found on its own line ---------------

DECOYS = ("[[s0]]", "[s1]", "[s0.sub]", "k0 = 1", '"k.1" = 2', "# [x]", "]]", "{ k2 = 3 }")
NAMES = ("k0", "k1", "k2", "k.1", "k[2]", "k 3")


def joined(table: str, name: str) -> str:
    """The key path of `name` in `table`, spelt as problems spell it."""
    return f"{table}.{bare(name)}" if table else bare(name)


class Writer:
    """Writes a TOML document line by line, noting the line every key path should be found on
    (the first line that writes it)."""

    def __init__(self, data: st.DataObject) -> None:
        self.draw = data.draw
        self.lines: list[str] = []
        self.expected: dict[str, int] = {}

    def put(self, text: str, *paths: str) -> None:
        """Add `text` (perhaps several lines); `paths` are set on its first line."""
        self.lines += text.split("\n")
        for path in paths:
            self.expected.setdefault(path, len(self.lines) - text.count("\n"))

    def key(self, name: str) -> str:
        if bare(name) == name:
            return name
        return self.draw(st.sampled_from([json.dumps(name), f"'{name}'"]))

    def decoys(self) -> str:
        return "\n".join(self.draw(st.lists(st.sampled_from(DECOYS), min_size=1, max_size=3)))

    def key_value(self, table: str, name: str) -> None:
        path, key = joined(table, name), self.key(name)
        style = self.draw(st.integers(0, 7))
        if style == 0:
            self.put(f"{key} = 1  # [[not]] a header", path)
        elif style == 1:
            self.put(f'{key} = "a # [x] \\" b"', path)
        elif style == 2:
            self.put(f'{key} = """\n{self.decoys()}\n"""', path)
        elif style == 3:
            self.put(f"{key} = '''{self.decoys()}'''", path)
        elif style == 4:
            self.put(f"{key} = [  # [ a comment ]", path)
            for i in range(self.draw(st.integers(0, 3))):
                self.put(f'  "[{i}]",  # ]' if i % 2 else f"  {i},", f"{path}[{i}]")
            self.put("]")
        elif style == 5:
            self.put(f'{key} = {{ a = 1, "b.c" = [2, {{ d = 3 }}] }}',
                     path, f"{path}.a", f'{path}."b.c"', f'{path}."b.c"[0]',
                     f'{path}."b.c"[1]', f'{path}."b.c"[1].d')
        elif style == 6:
            self.put(f"{key} . inner = 1", path, f"{path}.inner")
        else:
            self.put(f"{key} = [", path)
            for i in range(self.draw(st.integers(0, 2))):
                self.put(f"  {{ a = {i} }},", f"{path}[{i}]", f"{path}[{i}].a")
            self.put("]")

    def table(self, path: str) -> None:
        for name in self.draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=3)):
            self.key_value(path, name)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_locate_any_document(data: st.DataObject) -> None:
    doc = Writer(data)
    doc.table("")
    for s in range(data.draw(st.integers(0, 3))):
        section = f"s{s}"
        if data.draw(st.booleans()):
            doc.put(f"[{section}]", section)
            doc.table(section)
            continue
        for entry in range(data.draw(st.integers(1, 3))):
            doc.put(f"[[ {section} ]]", section, f"{section}[{entry}]")
            doc.table(f"{section}[{entry}]")
            if data.draw(st.booleans()):
                doc.put(f"[{section}.sub]  # of entry {entry}", f"{section}[{entry}].sub")
                doc.table(f"{section}[{entry}].sub")
    text = data.draw(st.sampled_from(["\n", "\r\n"])).join(doc.lines) + "\n"
    assert set(paths(parse_toml(text, "any.toml"))) == set(doc.expected)
    for path, line in doc.expected.items():
        assert locate(text, path) == line, path


@settings(max_examples=500)
@given(st.text() | st.text(alphabet="[]{}\"'#=.,\\\n\r \tab1"))
def test_locate_ends_and_never_raises_on_text_that_is_not_toml(text: str) -> None:
    line = locate(text, "a.b[0].c")
    assert line is None or 1 <= line <= text.count("\n") + 1
