"""`drill FILE --interactive` on a big cluster file opens its loading screen first, as the
console does: the drill and its cluster are read and checked behind it (before, the screen
stayed blank for seconds while they were checked, then loaded again). A problem found there is
the drill's one line after the screen, exit status 2. Through the command line in-process, the
app headless; counts the cluster's readings at the screen's opening, never time."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main
from console.formats import cluster as cluster_format
from console.ui import launch
from console.ui.screens.main import MainScreen

#: 20 hosts, 400 VMs written out one entry each: a file over launch.ASYNC_LOAD_BYTES.
CLUSTER = "".join(
    ['[cluster]\nname = "flat"\n\n'] +
    [f'[[nodes]]\nname = "h{i:02d}"\nhypervisor = "esxi"\ncpus = 2\ncores_per_cpu = 8\n'
     "memory_gb = 256\n\n" for i in range(20)] +
    [f'[[vms]]\nname = "vm{k:03d}"\nguest_os = "rhel"\nvcpus = 1\nmemory_gb = 2\n'
     f'host = "h{k % 20:02d}"\n\n' for k in range(400)])


def big_drill(tmp_path: Path, node: str) -> Path:
    (tmp_path / "flat.toml").write_text(CLUSTER, encoding="utf-8")
    path = tmp_path / "crash.toml"
    path.write_text(f'[drill]\nname = "crash"\ncluster = "flat.toml"\nduration_s = 120\n\n'
                    f'[[steps]]\nat = 30\ndo = "fail-node {node}"\n\n[[expect]]\n'
                    'that = "event node_failed for h07 within 60 s after step 1"\n',
                    encoding="utf-8")
    return path


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    """The console runs headless, quits once its main screen is up; the list gets how many
    times a cluster file had been read when the screen opened."""
    assert len(CLUSTER) > launch.ASYNC_LOAD_BYTES
    monkeypatch.setenv("TEXTUAL", "headless")  # the terminal check steps aside
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    reads: list[str] = []
    read_draft = cluster_format._read_draft

    def counted(text: str, filename: str, *args: object) -> object:
        reads.append(filename)
        return read_draft(text, filename, *args)

    monkeypatch.setattr(cluster_format, "_read_draft", counted)
    opened: list[int] = []

    def run(app) -> int | None:
        opened.append(len(reads))

        async def until_main(pilot) -> None:
            while not isinstance(app.screen, MainScreen):
                if app.load_error is not None:  # the app leaves by itself
                    return
                await pilot.pause()
            await pilot.press("q")

        return app.run(headless=True, size=(120, 40), auto_pilot=until_main)

    monkeypatch.setattr(launch, "_run", run)
    return opened


def test_a_big_drills_loading_screen_comes_before_its_cluster_is_read(
        tmp_path: Path, screen: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    path = big_drill(tmp_path, "h07")
    assert main(["drill", str(path), "--interactive", "--no-journal"]) == 1  # left early
    assert screen == [0]
    assert "drill crash ended at 0 s, before its end" in capsys.readouterr().err


def test_a_problem_found_behind_the_loading_screen_is_the_drills_one_line(
        tmp_path: Path, screen: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    path = big_drill(tmp_path, "nope")
    assert main(["drill", str(path), "--interactive", "--no-journal"]) == 2
    assert screen == [0]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cluster-console: {path}:8: steps[0].do:")
