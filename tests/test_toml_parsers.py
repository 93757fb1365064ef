"""The compiled TOML parser (toml_rs, when installed) reads exactly what tomllib reads: the same
document for every shipped cluster, drill and theme file and every broken input file tomllib
accepts, and a refusal with tomllib's message (`parse_toml` hands such text to tomllib) for every
file tomllib refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.formats import toml
from console.formats.toml import ConfigError, parse_toml, tomllib
from console.paths import SAMPLE_CLUSTERS

TESTS = Path(__file__).parent
FILES = sorted([*SAMPLE_CLUSTERS.rglob("*.toml"), *(TESTS / "bad_inputs").rglob("*.toml")])


def test_there_are_files_to_compare() -> None:
    assert len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_the_same_document_or_tomllibs_refusal(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        expected = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError):
        expected = None
    if expected is None or toml.nesting_depth(expected) > toml.MAX_NESTING:
        with pytest.raises(ConfigError):
            parse_toml(text, path.name)
    else:
        # repr: NaN is not equal to itself, and the types of values must be the same too
        assert repr(parse_toml(text, path.name)) == repr(expected)


def test_the_compiled_parser_is_used_when_installed() -> None:
    """Without it a 40,000-VM file takes seconds to read (bench/engine_bench.py --part load)."""
    if toml.toml_rs is None:
        pytest.skip("toml_rs is not installed here")
    attempt = toml._toml_rs_attempt('a = 1\n[b]\nc = [1, 2]\n')
    assert attempt.document == {"a": 1, "b": {"c": [1, 2]}}
