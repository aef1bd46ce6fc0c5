"""What an API request sends: a small JSON object, read as it arrives and checked once."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from capacity.errors import HavnError, InvalidInput
from web.params import read_body

MAX_BODY = 10_000


class UnsupportedMediaType(HavnError):
    status = 415
    code = "unsupported_media_type"


async def json_object(request: Request, allowed: Iterable[str]) -> dict[str, Any]:
    """The request's JSON object, holding only `allowed` fields; raises UnsupportedMediaType
    or InvalidInput (too large, not JSON, not an object, an unknown field)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise UnsupportedMediaType("Send JSON: Content-Type: application/json")
    raw = await read_body(request, MAX_BODY)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("The body is not valid JSON", field="body") from None
    except RecursionError:  # "[[[[…": the parser gives up on deep nesting
        raise InvalidInput("The body is nested too deeply", field="body") from None
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object", field="body")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0][:40]!r}", field=unknown[0][:40])
    return data
