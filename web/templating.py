"""Jinja2 pages: every URL renders a full page; htmx requests get one named block of it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from capacity import website
from capacity.helplines import helplines, national
from capacity.models import utcnow
from capacity.party import Need
from capacity.reasons import Reason
from web.i18n import (
    COOKIE,
    LANGUAGES,
    Language,
    ago,
    isolate_numbers,
    negotiate,
    reviewed,
    translations,
)
from web.wording import (
    ACTIONS,
    AFTERCARE_KINDS,
    CHANGED_FIELDS,
    CODED_VALUES,
    GROUPS,
    NEEDS,
    REASONS,
    REFERRERS,
    ROLES,
    UNIT_ACCEPTS,
    UNIT_KINDS,
    UNMET,
)

OSLO = ZoneInfo("Europe/Oslo")
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


@cache
def environment() -> Environment:
    """The templates' environment, one per process: each template is compiled once, on first
    use, and shared by every app and thread (Jinja renders thread-safely)."""
    env = Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["languages"] = LANGUAGES
    env.filters["web_link"] = website.link
    env.filters["web_host"] = website.host
    env.filters["oslo_time"] = oslo_time
    env.filters["oslo_datetime"] = oslo_datetime
    env.filters["oslo_stamp"] = oslo_stamp
    return env


class Pages:
    """Renders templates in the request's language."""

    def __init__(self) -> None:
        self.env = environment()

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        block: str | None = None,
        status_code: int = 200,
        private: bool = False,
    ) -> HTMLResponse:
        """A full page, or only `block` for an htmx request that is not a history restore.

        `private` pages (staff, advisers, administrators) are kept out of search engines.
        """
        html = self.html(request, template, context, block=block, private=private)
        return self.respond(request, html, status_code=status_code, private=private)

    def html(
        self,
        request: Request,
        template: str,
        context: dict[str, Any],
        *,
        block: str | None = None,
        private: bool = False,
    ) -> str:
        """The page (or its `block`, see `render`) as text, in the request's language."""
        language = negotiate(request)[0]
        full = {**self.helpers(request, language), "private": private, **context}
        if block is not None and partial(request):
            return render_block(self.env, template, block, full)
        return self.env.get_template(template).render(full)

    @staticmethod
    def respond(
        request: Request, html: str, *, status_code: int = 200, private: bool = False
    ) -> HTMLResponse:
        """`html` as a response that no cache keeps, remembering a language chosen now."""
        language, chosen = negotiate(request)
        response = HTMLResponse(html, status_code=status_code)
        response.headers["Vary"] = "HX-Request, Accept-Language, Cookie"
        response.headers["Cache-Control"] = "no-store"
        if private:
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
        if chosen:
            # A session cookie: it is gone when the browser closes (shared devices).
            response.set_cookie(COOKIE, language.code, samesite="lax", httponly=True)
        return response

    @staticmethod
    def helpers(request: Request, language: Language) -> dict[str, Any]:
        catalog = translations(language.code)

        def directed(text: Markup) -> Markup:
            return Markup(isolate_numbers(text)) if language.rtl else text  # noqa: S704

        # The translation is escaped, then Markup's % escapes every value put into it.
        def gettext(message: str, **values: Any) -> Markup:
            translated = escape(catalog.gettext(message))
            return directed(translated % values if values else translated)

        def ngettext(singular: str, plural: str, count: int, **values: Any) -> Markup:
            count = int(count)  # gettext's plural rules want a Python int, not a NumPy one
            plural_form = escape(catalog.ngettext(singular, plural, count))
            return directed(plural_form % {"num": count, **values})

        def since(moment: datetime, now: datetime) -> str:
            return ago(moment, now, language)

        def language_name(code: str) -> str:
            try:
                name = language.locale.languages.get(code) or Locale.parse(code).get_display_name(
                    language.locale
                )
            except (ValueError, TypeError):
                name = None
            return str(name or code)

        now = utcnow()

        def reason(item: Reason, as_of: datetime | None) -> Markup:
            """A search result's reason in the page language."""
            values: dict[str, Any] = dict(item.values)
            if "need" in values:
                values["need"] = gettext(NEEDS[Need(values["need"])])
            if "language" in values:
                values["language"] = language_name(values["language"])
            if item.code in ("fresh", "stale") and as_of is not None:
                values["ago"] = since(as_of, now)
            return gettext(REASONS[item.code], **values)

        def unit_kind(kind: str, accepts: bool = False) -> Markup:
            """A unit's kind in words ("Women's unit"), or the heading over what it accepts."""
            words = (UNIT_ACCEPTS if accepts else UNIT_KINDS).get(kind)
            return gettext(words) if words else escape(kind)

        def coded(field: str, value: object) -> Markup | None:
            """A stored code in words by the field it is in ("kind": "women" is "Women's
            unit", "languages": "ar" is Arabic); None when the value is no code we know."""
            last = field.split(".")[-1]
            if not isinstance(value, str):
                return None
            if last in ("language", "languages") and LANGUAGE_CODE.fullmatch(value):
                return escape(language_name(value))
            words = CODED_VALUES.get(last, {}).get(value)
            return gettext(words) if words else None

        def unmet_label(key: str) -> Markup:
            """A detail of the unmet-need statistics (a need, children, a man) in words."""
            words = UNMET.get(key) or CODED_VALUES["needs"].get(key)
            return gettext(words) if words else escape(key)

        return {
            "_": gettext,
            "gettext": gettext,
            "ngettext": ngettext,
            "lang": language,
            "reviewed": reviewed(language.code),
            "since": since,
            "now": now,
            "request": request,
            "path_with": lambda **changes: _url_with(request, **changes),
            "reason": reason,
            "language_name": language_name,
            "need_label": lambda need: gettext(NEEDS[need]),
            "needs_all": Need,
            "group_label": lambda group: gettext(GROUPS[group]),
            "action_label": lambda code: gettext(ACTIONS[code]) if code in ACTIONS else code,
            "unit_kind": unit_kind,
            "coded": coded,
            "unmet_label": unmet_label,
            "role_label": lambda code: gettext(ROLES[code]) if code in ROLES else code,
            "referrer_label": lambda code: gettext(REFERRERS[code]) if code in REFERRERS else code,
            "aftercare_kind": (
                lambda code: gettext(AFTERCARE_KINDS[code]) if code in AFTERCARE_KINDS else code
            ),
            "field_label": lambda field: Markup(" · ").join(
                gettext(CHANGED_FIELDS[part]) if part in CHANGED_FIELDS else part
                for part in field.split(".")
            ),
            "helplines": helplines("NO"),
            "national_helpline": national,
            "failed": None,
        }


