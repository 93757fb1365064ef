"""The Textual console: a viewer of a Session (the app, its screens, widgets, keys, themes and
modes) and the asciicast exporter.

Every import of Textual in the console comes through this package, so Textual's frame rate is
set here, before Textual reads it (once, at its import): `FRAMES_PER_SECOND` unless the
environment says otherwise (TEXTUAL_FPS, Textual's own setting)."""

import os

#: The most frames a second Textual draws (its default is 60). Right after a frame (a tick's, a
#: toast's), the next waits for its slot: a key's repaint waited up to 1/60 s for it, a third of
#: a key's whole time at 40,000 VMs. Frames are drawn only when something changed, so a console
#: at rest draws no more of them.
FRAMES_PER_SECOND = 240

os.environ.setdefault("TEXTUAL_FPS", str(FRAMES_PER_SECOND))
