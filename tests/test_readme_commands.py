"""README's quick start holds on a fresh machine with only Python: the install goes into a venv
(or pipx), and the test command README gives is the one `.ci/run` runs, word for word."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, flags=re.S)


def test_the_quick_start_installs_into_a_venv_or_with_pipx():
    install, _tests = quick_start_commands()
    assert install.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install .")
    assert install.endswith("&& cluster-console")
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start")[1]
    assert "pipx install ." in section.split("\n## ")[0]


def test_ci_runs_the_test_command_readme_gives():
    _install, tests = quick_start_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci
