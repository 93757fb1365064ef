"""The `/` filter of a table: `host:B state:failed sql` parsed once, then matched against the text
of a row's cells.

A `FIELD:VALUE` term matches the column whose label (or alias) is FIELD; a plain word matches any
column on screen (never data the table does not show). Case is smart, as in vim and ripgrep: a term
with a capital letter matches case-sensitively (`B` is host B, not the `b` of `web01`), one in
lower case matches any case. Every term must match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed filter: (column index, needle) per field term, the plain words, and an error (an
    unknown field, naming the known ones) that makes the query match nothing."""

    text: str
    fields: tuple[tuple[int, str], ...] = ()
    words: tuple[str, ...] = ()
    error: str = ""

    def matches(self, texts: Sequence[str], shown: Sequence[int]) -> bool:
        """Whether a row whose cells read `texts` (one plain string per column) matches; plain
        words look only in the columns `shown` on screen."""
        if self.error:
            return False
        for column, needle in self.fields:
            if column >= len(texts) or not _contains(texts[column], needle):
                return False
        for word in self.words:
            if not any(i < len(texts) and _contains(texts[i], word) for i in shown):
                return False
        return True


def parse_query(text: str, fields: dict[str, int]) -> Query:
    """Parse `text` against `fields` ({field name: column index}, names in lower case). A term
    `name:` with an empty value is ignored (the user is still typing)."""
    found: list[tuple[int, str]] = []
    words: list[str] = []
    for term in text.split():
        name, colon, value = term.partition(":")
        if not colon or not name:
            words.append(term)
            continue
        column = fields.get(name.lower())
        if column is None:
            known = " ".join(sorted(fields))
            return Query(text, error=f"unknown field {name!r} (fields: {known})")
        if value:
            found.append((column, value))
    # A term given twice is one term: a long paste of the same words costs one look each.
    return Query(text, tuple(dict.fromkeys(found)), tuple(dict.fromkeys(words)))


def _contains(text: str, needle: str) -> bool:
    if needle == needle.lower():
        return needle in text.lower()
    return needle in text
