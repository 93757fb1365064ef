"""`replay FILE --cast OUT.cast [--svg DIR]`: the console replaying, headless, as asciicast v2.

The format is checked in pure Python (header, events, times), and the frames are played back
with a tiny terminal model that knows exactly what the writer emits (cursor to row y, column 1,
then a row); `asciinema cat` is run too when the asciinema CLI is installed (a test extra)."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
import sys

import pytest
from test_replay_console import a_recording
from ui_helpers import make_app

from console.cli import main
from console.formats.recording import load_recording
from console.model.commands import parse
from console.ui.cast import CastWriter, export, screen_lines

ROW = re.compile(r"\x1b\[(\d+);1H")
SGR_OR_MODE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def read_cast(path) -> tuple[dict, list[list]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


def play(data: str, height: int) -> list[str]:
    """The screen after `data`: rows as plain text (what the writer emits, nothing more)."""
    rows = [""] * height
    cuts = list(ROW.finditer(data))
    for k, cut in enumerate(cuts):
        end = cuts[k + 1].start() if k + 1 < len(cuts) else len(data)
        rows[int(cut.group(1)) - 1] = SGR_OR_MODE.sub("", data[cut.end():end])
    return rows


@pytest.fixture(scope="module")
def cast_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cast")
    rec = folder / "r.jsonl"
    a_recording(rec, "30 fail-node B", "95 migrate web01 B", "150 power-on B", end=300.0,
                marks=[(60, "after the crash"), (280, "B/back")])
    out, svg = folder / "out.cast", folder / "svg"
    result = export(load_recording(rec), cast=out, svg_dir=svg, speed=40.0)
    return result, out, svg


def test_the_cli_writes_a_cast(tmp_path, capsys):
    rec, out = tmp_path / "r.jsonl", tmp_path / "o.cast"
    a_recording(rec, "5 fail-node B", end=20.0)
    assert main(["replay", str(rec), "--cast", str(out)]) == 0
    assert f"wrote {out}: " in capsys.readouterr().err
    header, events = read_cast(out)
    assert header["version"] == 2 and events[-1][0] == pytest.approx(2.0)  # x10


def test_the_cast_is_asciicast_v2(cast_run):
    _, out, _ = cast_run
    header, events = read_cast(out)
    assert header["version"] == 2 and (header["width"], header["height"]) == (120, 40)
    assert isinstance(header["timestamp"], int) and isinstance(header["env"], dict)
    assert set(header["env"]) == {"TERM", "SHELL"}
    assert len(events) > 20
    times = [e[0] for e in events]
    assert all(isinstance(e, list) and len(e) == 3 and e[1] == "o" and isinstance(e[2], str)
               for e in events)
    assert times == sorted(times) and times[0] == 0.0
    assert times[-1] == pytest.approx(7.5)  # 300 simulated seconds at x40


def test_the_cast_ends_on_the_consoles_final_screen(cast_run):
    result, out, _ = cast_run
    header, events = read_cast(out)
    screen = play("".join(e[2] for e in events), header["height"])
    assert screen == result.final_screen  # what the console showed last
    text = "\n".join(screen)
    assert "REPLAY" in text and "00:05:00 / 00:05:00" in text and " END " in text
    assert re.search(r"B +online", text)  # powered on again at 150 s
    assert "migrate web01 B" in text  # the event log pane


def test_every_frame_stands_alone_after_the_first(cast_run):
    """Each event rewrites whole rows from column 1: playing up to any event shows a complete
    frame of the console (the header row is there from the first event on)."""
    _, out, _ = cast_run
    header, events = read_cast(out)
    assert events[0][2].startswith("\x1b[?25l\x1b[H\x1b[2J")
    first = play(events[0][2], header["height"])
    assert all(len(row) == header["width"] for row in first)
    # the cast's speed, as the bar says
    assert first[0].startswith(" seed │ REPLAY │ 00:00:00 x40 ")
    assert "PLAYING x40" in "\n".join(first)
    for event in events[1:-1]:
        assert ROW.match(event[2])  # a row from column 1, nothing in between
        assert all(len(row) == header["width"]
                   for row in play(event[2], header["height"]) if row)


def test_svg_screenshots_at_the_marks_and_the_end(cast_run):
    _, _, svg = cast_run
    names = sorted(p.name for p in svg.iterdir())
    assert names == ["001-after-the-crash.svg", "002-B-back.svg", "003-end.svg"]
    crash = (svg / "001-after-the-crash.svg").read_text()
    assert crash.startswith("<svg") and "00:01:00" in crash.replace("&#160;", " ")


def test_cast_writer_rewrites_only_changed_rows():
    stream = io.StringIO()
    writer = CastWriter(stream, 10, 3, timestamp=0)
    assert writer.frame(0.0, ["aaa", "bbb", "ccc"])
    assert not writer.frame(0.5, ["aaa", "bbb", "ccc"])  # nothing changed: no event
    assert writer.frame(1.0, ["aaa", "BBB", "ccc"])
    writer.close()
    lines = stream.getvalue().splitlines()
    assert json.loads(lines[0]) == {"version": 2, "width": 10, "height": 3, "timestamp": 0,
                                    "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"}}
    second = json.loads(lines[2])
    assert second == [1.0, "o", "\x1b[2;1H\x1b[0mBBB\x1b[0m"]
    assert json.loads(lines[-1])[0] == 1.0


def _asciinema() -> list[str] | None:
    if shutil.which("asciinema"):
        return ["asciinema"]
    probe = subprocess.run([sys.executable, "-m", "asciinema", "--version"],
                           capture_output=True, check=False)
    return [sys.executable, "-m", "asciinema"] if probe.returncode == 0 else None


def test_asciinema_cat_prints_the_final_screen(cast_run):
    command = _asciinema()
    if command is None:
        pytest.skip("the asciinema CLI is not installed (a test extra)")
    _, out, _ = cast_run
    header, events = read_cast(out)
    done = subprocess.run([*command, "cat", str(out)], capture_output=True, check=False,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.decode("utf-8")
    assert printed == "".join(e[2] for e in events)
    screen = play(printed, header["height"])
    assert screen == cast_run[0].final_screen


async def test_screen_lines_show_what_export_screenshot_shows():
    """The ANSI capture renders the update Textual's own `export_screenshot` renders: same text
    on every row (the SVG leaves blank cells out, so spaces are not compared)."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.run_command(parse("fail-node B"), quiet=True)
        app.advance(30)
        await pilot.pause()
        rows = screen_lines(app)
        svg = app.export_screenshot()
    assert len(rows) == 40 and all(len(plain) == 120 for _, plain in rows)
    assert all(SGR_OR_MODE.sub("", ansi) == plain for ansi, plain in rows)
    texts: dict[int, list[str]] = {}
    for found in re.finditer(r'<text [^>]*clip-path="url\(#[^)]*-line-(\d+)\)"[^>]*>(.*?)'
                             r"</text>", svg):
        texts.setdefault(int(found.group(1)), []).append(html.unescape(found.group(2)))
    for y, (_, plain) in enumerate(rows):
        assert "".join(plain.split()) == "".join("".join(texts.get(y, [])).split()), y
