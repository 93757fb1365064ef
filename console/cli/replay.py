"""`cluster-console replay REC.jsonl [--headless [--json]] [--cast OUT.cast] [--svg DIR]`: a
recording replayed in the console, headless (printing what `simulate` prints for the same
inputs), or as an asciicast file and SVG screenshots of the console replaying."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from console import __version__
from console.cli.options import check_outputs, check_speed, parser, refuse_options
from console.cli.say import say
from console.cli.terminal import check_terminal
from console.errors import InputError
from console.formats.event_log import render_json, render_text
from console.formats.output import check_output_folder
from console.formats.recording import Recording, load_recording
from console.replay import replay_headless


def run(argv: Sequence[str]) -> int:
    """Run the sub-command; exit status 0 (or the console's). Raises `InputError` for a bad
    option or recording, before anything is replayed."""
    options = parser(
        "replay",
        "Replay a recording in the console (space pauses, s steps to the next recorded "
        "command, +/- change the speed). --headless prints the event log and summary exactly "
        "as `simulate` prints them for the same cluster, seed and commands; --cast and --svg "
        "replay in a headless console and save what it shows.")
    options.add_argument("file", metavar="FILE", help="a recording (JSON lines)")
    options.add_argument("--headless", action="store_true",
                         help="no console: print the event log and summary")
    options.add_argument("--json", action="store_true",
                         help="with --headless: one JSON object per event, then the summary")
    options.add_argument("--cast", metavar="OUT.cast",
                         help="write an asciicast v2 file of the console replaying "
                              "(`asciinema play OUT.cast`)")
    options.add_argument("--svg", metavar="DIR",
                         help="save SVG screenshots at the recording's marks and at the end")
    options.add_argument("--speed", type=float, default=None, metavar="X",
                         help="simulated seconds per second: the console's replay (default: "
                              "1, then the recorded speed changes; given, it holds) or the "
                              "cast's (default 10)")
    options.add_argument("--size", default=None, metavar="WxH",
                         help="with --cast/--svg: the console's size (default 120x40)")
    options.add_argument("--theme", metavar="NAME", help="the console's theme (default dark)")
    options.add_argument("--paused", action="store_true",
                         help="in the console: start paused (s steps through the commands)")
    args = options.parse_args(argv)
    _check_mode(args)
    if args.speed is not None:
        check_speed(args.speed)
    size = _size(args.size or "120x40")
    recording = load_recording(args.file)
    check_outputs({"--cast": args.cast}, [args.file])
    if args.svg is not None:
        check_output_folder(args.svg, "--svg", [args.file], ".svg")
        if args.cast is not None and Path(args.cast).resolve().parent == Path(args.svg).resolve():
            raise InputError(f"--cast {args.cast}: is inside the --svg folder {args.svg}, whose "
                             "files it could overwrite; give each output its own place")
    if recording.program != __version__:
        say(f"note: {args.file} was recorded by version {recording.program}, this is "
            f"{__version__}; the log may differ")
    if recording.end is None:
        say(f"note: {args.file} has no end line; replaying to its last line at "
            f"{recording.duration:g} s")
    if args.cast is not None or args.svg is not None:
        _export(recording, args, size)
        return 0
    if args.headless:
        engine = replay_headless(recording)
        sys.stdout.write(render_json(engine) if args.json else render_text(engine))
        return 0
    from console.ui.launch import load_settings, open_replay_console  # Textual: see console.cli

    themes, keymap = load_settings(args.theme)
    check_terminal("replay")
    return open_replay_console(recording, speed=args.speed, paused=args.paused,
                               theme=args.theme, themes=themes, keymap=keymap)


#: The largest `--size`, in cells: wider than any screen (a 8K display in a small font), small
#: enough that a typo of a few zeros does not try to draw a screen of a billion cells.
MAX_SIZE = (1000, 500)
def _check_mode(args: argparse.Namespace) -> None:
    """The three modes (the console; --headless; --cast/--svg) take their own options: one that
    does not apply to the mode asked for is refused, not ignored."""
    export = args.cast is not None or args.svg is not None
    if args.headless:
        refuse_options({"--cast": args.cast, "--svg": args.svg}, "is not for --headless (a "
                       "cast or a screenshot is the console replaying); give one or the other")
        refuse_options({"--speed": args.speed, "--size": args.size, "--theme": args.theme,
                        "--paused": args.paused}, "does not apply to --headless")
        return
    refuse_options({"--json": args.json}, "goes with --headless")
    if export:
        refuse_options({"--paused": args.paused}, "does not apply to --cast/--svg")
    else:
        refuse_options({"--size": args.size}, "goes with --cast or --svg")


def _size(text: str) -> tuple[int, int]:
    """`--size WIDTHxHEIGHT`, from 20x5 to `MAX_SIZE` cells."""
    width, _, height = text.lower().partition("x")
    if (not (width.isascii() and width.isdigit() and height.isascii() and height.isdigit())
            or len(width) > 4 or len(height) > 4 or not 20 <= int(width) <= MAX_SIZE[0]
            or not 5 <= int(height) <= MAX_SIZE[1]):
        raise InputError(f"--size must be WIDTHxHEIGHT, from 20x5 to {MAX_SIZE[0]}x"
                         f"{MAX_SIZE[1]}, e.g. 120x40; got {text[:40]!r}")
    return int(width), int(height)


def _export(recording: Recording, args: argparse.Namespace, size: tuple[int, int]) -> None:
    """`--cast` and `--svg`: the console replaying in a headless terminal, saved."""
    from console.ui.cast import CAST_SPEED, export  # Textual: see console.cli
    from console.ui.launch import load_settings
    themes, _ = load_settings(args.theme)
    speed = args.speed or CAST_SPEED
    result = export(recording, cast=args.cast, svg_dir=args.svg, size=size, speed=speed,
                    theme=args.theme or "dark", themes=themes)
    if args.cast is not None:
        say(f"wrote {args.cast}: {result.frames} frames, {result.cast_seconds:g} s "
            f"(x{speed:g}), {size[0]}x{size[1]}")
    if args.svg is not None:
        say(f"wrote {len(result.screenshots)} screenshots to {args.svg}")