def partial(request: Request) -> bool:
    """Whether an htmx request wants only a page's block (a history restore wants it all)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def oslo_time(moment: datetime) -> str:
    """The clock time in Norway ("14:05"): stored times are UTC, people read local time."""
    return moment.astimezone(OSLO).strftime("%H:%M")


def oslo_datetime(moment: datetime) -> str:
    """The date and clock time in Norway ("29.11.2026 14:05"), as Norwegians write it."""
    return moment.astimezone(OSLO).strftime("%d.%m.%Y %H:%M")


def oslo_stamp(value: str) -> str:
    """A stored ISO time ("2026-11-29T13:05:00+00:00", naive means UTC) as `oslo_datetime`;
    any other text (a date alone, a number) unchanged."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if "T" not in value:
        return value
    return oslo_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


LIVE_HEADER = "havn-live"


def live_refresh(request: Request) -> bool:
    """Whether the request is a live section refreshing itself (templates/_live.html), not a
    person asking: such requests must not be counted as searches."""
    return request.headers.get(LIVE_HEADER) == "refresh"


def _url_with(request: Request, **changes: str | None) -> str:
    """This page's path and query with some parameters replaced (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None]
    return local_path(request.url.path) + ("?" + urlencode(params) if params else "")


def local_path(path: str) -> str:
    """`path` as a link that stays on this site, whatever the request's path was.

    A 404 page echoes any path: `//evil.example/x` (or `/\\evil.example`, which browsers read
    the same) would be a link to another site. The path is percent-encoded (a backslash
    becomes %5C) and starts with exactly one slash.
    """
    return "/" + quote(path, safe="/:@!$&'()*+,;=-._~").lstrip("/")
