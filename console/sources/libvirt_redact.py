"""Secrets out of libvirt URIs and messages (design: "Secrets").

`redact_uri` masks the password of a URI's userinfo and the values of query parameters that name
keys or secrets; `redact` does the same to free text (a libvirt error message may quote the URI
it failed on), replacing each URI it is given by its redaction first. Pure string work, no
libvirt: the console shows only what passed through here.
"""

from __future__ import annotations

import os.path
import re
from collections.abc import Iterable
from urllib.parse import unquote

#: What a masked secret reads as.
MASK = "***"
#: Query parameters whose values are secrets (besides any whose name contains "key").
SECRET_PARAMETERS = frozenset({"keyfile", "pkipath", "password", "passphrase", "auth", "secret",
                               "token"})

# A URI's userinfo with a password, anywhere in text: "scheme://user:password@".
_USERINFO_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@?#'\"]*:)"
                                r"(?P<secret>[^\s'\"]*?)(?P<at>@[^\s@'\"]*(?:[\s'\"]|$))")
# "name=value" where the name is a secret's, anywhere in text.
_PARAMETER = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=(?P<value>[^\s&;,'\"]*?)"
                        r"(?=[\s&;,'\"]|:\s|:?$)")


def is_secret_parameter(name: str) -> bool:
    """Whether a query parameter called `name` carries a secret (case-insensitive)."""
    lowered = unquote(name).lower()
    return lowered in SECRET_PARAMETERS or "key" in lowered


def _redact_query(query: str) -> str:
    parts = re.split(r"([&;])", query)
    for index in range(0, len(parts), 2):
        name, equals, _value = parts[index].partition("=")
        if equals and is_secret_parameter(name):
            parts[index] = f"{name}={MASK}"
    return "".join(parts)


def redact_uri(uri: str) -> str:
    """`uri` with the password of its userinfo and the values of its secret query parameters
    (`SECRET_PARAMETERS`, or any name containing "key") replaced by `***`; the rest unchanged,
    byte for byte (`qemu+ssh://root:pw@h/system?keyfile=/k` -> `qemu+ssh://root:***@h/system?
    keyfile=***`). Text that is not a URI comes back with its secret parameters masked."""
    head, hash_, fragment = uri.partition("#")
    base, question, query = head.partition("?")
    scheme, sep, rest = base.partition("://")
    if sep and not rest.startswith("/"):
        at = rest.rfind("@")
        if at >= 0:
            user, colon, _password = rest[:at].partition(":")
            if colon:
                rest = f"{user}:{MASK}{rest[at:]}"
        base = f"{scheme}{sep}{rest}"
    return base + question + (_redact_query(query) if question else "") + hash_ + fragment


def _quoted_forms(secret: str) -> set[str]:
    """What a transport may quote for `secret` besides itself: a key file's path with `~`
    expanded (ssh does), its absolute form, and its file name (when it has a folder)."""
    forms = {secret, os.path.expanduser(secret)}
    if "/" in secret:
        forms.add(os.path.abspath(os.path.expanduser(secret)))
        name = os.path.basename(secret)
        if len(name) >= 4:  # shorter would mask common words of the message
            forms.add(name)
    return {form for form in forms if form and form not in ("/", ".", "~")}


def secrets_of(uri: str) -> set[str]:
    """The secrets `uri` holds: its userinfo's password and the values of its secret query
    parameters, as written and URL-decoded (empty ones left out), and for a key file's path
    also its forms a transport quotes (`~` expanded, absolute, its file name)."""
    head = uri.partition("#")[0]
    base, _question, query = head.partition("?")
    found: set[str] = set()
    rest = base.partition("://")[2]
    if not rest.startswith("/") and "@" in rest:
        found.add(rest[:rest.rfind("@")].partition(":")[2])
    for part in re.split(r"[&;]", query):
        name, equals, value = part.partition("=")
        if equals and is_secret_parameter(name):
            found.add(value)
    return {form for raw in found for secret in (raw, unquote(raw)) if secret
            for form in _quoted_forms(secret)}


def redact(text: str, uris: Iterable[str] = ()) -> str:
    """`text` with each of `uris` replaced by its `redact_uri` (longest first, so a URI that
    extends another is caught whole), then every secret those URIs hold (`secrets_of`: a
    password, a key file's path) wherever else it appears (ssh quotes the key file it could
    not read), then any other password in a URI's userinfo and any secret `name=value` left
    anywhere masked."""
    given = sorted({u for u in uris if u}, key=len, reverse=True)
    for uri in given:
        text = text.replace(uri, redact_uri(uri))
    for secret in sorted({s for uri in given for s in secrets_of(uri)}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _USERINFO_PASSWORD.sub(
        lambda m: m["head"] + (MASK if m["secret"] else "") + m["at"], text)
    return _PARAMETER.sub(
        lambda m: f"{m['name']}={MASK}" if is_secret_parameter(m["name"]) else m[0], text)
