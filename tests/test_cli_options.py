"""The command line's own errors: `--help` lists the sub-commands; an unknown option, argument or
sub-command is one line and exit status 2, for every sub-command's parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from console import cli
from console.cli.options import SUBCOMMAND_LINES
from console.errors import EXIT_BAD_INPUT

PARSERS = ["", *SUBCOMMAND_LINES]


@pytest.mark.parametrize("sub", PARSERS)
@pytest.mark.parametrize("option", ["--foo", "--foo=3", "-q"])
def test_an_unknown_option_is_named_in_one_line(sub, option, capsys):
    argv = [sub] if sub else []
    # before any required FILE is missed, and before any file is read
    assert cli.main([*argv, option]) == EXIT_BAD_INPUT
    name = option.split("=")[0]
    see = "see --help" if not sub else f"see cluster-console {sub} --help"
    assert capsys.readouterr() == ("", f"cluster-console: unknown option {name} ({see})\n")


@pytest.mark.parametrize("word", ["simulat", "help", "run"])
def test_an_unknown_sub_command_is_one_line(word, capsys):
    assert cli.main([word, "--for", "3"]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"cluster-console: unknown sub-command {word!r} (see --help")


def test_a_file_name_is_still_a_cluster_file(capsys):
    assert cli.main(["nowhere.toml"]) == EXIT_BAD_INPUT
    assert "nowhere.toml: cannot read" in capsys.readouterr().err


def test_an_extra_argument_is_one_line(capsys):
    assert cli.main(["simulate", "a.toml", "b.toml"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == ("cluster-console: unexpected argument 'b.toml' "
                                       "(see cluster-console simulate --help)\n")


def test_help_lists_every_sub_command_with_one_line():
    shown = subprocess.run([sys.executable, "-m", "console", "--help"], capture_output=True,
                           text=True, check=True).stdout
    for name, line in SUBCOMMAND_LINES.items():
        assert f"  {name}" in shown and line in shown
    assert set(SUBCOMMAND_LINES) == set(cli.SUBCOMMANDS)
