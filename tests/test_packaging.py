"""The package carries its data, and the user's folders follow the XDG rules README documents.

The first test builds the package the way a wheel is built (setuptools' build_py from a copy of
pyproject.toml, README.md and console/) and compares the built file list with console/data/, so
a data file that pyproject.toml does not declare fails here rather than on a user's machine.
`.ci/run` goes further: it builds the wheel, installs it into a fresh venv and runs the samples.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

import console
from console.paths import (
    DEFAULT_CLUSTER,
    SAMPLE_CLUSTERS,
    SHIPPED_DATA,
    THEMES,
    config_dir,
    data_dir,
)
from console.ui.keys import keymap_path
from console.ui.themes import SHIPPED_ORDER, load_themes

REPOSITORY = Path(console.__file__).parent.parent


def _data_files(package: Path) -> set[str]:
    data = package / "data"
    return {p.relative_to(data).as_posix() for p in data.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_built_package_carries_every_data_file(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPOSITORY / name, source / name)
    shutil.copytree(REPOSITORY / "console", source / "console",
                    ignore=shutil.ignore_patterns("__pycache__"))
    built = tmp_path / "lib"
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()",
                    "build_py", "--build-lib", str(built)],
                   cwd=source, check=True, capture_output=True)

    shipped = _data_files(built / "console")
    assert shipped == _data_files(REPOSITORY / "console")
    assert "sample_clusters/seed.toml" in shipped
    assert {f"themes/{name}.toml" for name in SHIPPED_ORDER} <= shipped
    assert "sample_clusters/drills/node-crash.toml" in shipped
    assert "sample_clusters/traces/README.md" in shipped
    assert {"sample_clusters/libvirt/host-a.xml", "sample_clusters/libvirt/host-b.xml"} <= shipped


def test_the_shipped_data_is_found_through_importlib_resources() -> None:
    assert files("console") / "data" == SHIPPED_DATA
    assert DEFAULT_CLUSTER == SAMPLE_CLUSTERS / "seed.toml" and DEFAULT_CLUSTER.is_file()
    assert sorted(p.stem for p in THEMES.glob("*.toml")) == sorted(SHIPPED_ORDER)
    # sample drills name their cluster as ../seed.toml
    drill = SAMPLE_CLUSTERS / "drills" / "node-crash.toml"
    assert 'cluster = "../seed.toml"' in drill.read_text(encoding="utf-8")
    assert (drill.parent / ".." / "seed.toml").resolve() == DEFAULT_CLUSTER.resolve()


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG rules are Linux's")
def test_user_folders_follow_xdg_config_home_and_xdg_data_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert config_dir() == tmp_path / "cfg" / "cluster-console"
    assert data_dir() == tmp_path / "share" / "cluster-console"
    assert keymap_path() == tmp_path / "cfg" / "cluster-console" / "keys.toml"


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG rules are Linux's")
def test_user_folders_default_to_dot_config_and_dot_local_share(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_dir() == tmp_path / ".config" / "cluster-console"
    assert data_dir() == tmp_path / ".local" / "share" / "cluster-console"
    assert not config_dir().exists() and not data_dir().exists()  # looked up, never created

    user_themes = tmp_path / ".config" / "cluster-console" / "themes"
    user_themes.mkdir(parents=True)
    (user_themes / "mine.toml").write_text('name = "mine"\nprimary = "#00ff00"\n',
                                           encoding="utf-8")
    assert [t.name for t in load_themes()] == [*SHIPPED_ORDER, "mine"]
    assert keymap_path() == tmp_path / ".config" / "cluster-console" / "keys.toml"
