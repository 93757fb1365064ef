"""The Images pane: base images and layers, which hosts hold them, and what sharing saves."""

from __future__ import annotations

from collections.abc import Hashable

from console.model import views
from console.ui.widgets.base import ModelTable
from console.ui.widgets.keyed_table import Cells, Column


class ImagesTable(ModelTable):
    """The images pane's table: one row per base image and layer (`views.images`), keyed by name,
    read again when the log grew or a simulated second passed."""

    columns = (
        Column("Image", 14),
        Column("Kind", 5),
        Column("Ver", 3, "right"),
        Column("Size", 6, "right"),
        Column("VMs", 4, "right"),
        Column("Stale", 5, "right", priority=1),
        Column("Held by", 12, flex=True),
    )
    empty_text = "this cluster uses no streamed images"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._cache: tuple[object, list[views.ImageView]] | None = None

    def _rows(self) -> list[views.ImageView]:
        engine = self.engine
        marker = (len(engine.log), int(engine.now))  # layers arrive without an event
        if self._cache is None or self._cache[0] != marker:
            self._cache = (marker, views.images(engine))
        return self._cache[1]

    def row_count(self) -> int:
        """The number of images."""
        return len(self._rows())

    def row_key(self, index: int) -> Hashable:
        """The name of image `index` (bases first)."""
        return self._rows()[index].name

    def row_cells(self, key: Hashable) -> Cells:
        """Name, kind, version, size in GB, VMs using it, VMs on an older version, and the hosts
        holding the current version."""
        image = next((i for i in self._rows() if i.name == key), None)
        if image is None:
            return (str(key),)
        holders = ", ".join(image.holders) if image.holders else ("none yet", "muted")
        return (image.name, image.kind, str(image.version), f"{image.size_gb:g}G",
                str(image.users), (str(image.stale), "warn") if image.stale else "0",
                holders)  # type: ignore[return-value]
