"""The one way a form fails: the same page again, the message by the wrong field, what was
typed kept, and a 4xx status.

A view catches the domain error and returns `failed(...)`; templates mark the field with the
macros of templates/_field.html (`aria-invalid`, `aria-describedby` naming the message's id).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse

from capacity.errors import HavnError
from web.state import pages

SECRET_FIELDS = frozenset({"csrf", "password", "current", "new", "repeat", "code"})


@dataclass(frozen=True, slots=True)
class FailedForm:
    """A form that came back: which one (`form`, unique on its page), the wrong field, the
    message (a gettext message id or plain text), and the values as typed (no secrets)."""

    form: str
    field: str
    message: str
    values: Mapping[str, str]

    def marks(self, form: str, name: str) -> bool:
        return self.form == form and self.field == name

    def value(self, form: str, name: str, stored: Any) -> Any:
        """What the field shows: the typed value on the failed form, else `stored`."""
        return self.values.get(name, "") if self.form == form else stored

    def ticked(self, form: str, name: str, stored: bool) -> bool:
        """Whether a checkbox shows ticked: as sent on the failed form, else `stored`."""
        return name in self.values if self.form == form else stored


def typed(data: FormData | Mapping[str, Any]) -> dict[str, str]:
    """The form's text fields as typed (checkboxes included), without secrets."""
    items = data.multi_items() if isinstance(data, FormData) else data.items()
    return {k: v[:4000] for k, v in items if isinstance(v, str) and k not in SECRET_FIELDS}


def failed(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    form: str,
    error: HavnError,
    data: FormData | Mapping[str, Any],
    block: str | None = None,
) -> HTMLResponse:
    """`template` again with `error` by its field on `form` and the typed values kept."""
    wrong = FailedForm(form, str(error.detail.get("field") or ""), error.message, typed(data))
    status = error.status if 400 <= error.status < 500 else 422
    return pages(request).render(
        request,
        template,
        {**context, "failed": wrong},
        block=block,
        status_code=status,
        private=True,
    )
