"""Keys, themes and the launcher's bad input: one line naming file, line and key; exit 2."""

from __future__ import annotations

import pytest

from console.cli import main
from console.errors import InputError
from console.ui.keys import key_name, load_keymap
from console.ui.themes import load_theme, load_themes


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_keymap_maps_ids_to_keys(tmp_path):
    path = write(tmp_path / "keys.toml", '[keys]\ncrash = "X"\nmaintenance = "alt+m,f2"\n')
    assert load_keymap(path) == {"crash": "X", "maintenance": "alt+m,f2"}


def test_readmes_example_with_f2_loads(tmp_path):
    """README's `maintenance = "alt+m,F2"`: named keys are read in any case, letters keep
    theirs."""
    path = write(tmp_path / "keys.toml", '[keys]\nmaintenance = "alt+m,F2"\ncrash = "Ctrl+X"\n'
                                         'isolate = "Insert"\nrecover = "shift+F5"\n')
    assert load_keymap(path) == {"maintenance": "alt+m,f2", "crash": "ctrl+X",
                                 "isolate": "insert", "recover": "shift+f5"}


@pytest.mark.parametrize(("written", "name"), [
    ("F2", "f2"), ("f12", "f12"), ("Enter", "enter"), ("Return", "enter"), ("PgUp", "pageup"),
    ("PageDown", "pagedown"), ("Esc", "escape"), ("Del", "delete"), ("Space", "space"),
    ("?", "question_mark"), ("<", "less_than_sign"), ("M", "M"), ("m", "m"),
    ("CTRL+Shift+Left", "ctrl+shift+left"), ("alt+X", "alt+X"),
    ("foo", None), ("F99", None), ("ctrl+", None), (" ", None), (",", None), ("ctrl+ctrl+x", None),
])
def test_key_names_users_write(written, name):
    assert key_name(written) == name


def test_missing_keymap_is_empty(tmp_path):
    assert load_keymap(tmp_path / "nope.toml") == {}


@pytest.mark.parametrize(("text", "expected"), [
    ('[keys]\ncrash = "X"\ncrsh = "Y"\n', ":3: keys.crsh: unknown key id"),
    ('[keys]\ncrash = 5\n', ":2: keys.crash: must be a key name"),
    ('[keys]\ncrash = "X"\nisolate = "X"\n', ":3: keys.isolate: 'X' is already given to crash"),
    ('[keys]\ncrash = "m"\n', ":2: keys.crash: 'm' is already the key of maintenance"),
    ('[keys]\ncrash = "j"\n', ":2: keys.crash: 'j' is reserved"),
    ('[keys]\ncrash = "ctrl+z"\n', ":2: keys.crash: 'ctrl+z' is reserved"),
    ('[keys]\ncrash = "not a key"\n', ":2: keys.crash: 'not a key' is not a key name"),
    ('[keys\ncrash = "X"\n', ":1: invalid TOML"),
    ('[colours]\nx = 1\n', ":1: colours: unknown section"),
    ('[keys]\ncrash = ","\n', ":2: keys.crash: an empty key name in ','"),
    ('[keys]\ncrash = "X,"\n', ":2: keys.crash: an empty key name"),
    ('[keys]\ncrash = "foo"\n', ":2: keys.crash: 'foo' is not a key name"),
    ('[keys]\ncrash = "ctrl+"\n', ":2: keys.crash: 'ctrl+' is not a key name"),
    ('[keys]\ncrash = "X,X"\n', ":2: keys.crash: 'X' is given twice"),
    ('[keys]\ncrash = "F99"\n', ":2: keys.crash: 'F99' is not a key name"),
    ('[keys]\ncrash = "PgUp"\n', ":2: keys.crash: 'PgUp' is reserved"),
    ('[keys]\ncrash = "F10"\n', ":2: keys.crash: 'F10' is reserved"),
    ('[keys]\ncrash = " "\n', ":2: keys.crash: must be a key name"),
])
def test_bad_keymaps_name_file_line_and_key(tmp_path, text, expected):
    path = write(tmp_path / "keys.toml", text)
    with pytest.raises(InputError) as error:
        load_keymap(path)
    message = str(error.value)
    assert message.startswith(str(path)) and expected in message
    assert "\n" not in message


def test_a_keymap_link_that_leads_nowhere_is_an_error_not_an_absent_file(tmp_path):
    loop = tmp_path / "keys.toml"
    loop.symlink_to(loop)
    dangling = tmp_path / "other.toml"
    dangling.symlink_to(tmp_path / "gone.toml")
    for path in (loop, dangling):
        with pytest.raises(InputError) as error:
            load_keymap(path)
        assert str(error.value).startswith(f"{path}: cannot read: ")


