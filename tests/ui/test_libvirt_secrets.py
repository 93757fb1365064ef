"""Passwords and keys in connection URIs never reach the screen, the events, a recording, a
journal, a screenshot or an error message: a console session on a URI that holds both (its
connection opened to a shipped sample host) is driven through its screens, recorded and
journaled, and everything it wrote is searched for them; so is a failed connection's error."""

from __future__ import annotations

from pathlib import Path

from libvirt_support import needs_libvirt, sample_uri
from ui_helpers import make_app, make_session, notes, select_node, select_vm

from console.formats.journal import JournalWriter
from console.formats.recording import Recorder
from console.model.engine import Engine
from console.sources.libvirt import LibvirtSource
from console.ui.launch import console_header

pytestmark = needs_libvirt

PASSWORD = "hunter2-Pa55"
KEY_FILE = "/home/ops/.ssh/id_cluster_secret"
URI = f"qemu+ssh://ops:{PASSWORD}@kvm-a.example.net/system?keyfile={KEY_FILE}&no_verify=1"
SECRETS = (PASSWORD, KEY_FILE, "id_cluster_secret")


def assert_clean(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"


async def test_no_secret_reaches_screen_events_recording_journal_or_screenshot(
        tmp_path: Path) -> None:
    import libvirt

    from console.sources.libvirt_client import LibvirtPool

    pool = LibvirtPool([URI], connect=lambda _uri: libvirt.open(sample_uri("host-a")))
    source = LibvirtSource([URI], allow_actions=True, pool=pool)
    session = make_session(Engine(source.build(), 0), paused=False)
    header = console_header(session.engine, cluster_file="libvirt", cluster_text=source.text,
                            read_only=False)
    session.record(Recorder(tmp_path / "real.jsonl", **header))
    journal = JournalWriter(tmp_path / "real.journal", events=session.engine.log.events,
                            header=header)
    session.keep_journal(journal)
    app = make_app(session=session, source=source, confirm=True)
    screenshots = []
    async with app.run_test(size=(120, 40)) as pilot:
        screenshots.append(app.export_screenshot())
        node = next(iter(session.engine.cluster.nodes))
        await select_node(pilot, node)
        await pilot.press("enter")  # the node's details: its connection
        await pilot.pause()
        assert "connection" in app.screen._text and "***" in app.screen._text
        screenshots.append(app.export_screenshot())
        await pilot.press("escape")
        await select_vm(pilot, "web-01")
        await pilot.press("P")  # force off: the question names the real host
        await pilot.pause()
        screenshots.append(app.export_screenshot())
        await pilot.press("escape")
        await pilot.press("x")  # refused: a real host is not crashed from the console
        await pilot.pause()
        screenshots.append(app.export_screenshot())
        shown = list(notes(app))
    source.stop()
    session.close()
    journal.close()
    for index, svg in enumerate(screenshots):
        assert_clean(f"screenshot {index}", svg)
    assert_clean("notices", "\n".join(shown))
    assert_clean("events", "\n".join(e.message for e in session.engine.log.events))
    assert_clean("the recording", (tmp_path / "real.jsonl").read_text())
    for path in tmp_path.glob("real.journal*"):
        assert_clean(path.name, path.read_bytes().decode("utf-8", "replace"))
    assert_clean("real_hosts", repr(session.real_hosts))


def test_a_connection_that_fails_says_so_without_its_secrets(capsys) -> None:
    from console.cli import main

    missing = f"test://ops:{PASSWORD}@/nonexistent/host-z.xml?keyfile={KEY_FILE}"
    assert main(["--connect", missing]) == 2
    assert main(["export", "--connect", missing]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and err.count("cannot connect") == 2  # one line each
    assert "/nonexistent/host-z.xml: no such file" in err
    assert_clean("the error", err)
