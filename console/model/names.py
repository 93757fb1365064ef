"""The one grammar for names, and how any text is shown in a message.

Every name something is declared or looked up under (nodes, VMs, services, images and layers,
rules, clusters, drills, drill steps, themes) and every name a command takes follows one
grammar, checked where the name enters: cluster files and drills at load, commands when they
are parsed or built, recordings when they are read.

    a letter or digit, then letters, digits, '_', '.' or '-'; at most MAX_NAME_LENGTH (64)
    characters, ASCII only

So a name is typed in a command without quotes, reads back from a recording as itself, fits a
console column and a log line, and cannot carry a space, a quote, a control character (newline,
ESC, NUL) or a bidirectional override that would corrupt a terminal or a log. vSphere allows
spaces and up to 80 characters in a VM name (VMware, "vSphere Virtual Machine Administration",
naming limits); an operations console that takes names on a command line and in recordings
keeps the stricter rule, the one DNS host labels follow (RFC 1123), and refuses the rest
everywhere with the reason.

Text that is not a name (a refused word, a mark's label, a description) is shown in messages
by `display`: printable characters as they are (non-ASCII ones too, never as JSON escapes),
everything else escaped, so one message stays one line and cannot drive the terminal.
"""

from __future__ import annotations

import json
import re

#: The longest name, in characters.
MAX_NAME_LENGTH = 64
#: The longest label (a mark, a drill expectation's name), in characters: a mark's label
#: names its screenshot file (`replay --svg`), which a file system allows 255 bytes.
MAX_LABEL_LENGTH = 200
#: The grammar in words, for messages and documentation.
NAME_RULE = (f"a letter or digit, then letters, digits, '_', '.' or '-', at most "
             f"{MAX_NAME_LENGTH} characters")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def name_problem(value: object) -> str | None:
    """Why `value` is not a name (a message ending in the value as `display` shows it), or
    None when it is one."""
    if not isinstance(value, str):
        return f"must be a name ({NAME_RULE}), got {value!r}"
    if len(value) > MAX_NAME_LENGTH:
        return (f"must be a name of at most {MAX_NAME_LENGTH} characters, got "
                f"{len(value)}: {display(value[:MAX_NAME_LENGTH])}...")
    if not _NAME.fullmatch(value):
        return f"must be a name ({NAME_RULE}), got {display(value)}"
    return None


_WHOLE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.-]{{0,{MAX_NAME_LENGTH - 1}}}")


def as_name(raw: str, taken: set[str] | frozenset[str] = frozenset(), *,
            fallback: str = "host") -> str:
    """`raw` (a hostname, a libvirt domain name: any text) made a name of the grammar above
    and unique among `taken`: each character that a name may not hold becomes '-', a name
    that would not start with a letter or digit gets `fallback` + '-' in front, it is cut to
    leave room for a "-N" suffix, and "-2", "-3", ... are added until it is not taken. An
    empty `raw` gives `fallback`."""
    name = "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "-" for c in raw)
    if not name:
        name = fallback
    elif not name[0].isalnum():
        name = f"{fallback}-{name}"
    name = name[:MAX_NAME_LENGTH - 8]
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{name}-{n}"
        n += 1
    return candidate


def all_names(values: list[str]) -> bool:
    """Whether every string of `values` is a name, in one pass over them (a column of a big
    file); `name_problem` says why one is not."""
    return all(map(_WHOLE_NAME.fullmatch, values))


def is_name(value: object) -> bool:
    """Whether `value` is a name of the grammar above."""
    return name_problem(value) is None


def text_problem(text: str) -> str | None:
    """Why `text` cannot be written as UTF-8 (a lone surrogate, as a JSON escape such as
    `\\ud83d` makes one), or None when it can."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = display(text[error.start:error.end])
        return f"invalid text: {bad} is a lone surrogate, not a character"
    return None


def label_problem(text: str) -> str | None:
    """Why `text` cannot be a one-line label (a mark, a test case's name): a lone surrogate, a
    character that is not printable (a control character, a bidirectional override) or more
    than MAX_LABEL_LENGTH characters; None when it can."""
    problem = text_problem(text)
    if problem is not None:
        return problem
    if len(text) > MAX_LABEL_LENGTH:
        return (f"must be at most {MAX_LABEL_LENGTH} characters, got {len(text)}: "
                f"{display(text[:40])}...")
    bad = next((c for c in text if not c.isprintable()), None)
    if bad is not None:
        return f"must be printable text on one line, got {display(text)} (holds {display(bad)})"
    return None


def printable(text: str) -> str:
    """`text` with every character that is not printable (control characters, bidirectional
    overrides, lone surrogates) written as JSON escapes it (`\\u001b`); the rest as it is."""
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)


def display(text: str) -> str:
    """`text` in double quotes for a message: printable characters as they are (non-ASCII
    included), quotes, backslashes and every other character escaped as JSON escapes them
    (`\\n`, `\\u001b`, `\\u202e`, a lone `\\ud83d`), so the result is one printable line."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else json.dumps(c)[1:-1]
                         for c in text) + '"'


def counted(n: int, word: str) -> str:
    """`n` and `word`, in the plural unless `n` is 1: `1 command`, `3 commands`, `0 marks`
    (an English word whose plural takes an `s`)."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
