"""Where the console's files live: the data shipped inside the package, and the user's folders.

Shipped data sits in `console/data/` and is declared as package data in pyproject.toml, so the
wheel carries it (`pip install .`, `pipx install .` and `pip install -e .` alike):

    console/data/sample_clusters/*.toml          sample clusters (seed.toml is the default)
    console/data/sample_clusters/drills/*.toml   sample drills (`cluster = "../seed.toml"`)
    console/data/sample_clusters/traces/         PlanetLab CPU traces for planetlab.toml
    console/data/themes/*.toml                   the shipped themes

It is found through `importlib.resources` and handed out as real `pathlib.Path`s, because the
loaders read files by path and resolve paths inside them (a drill's `../seed.toml`, a cluster's
trace folder) relative to the file. That is safe for an installed package: pip and pipx install a
wheel by unpacking it into site-packages, and an editable install points at the source tree, so
`files("console")` is a folder on disk. Only an import from a zip archive (a zipapp) would not be;
there importing this module raises RuntimeError saying so, instead of a later failure on a path
that does not exist.

User folders follow the platform's rules through `platformdirs`; on Linux that is the XDG base
directory specification:

    config_dir()   $XDG_CONFIG_HOME/cluster-console (default ~/.config/cluster-console):
                   keys.toml and themes/*.toml
    data_dir()     $XDG_DATA_HOME/cluster-console (default ~/.local/share/cluster-console)
    journals_dir() data_dir()/journals: the console's own journals, one per session

They are read from the environment at each call and never created here.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import platformdirs

#: The folder name under the user's config and data folders.
APP_NAME = "cluster-console"


def _shipped_data() -> Path:
    """The package's `data` folder on disk; RuntimeError when the package is not on disk."""
    package = files("console")
    if not isinstance(package, Path):
        raise RuntimeError(f"cluster-console: the package is imported from {package}, not from a "
                           "folder; install it with pip or pipx so that its data files are on disk")
    return package / "data"


#: console/data/ of the imported package: everything the wheel ships besides code.
SHIPPED_DATA = _shipped_data()
#: The sample cluster files; drills/ and traces/ below it.
SAMPLE_CLUSTERS = SHIPPED_DATA / "sample_clusters"
#: The shipped theme files, one `NAME.toml` per theme.
THEMES = SHIPPED_DATA / "themes"
#: The cluster the console and `simulate` use when none is named.
DEFAULT_CLUSTER = SAMPLE_CLUSTERS / "seed.toml"


def config_dir() -> Path:
    """The user's configuration folder (keys.toml, themes/): an absolute path, maybe missing.

    `platformdirs.user_config_path`: on Linux `$XDG_CONFIG_HOME/cluster-console` when the
    variable is set, else `~/.config/cluster-console` (XDG Base Directory Specification 0.8);
    on macOS and Windows the platform's own folder. Raises RuntimeError only when there is no
    home folder to start from (platformdirs).
    """
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The user's data folder (where state the console keeps between runs belongs): an absolute
    path, maybe missing.

    `platformdirs.user_data_path`: on Linux `$XDG_DATA_HOME/cluster-console` when the variable
    is set, else `~/.local/share/cluster-console` (XDG Base Directory Specification 0.8); on
    macOS and Windows the platform's own folder. Raises RuntimeError only when there is no home
    folder to start from (platformdirs).
    """
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def journals_dir() -> Path:
    """The folder of the journals the console names itself (console.formats.journal_folder): one
    file per console session, `data_dir() / "journals"`, an absolute path, maybe missing (made
    when the first journal is written). Raises RuntimeError as `data_dir` does."""
    return data_dir() / "journals"
