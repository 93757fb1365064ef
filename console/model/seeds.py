"""The range of a random seed, the same at every door a seed comes in by: the console's and
`simulate`'s `--seed`, a drill's `seed`, a recording's header, `Engine`.

A seed is an integer from 0 to MAX_SEED. Python's `random.seed` would take any integer, but it
folds a negative one onto its absolute value (`-1` runs as `1`), so a run recorded under `-1`
would replay under another number; and a seed has no use for more than 32 bits.
"""

from __future__ import annotations

#: The largest seed (2**32 - 1).
MAX_SEED = 2**32 - 1
#: The range in words, for messages.
SEED_RULE = f"an integer from 0 to {MAX_SEED}"


def seed_problem(value: object) -> str | None:
    """Why `value` is not a seed (a message), or None when it is one (an int, not a bool,
    from 0 to MAX_SEED)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEED:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        return f"must be {SEED_RULE}, got an integer of {value.bit_length()} bits"
    return f"must be {SEED_RULE}, got {value!r}"[:120]
