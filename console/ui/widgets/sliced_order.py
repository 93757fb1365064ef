"""A table's order worked out a slice at a time, so that a 40,000-row re-sort never holds the
event loop for longer than a slice (console.ui.widgets.keyed_table drives it).

`sliced_order` is a generator: it yields after each `chunk` keys of work and returns the order.
Its steps: keep the keys that match (in chunks), the sort value of each key and a stable sort of
each chunk, then a stable merge of the sorted chunks (`heapq.merge` takes equal values from the
earlier chunk first, in both directions), consumed a few chunks at a time. The result is exactly
`sorted(kept, key=value, reverse=reverse)` (a stable sort: ties keep the keys' order).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator, Hashable
from itertools import islice
from operator import itemgetter
from typing import Any

#: Keys of work between two yields (about ORDER_SLICE_S for the costliest filter: a query over
#: every column of 100 VMs takes 8-15 ms; 500 took 40).
CHUNK = 100


def sliced_order(keys: list[Hashable], keep: Callable[[Hashable], bool] | None,
                 value: Callable[[Hashable], Any] | None, reverse: bool = False,
                 chunk: int = CHUNK) -> Generator[None, None, list[Hashable]]:
    """Yield after every `chunk` keys of work; return the keys `keep` accepts (all when None),
    stably sorted by `value` (in `keys`' order when None), biggest first when `reverse`. `keys`
    holds no key twice; it is not changed. Raises ValueError when `chunk` is not positive."""
    if chunk <= 0:
        raise ValueError(f"chunk must be positive, not {chunk}")
    if keep is not None:
        kept: list[Hashable] = []
        for start in range(0, len(keys), chunk):
            kept.extend(key for key in keys[start:start + chunk] if keep(key))
            yield
        keys = kept
    if value is None:
        return list(keys)
    runs: list[list[tuple[Any, Hashable]]] = []
    first = itemgetter(0)
    for start in range(0, len(keys), chunk):
        run = [(value(key), key) for key in keys[start:start + chunk]]
        run.sort(key=first, reverse=reverse)  # stable: ties keep the keys' order
        runs.append(run)
        yield
    order: list[Hashable] = []
    merged = heapq.merge(*runs, key=first, reverse=reverse)
    while True:
        batch = list(islice(merged, 4 * chunk))
        if not batch:
            return order
        order.extend(key for _value, key in batch)
        yield
