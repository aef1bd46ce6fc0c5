"""A centre's website: only an http(s) address is accepted, stored, or shown as a link.

A stored `javascript:` or `data:` address would run in the browser of whoever clicks the
centre's link, so the admin form and the CSV import take web addresses only (`parse`), and
pages and exports turn a stored value into a link only when it still is one (`link`).
The page that publishes a centre's phone number is checked the same way, and shown only by
its host name (`host`), as text.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_LENGTH = 300
SCHEMES = ("https", "http")
# Host names only (no user:password@, no IP tricks with backslashes); IDN letters allowed.
HOST = re.compile(r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,63}")
BARE = re.compile(r"[^\W_][\w.-]*\.[^\W\d_]{2,63}(?:[:/?#].*)?")
# Whitespace, controls and the characters browsers or HTML treat specially in a URL.
FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\\\"'<>`]")


def parse(text: str) -> str:
    """The web address in `text`, starting with https:// or http://.

    An address without a scheme ("krisesenter.no") gets https://. Raises ValueError, saying
    why, for anything else: another scheme (javascript:, data:, ftp:…), no host name, a
    user name in the address, spaces or control characters, more than 300 characters.
    """
    value = text.strip()
    if len(value) > MAX_LENGTH:
        raise ValueError(f"is longer than {MAX_LENGTH} characters")
    if FORBIDDEN.search(value):
        raise ValueError("must be one web address, without spaces, quotes or control characters")
    if "://" not in value and BARE.fullmatch(value):
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme.lower() not in SCHEMES or not value[: len(parts.scheme) + 3].endswith("://"):
        raise ValueError("must be a web address starting with https:// (or http://)")
    try:
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise ValueError("has a port that is not a number from 1 to 65535") from None
    if "@" in parts.netloc:
        raise ValueError("must not contain a user name or password (nothing before @)")
    if host is None or not HOST.fullmatch(host):
        raise ValueError("must name a web site such as https://krisesenter.no")
    return parts.scheme.lower() + value[len(parts.scheme) :]


def link(value: str | None) -> str | None:
    """A stored website as a safe http(s) link, or None when it is empty or not a web address."""
    if not value:
        return None
    try:
        return parse(value)
    except ValueError:
        return None


def host(value: str | None) -> str | None:
    """The host name of a stored web address without a leading "www.", or None when empty or
    not a web address: "https://www.fylkesmannen.no/Nordland" gives "fylkesmannen.no"."""
    address = link(value)
    if address is None:
        return None
    name = urlsplit(address).hostname or ""
    return name.removeprefix("www.") or None
