"""Request values as plain data: a query string or form as strings for `capacity`, the
whole numbers of forms, headers and paths, checked before they reach the database, and a
request's body or form, read as it arrives and never past a limit."""

from __future__ import annotations

import re

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.types import Message

from capacity.errors import HavnError, InvalidInput, NotFound
from capacity.search.query import text_value

MAX_PARAM = 200
# The largest value an INTEGER column holds on every engine (PostgreSQL's is 32-bit).
MAX_INT = 2**31 - 1
DEFAULT_LIMIT = 20
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def plain(params: QueryParams | FormData) -> dict[str, str]:
    """A query string or form as one string per field, for `capacity.search.parse_query`.

    A repeated field keeps its last value, except needs: the API sends "a,b", a form's
    checkboxes send needs=a&needs=b, and both become one comma list. Uploads are left out.
    """
    found = {name: value for name, value in params.multi_items() if isinstance(value, str)}
    found["needs"] = ",".join(
        str(value) for value in params.getlist("needs") if isinstance(value, str) and value.strip()
    )
    return found


def text(params: QueryParams, name: str) -> str | None:
    """A query parameter, stripped; None when absent or blank; InvalidInput when absurd."""
    return text_value(name, params.get(name))


def whole(
    value: object, name: str, *, low: int = 0, high: int = MAX_INT, message: str | None = None
) -> int:
    """`value` (text from a form, header or path) as a whole number from `low` to `high`.

    Digits of any script count ("١٢" is 12, as int() reads them); "²", "1_000", "1.0", "+1",
    a minus when `low` is not negative, and anything outside the range raise InvalidInput with
    `message` (or one naming `name` and the range). Every request's whole number is parsed
    here, so none reaches int() or the database unchecked.
    """
    raw = str(value).strip()
    digits = raw.removeprefix("-") if low < 0 else raw
    if not digits.isdecimal() or len(digits) > len(str(MAX_INT)):
        raise InvalidInput(message or f"{name} must be a whole number", field=name)
    number = int(raw)
    if not low <= number <= high:
        raise InvalidInput(message or f"{name} must be from {low} to {high}", field=name)
    return number


def known_id(value: object, what: str) -> int:
    """A row id from a URL path; NotFound for anything that cannot be one (huge, "²", "x")."""
    try:
        return whole(value, what, low=1)
    except InvalidInput:
        raise NotFound(f"No such {what}") from None


class TooLarge(HavnError):
    status = 413
    code = "too_large"


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, read as it arrives; TooLarge as soon as it passes `limit` bytes
    (or when Content-Length says it will), so a huge body is never held in memory."""
    too_large = TooLarge(f"The body is larger than {limit} bytes", limit=limit)
    length = request.headers.get("content-length")
    if length is not None:
        try:
            whole(length, "Content-Length", high=limit)
        except InvalidInput:
            raise too_large from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_form(
    request: Request, *, max_bytes: int, max_fields: int, max_files: int = 0
) -> FormData:
    """The posted form (urlencoded or multipart), its body read as it arrives and never past
    `max_bytes`, with or without a Content-Length: a chunked body is cut off at the limit
    rather than read whole. Raises TooLarge, or InvalidInput for what no parser can read."""
    raw = await read_body(request, max_bytes)

    async def replay() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    try:
        return await Request(request.scope, replay).form(
            max_files=max_files, max_fields=max_fields, max_part_size=max_bytes
        )
    except Exception as exc:  # multipart parser errors come in many classes
        raise InvalidInput("The form could not be read", field="form") from exc
