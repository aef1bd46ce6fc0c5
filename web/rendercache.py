"""Rendered results pages, per worker, so a search many people make is rendered once.

Jinja takes milliseconds to render a results page with its translated reasons; the search
itself takes one. An entry is one page exactly as rendered for one language, one address
(every query parameter), full page or htmx block, and one registry revision, for at most
`WINDOW` seconds ("updated 20 minutes ago", numbers going stale, holds expiring). Signed-in
people are never served from it or stored in it, so nothing rendered for a session is shown
to anyone else; responses stay `no-store` for browsers and proxies (web.templating).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from starlette.requests import Request

from capacity.party import Party
from web.i18n import negotiate
from web.templating import partial


@dataclass(frozen=True, slots=True)
class Counted:
    """What the statistics count for a search (web.services.Services.count_search)."""

    region: str
    party: Party
    found: bool


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    status_code: int
    counted: Counted | None  # None: no search was made (a problem or an ambiguous place)


class RenderCache:
    """A bounded least-recently-used map from a request's key to its rendered page."""

    WINDOW = 30
    SIZE = 1024

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()

    def key(self, request: Request, revision: int) -> Hashable | None:
        """The request's key, or None when it must not be cached (someone is signed in)."""
        if "session" in request.scope and request.session.get("sid"):
            return None
        return (
            negotiate(request)[0].code,
            partial(request),
            request.url.path,
            tuple(sorted(request.query_params.multi_items())),
            revision,
            int(time.time() // self.WINDOW),
        )

    def get(self, key: Hashable | None) -> Rendered | None:
        if key is None:
            return None
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable | None, entry: Rendered) -> Rendered:
        if key is not None:
            self._entries[key] = entry
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return entry

    def __len__(self) -> int:
        return len(self._entries)