def test_shipped_themes_load_in_order():
    assert [t.name for t in load_themes()][:4] == ["dark", "light", "high-contrast",
                                                   "monochrome"]


def test_shipped_themes_pass_the_design_variable_check_start_up_skips():
    from console.paths import THEMES

    paths = sorted(THEMES.glob("*.toml"))
    assert len(paths) == 4
    for path in paths:
        assert load_theme(path).variables  # every variable parsed as the stylesheet would
        assert load_theme(path, check_variables=False) == load_theme(path)


def test_a_user_theme_joins_and_may_replace_a_shipped_one(tmp_path):
    user = tmp_path / "themes"
    write(user / "mine.toml", 'name = "mine"\nprimary = "#ff8800"\n')
    write(user / "dark.toml", 'name = "dark"\nprimary = "#00ff00"\n')
    from console.paths import THEMES

    themes = {t.name: t for t in load_themes([THEMES, user])}
    assert "mine" in themes and themes["dark"].primary == "#00ff00"


@pytest.mark.parametrize(("text", "expected"), [
    ('name = "x"\nprimary = "bluish"\n', ":2: primary: not a colour"),
    ('name = "x"\n', "primary: required"),
    ('name = "x"\nprimary = "#fff"\nshade = "#000"\n', ":3: shade: unknown key"),
    ('name = "x"\nprimary = "#fff"\ndark = "yes"\n', ":3: dark: must be true or false"),
    ('name = 3\nprimary = "#fff"\n', ":1: name:"),
    ('name = "x"\nprimary = \n', ":2: invalid TOML"),
    ('name = "x"\nprimary = "#fff"\n[variables]\nblock-cursor-background = "bluish"\n',
     ":4: variables.block-cursor-background: not a colour: 'bluish'"),
    ('name = "x"\nprimary = "#fff"\n[variables]\nfooter-key-foreground = "red; x: 1"\n',
     ":4: variables.footer-key-foreground: not a colour"),
    ('name = "x"\nprimary = "#fff"\n[variables]\nblock-cursor-text-style = "shiny"\n',
     ":4: variables.block-cursor-text-style: not a text style: 'shiny'"),
    ('name = "x"\nprimary = "#fff"\n[variables]\nblock-cursor-backgruond = "#000"\n',
     ":4: variables.block-cursor-backgruond: unknown design variable"),
])
def test_broken_theme_files_name_file_line_and_key(tmp_path, text, expected):
    path = write(tmp_path / "t.toml", text)
    with pytest.raises(InputError) as error:
        load_theme(path)
    assert str(error.value).startswith(str(path)) and expected in str(error.value)


def test_launcher_bad_cluster_file_is_one_line_exit_2(tmp_path, capsys):
    bad = write(tmp_path / "bad.toml", '[cluster]\nname = "x"\n[[nodes]]\nname = "A"\n')
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cluster-console: ") and "bad.toml" in err and "\n" not in err


def test_launcher_missing_file_unknown_theme_and_bad_speed_exit_2(tmp_path, capsys):
    assert main([str(tmp_path / "none.toml")]) == 2
    assert main(["--theme", "neon"]) == 2
    assert main(["--speed", "0"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("none.toml: cannot read: No such file or directory")
    assert "unknown theme 'neon'" in lines[1]
    assert "--speed" in lines[2]


def test_launcher_bad_keys_file_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    write(tmp_path / "cluster-console" / "keys.toml", '[keys]\nexplode = "e"\n')
    assert main([]) == 2
    assert "keys.toml:2: keys.explode: unknown key id" in capsys.readouterr().err


def test_launcher_bad_user_theme_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    write(tmp_path / "cluster-console" / "themes" / "x.toml", 'name = "x"\nprimary = 1\n')
    assert main([]) == 2
    assert "x.toml:2: primary: not a colour" in capsys.readouterr().err


@pytest.mark.parametrize("make", [
    lambda themes: themes.write_text("", encoding="utf-8"),
    lambda themes: themes.symlink_to(themes),
    lambda themes: themes.symlink_to(themes.parent / "nowhere"),
], ids=["file", "link-loop", "broken-link"])
def test_launcher_themes_folder_that_is_not_a_folder_exit_2(tmp_path, monkeypatch, capsys,
                                                            make):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    themes = tmp_path / "cluster-console" / "themes"
    themes.parent.mkdir(parents=True)
    make(themes)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"cluster-console: {themes}: not a folder (themes go in it, "
                                "one NAME.toml each)"], err


def test_simulate_and_validate_still_work(capsys):
    from console.paths import DEFAULT_CLUSTER

    assert main(["validate", str(DEFAULT_CLUSTER)]) == 0
    assert main(["simulate", "--for", "5"]) == 0
    assert "at 5 s:" in capsys.readouterr().out
