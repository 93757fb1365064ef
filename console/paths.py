"""Where the project's shipped files live (sample clusters, themes).

The package is installed editable from the repository (README's quick start), so the files sit
beside it; nothing is copied into site-packages.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CLUSTERS = ROOT / "sample_clusters"
THEMES = ROOT / "themes"
DEFAULT_CLUSTER = SAMPLE_CLUSTERS / "seed.toml"
