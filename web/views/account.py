"""The account pages: logging in (password, then an authenticator code where enrolled),
logging out, changing one's password and setting up two-factor sign-in.

The QR code is drawn here (segno, an SVG data URI): no third-party service ever sees the
secret, and the page makes no external request.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import segno
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity import accounts, signin
from capacity.errors import InvalidInput, Unauthorized
from capacity.models import User
from web.auth import (
    CODE_MINUTES,
    DEVICE_ACCOUNTS,
    DEVICE_COOKIE,
    DEVICE_DAYS,
    LOGGED_OUT,
    SESSION_HOURS,
    SHORT_PASSWORD,
    TOO_MANY,
    WRONG_CODE,
    WRONG_LOGIN,
    csrf_token,
    current_user,
    form,
    home_for,
    needs_two_factor,
)
from web.forms import failed
from web.ratelimit import key_for
from web.state import pages, services
from web.wording import N_

WRONG_FIRST_CODE = N_("That code is wrong. Check the time on your phone and try again.")


async def _render(
    request: Request, user: User, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    context: dict[str, Any] = {
        "user": user,
        "csrf": csrf_token(request),
        "error": None,
        "codes": None,
        "home": home_for(user),
        "enrolled": signin.enrolled(user),
        "qr": None,
        "secret": None,
        "codes_left": 0,
        "required": services(request).settings.two_factor_roles,
        **(extra or {}),
    }
    async with services(request).session() as session:
        fresh = await session.get(User, user.id)
        assert fresh is not None
        if not signin.enrolled(fresh):
            secret = await signin.begin_enrolment(session, fresh)
            await session.commit()
            qr = segno.make(signin.provisioning_uri(fresh), error="m")
            context["qr"] = qr.svg_data_uri(scale=4, dark="#000", light="#fff")
            context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        else:
            context["codes_left"] = await signin.recovery_codes_left(session, fresh)
    return pages(request).render(
        request, "two_factor.html", context, status_code=status, private=True
    )


async def two_factor_page(request: Request) -> Response:
    user = await current_user(request, setup="two-factor")
    return await _render(request, user)


async def enrol(request: Request) -> Response:
    """Confirm the authenticator with its first code; show the recovery codes once."""
    user = await current_user(request, setup="two-factor")
    data = await form(request)
    async with services(request).session() as session:
        fresh = await session.get(User, user.id)
        assert fresh is not None
        if signin.enrolled(fresh):
            return await _render(request, fresh)
        try:
            codes = await signin.confirm_enrolment(session, fresh, str(data.get("code", ""))[:64])
        except Unauthorized:
            return await _render(request, fresh, {"error": WRONG_FIRST_CODE}, status=422)
        await session.commit()
    return await _render(request, fresh, {"codes": codes, "enrolled": True})


def _safe_next(value: Any) -> str:
    """A local path to return to after login, or "" (never another site: no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return ""
    if "\\" in value or any(ord(ch) < 32 for ch in value) or len(value) > 500:
        return ""
    parts = urlsplit(value)
    return value if not parts.netloc and not parts.scheme else ""


def _client(request: Request) -> str:
    """The client address (a trusted proxy's X-Forwarded-For is applied by the middleware)."""
    return request.client.host if request.client else "-"


def _devices(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="havn.device")


def _known_accounts(request: Request) -> list[int]:
    """Accounts that signed in from this browser before (from the signed device cookie)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 400:
        return []
    try:
        found = _devices(request).loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    if not isinstance(found, list):
        return []
    return [item for item in found if isinstance(item, int)][:DEVICE_ACCOUNTS]


def _remember_device(request: Request, response: Response, user: User) -> None:
    known = [user.id, *(uid for uid in _known_accounts(request) if uid != user.id)]
    response.set_cookie(
        DEVICE_COOKIE,
        _devices(request).dumps(known[:DEVICE_ACCOUNTS]),
        max_age=DEVICE_DAYS * 86400,
        path="/login",
        secure=services(request).settings.https,
        httponly=True,
        samesite="strict",
    )


async def _may_try(request: Request, user: User | None) -> bool:
    """False when this try must wait (client over its failures, or the account slowed down)."""
    if user is not None and user.id in _known_accounts(request):
        return True
    if await services(request).client_limiter.blocked(key_for("client", _client(request))):
        return False
    return user is None or signin.wait_seconds(user) == 0


async def _failed(request: Request, session: AsyncSession, user: User | None) -> None:
    await services(request).client_limiter.fail(key_for("client", _client(request)))
    if user is not None:
        await signin.note_failure(session, user)
    await session.commit()


async def _signed_in(request: Request, session: AsyncSession, user: User, target: str) -> Response:
    """Start a session for `user` (after every factor passed) and send them on."""
    await signin.note_success(session, user)
    sid = await signin.start_session(session, user, timedelta(hours=SESSION_HOURS))
    await session.commit()
    request.session.clear()
    request.session["sid"] = sid
    csrf_token(request)
    target = target or home_for(user)
    if user.must_change_password:
        target = "/account/password"
    elif needs_two_factor(request, user):
        target = "/account/two-factor"
    response = RedirectResponse(target, status_code=303)
    _remember_device(request, response, user)
    return response


def _login_form(
    request: Request, error: str | None, status: int = 200, next_: str = ""
) -> Response:
    return pages(request).render(
        request,
        "login.html",
        {"csrf": csrf_token(request), "error": error, "next": next_},
        status_code=status,
        private=True,
    )


async def login_page(request: Request) -> Response:
    return _login_form(request, None, next_=_safe_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    data = await form(request)
    username = str(data.get("username", ""))[:120].strip().lower()
    password = str(data.get("password", ""))
    next_ = _safe_next(data.get("next"))
    async with services(request).session() as session:
        user = await accounts.find_user(session, username)
        if not await _may_try(request, user):
            return _login_form(request, TOO_MANY, 429, next_)
        try:
            user = await accounts.authenticate(session, username, password)
        except Unauthorized:
            await _failed(request, session, user)
            return _login_form(request, WRONG_LOGIN, 401, next_)
        if not signin.enrolled(user):
            return await _signed_in(request, session, user, next_)
        await session.commit()  # a rehashed password
    request.session.clear()
    request.session.update({"pending": user.id, "pending_at": time.time(), "next": next_})
    csrf_token(request)
    return RedirectResponse("/login/code", status_code=303)


def _pending(request: Request) -> int | None:
    """The account whose password was right and whose code is awaited, or None."""
    uid, at = request.session.get("pending"), request.session.get("pending_at")
    if not isinstance(uid, int) or not isinstance(at, float):
        return None
    return uid if 0 <= time.time() - at <= CODE_MINUTES * 60 else None


def _code_form(request: Request, error: str | None, status: int = 200) -> Response:
    return pages(request).render(
        request,
        "login_code.html",
        {"csrf": csrf_token(request), "error": error},
        status_code=status,
        private=True,
    )


async def code_page(request: Request) -> Response:
    if _pending(request) is None:
        return RedirectResponse("/login", status_code=303)
    return _code_form(request, None)


async def check_code(request: Request) -> Response:
    data = await form(request)
    uid = _pending(request)
    if uid is None:
        return RedirectResponse("/login", status_code=303)
    async with services(request).session() as session:
        user = await session.get(User, uid)
        if user is None or not user.active:
            request.session.clear()
            return RedirectResponse("/login", status_code=303)
        if not await _may_try(request, user):
            return _code_form(request, TOO_MANY, 429)
        try:
            await signin.verify_second_factor(session, user, str(data.get("code", "")))
        except Unauthorized:
            await _failed(request, session, user)
            return _code_form(request, WRONG_CODE, 401)
        next_ = _safe_next(request.session.get("next"))
        return await _signed_in(request, session, user, next_)


async def logout(request: Request) -> Response:
    await form(request)
    sid = request.session.get("sid")
    if isinstance(sid, str):
        async with services(request).session() as session:
            await signin.end_session(session, sid)
            await session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _password_context(request: Request, user: User) -> dict[str, Any]:
    return {"user": user, "csrf": csrf_token(request)}


async def password_page(request: Request) -> Response:
    user = await current_user(request, setup="password")
    return pages(request).render(
        request, "password.html", _password_context(request, user), private=True
    )


async def change_password(request: Request) -> Response:
    """Change one's own password. Wrong current passwords are limited per account: the
    fifth within 15 minutes ends this session (someone at an unattended browser)."""
    user = await current_user(request, setup="password")
    data = await form(request)
    limiter = services(request).password_limiter
    guesses = key_for("password", str(user.id))
    sid = str(request.session.get("sid"))
    new, repeat = str(data.get("new", "")), str(data.get("repeat", ""))
    async with services(request).session() as session:
        if await limiter.blocked(guesses):
            return await _log_out_after_guesses(request, session, sid)
        try:
            await accounts.authenticate(session, user.username, str(data.get("current", "")))
        except Unauthorized:
            await limiter.fail(guesses)
            if await limiter.blocked(guesses):
                return await _log_out_after_guesses(request, session, sid)
            wrong = InvalidInput(N_("Your current password is wrong."), field="current")
            return failed(
                request,
                "password.html",
                _password_context(request, user),
                form="password",
                error=wrong,
                data=data,
            )
        try:
            if new != repeat:
                raise InvalidInput(N_("The two new passwords differ."), field="repeat")
            fresh = await session.get(User, user.id)
            assert fresh is not None
            await accounts.set_password(session, fresh, new, actor=user.username, must_change=False)
        except InvalidInput as exc:
            if exc.detail.get("field") != "repeat":
                exc = InvalidInput(SHORT_PASSWORD, field="new")
            return failed(
                request,
                "password.html",
                _password_context(request, user),
                form="password",
                error=exc,
                data=data,
            )
        await signin.end_sessions(
            session, fresh, actor=user.username, keep=sid, reason="password_changed"
        )
        await session.commit()
    await limiter.reset(guesses)
    target = "/account/two-factor" if needs_two_factor(request, fresh) else home_for(fresh)
    return RedirectResponse(target, status_code=303)


async def _log_out_after_guesses(request: Request, session: AsyncSession, sid: str) -> Response:
    await signin.end_session(session, sid)
    await session.commit()
    request.session.clear()
    return _login_form(request, LOGGED_OUT, 429)
