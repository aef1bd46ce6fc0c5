"""Domain errors. `web` maps each class to an HTTP status in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class HavnError(Exception):
    """Base of every error the registry raises on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class InvalidInput(HavnError):
    """A caller passed a value the registry cannot use (message says which and why)."""

    status = 422
    code = "invalid_input"


class NotFound(HavnError):
    status = 404
    code = "not_found"


class PlaceNotFound(HavnError):
    """The gazetteer has no place matching the query (the input is what is wrong)."""

    status = 422
    code = "place_not_found"


class AmbiguousPlace(HavnError):
    """Several places match the query; `candidates` lists them for the caller to choose."""

    status = 409
    code = "ambiguous_place"

    def __init__(self, message: str, candidates: Sequence[Any]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


class Conflict(HavnError):
    status = 409
    code = "conflict"


class Unauthorized(HavnError):
    """No valid credentials: log in, or send a valid bearer token."""

    status = 401
    code = "unauthorized"


class Forbidden(HavnError):
    """Valid credentials, but this account may not do this."""

    status = 403
    code = "forbidden"


class TooManyAttempts(HavnError):
    status = 429
    code = "too_many_attempts"
