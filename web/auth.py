"""Logging in and out, sessions, CSRF tokens and the principal behind each request.

Sign-in policy (README, "Security"): only failures count. A client address may fail 30
times in 15 minutes; an account that failed 5 times in a row waits 1, 2, 4 … up to 60
seconds between tries. A browser that signed in to the account before (a signed cookie,
sent only to /login) skips both, so nobody can lock the owner out of their usual browser.
Sessions live in the database: logging out, a password change or deactivation ends them.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from capacity import accounts, signin
from capacity.accounts import Principal
from capacity.errors import Forbidden, HavnError, InvalidInput, Unauthorized
from capacity.models import User
from web.params import whole
from web.ratelimit import key_for
from web.services import Services
from web.templating import Pages
from web.wording import N_

SHORT_PASSWORD = N_("A password has at least 12 characters.")
TOO_MANY = N_("Too many attempts. Wait a minute and try again.")
WRONG_LOGIN = N_("Wrong username or password.")
WRONG_CODE = N_("That code is wrong or was used already.")
LOGGED_OUT = N_("Too many wrong passwords: you were logged out. Log in again.")

SESSION_COOKIE = "havn_session"
SESSION_HOURS = 10  # a long shift; then log in again
DEVICE_COOKIE = "havn_device"
DEVICE_DAYS = 90
DEVICE_ACCOUNTS = 5  # a shared office computer remembers a few people
CODE_MINUTES = 5  # between the password and the authenticator code
MAX_FORM_BYTES = 64_000


class SetupNeeded(HavnError):
    """The account must first change its password or set up two-factor sign-in."""

    status = 403
    code = "setup_needed"


async def setup_needed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SetupNeeded)
    return RedirectResponse(exc.detail["location"], status_code=303)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def form(
    request: Request, *, max_bytes: int = MAX_FORM_BYTES, max_files: int = 0
) -> FormData:
    """The posted form after checking its CSRF token; raises Forbidden or InvalidInput."""
    length = request.headers.get("content-length")
    if length is not None:
        whole(length, "form", high=max_bytes, message="The form is too large")
    try:
        data = await request.form(max_files=max_files, max_fields=200, max_part_size=max_bytes)
    except Exception as exc:  # multipart parser errors come in many classes
        raise InvalidInput("The form could not be read", field="form") from exc
    sent = data.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise Forbidden("The form has expired. Reload the page and try again.")
    if not hmac.compare_digest(sent, expected):
        raise Forbidden("The form has expired. Reload the page and try again.")
    return data


def needs_two_factor(request: Request, user: User) -> bool:
    """True when this account must set up two-factor sign-in before anything else."""
    required = user.role in services(request).settings.two_factor_roles
    return required and not signin.enrolled(user)


async def current_user(request: Request, *roles: str, setup: str | None = None) -> User:
    """The logged-in user, who must have one of `roles` (any role when none given).

    Until a temporary password is changed and (where required) two-factor sign-in is set up,
    only the pages for that are open: `setup="password"` is the password page, which skips
    both checks, `setup="two-factor"` the enrolment page. Raises Unauthorized (not logged
    in), SetupNeeded (redirect to the setup page) or Forbidden (wrong role).
    """
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        raise Unauthorized("Please log in")
    async with services(request).session() as session:
        user = await signin.session_user(session, sid)
    if user is None:
        request.session.clear()
        raise Unauthorized("Please log in")
    if setup != "password" and user.must_change_password:
        raise SetupNeeded("Choose your own password first", location="/account/password")
    if setup is None and needs_two_factor(request, user):
        raise SetupNeeded("Set up two-factor sign-in first", location="/account/two-factor")
    if roles and user.role not in roles:
        raise Forbidden("This account may not open this page")
    return user


async def api_principal(request: Request) -> Principal:
    """The principal of a bearer token; raises Unauthorized."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("Send an API token: Authorization: Bearer <token>")
    async with services(request).session() as session:
        token = await accounts.verify_token(session, presented)
        await session.commit()  # last_used_at
        return accounts.principal_for_token(token)


def _safe_next(value: Any) -> str:
    """A local path to return to after login, or "" (never another site: no open redirect)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return ""
    if "\\" in value or any(ord(ch) < 32 for ch in value) or len(value) > 500:
        return ""
    parts = urlsplit(value)
    return value if not parts.netloc and not parts.scheme else ""


def home_for(user: User) -> str:
    return {"staff": "/staff", "adviser": "/console", "admin": "/admin"}[user.role]


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
        user = await session.scalar(select(User).where(User.username == username))
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


def _password_form(request: Request, user: User, error: str | None, status: int) -> Response:
    return pages(request).render(
        request,
        "password.html",
        {"user": user, "csrf": csrf_token(request), "error": error},
        status_code=status,
        private=True,
    )


async def password_page(request: Request) -> Response:
    user = await current_user(request, setup="password")
    return _password_form(request, user, None, 200)


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
            return _password_form(request, user, N_("Your current password is wrong."), 422)
        try:
            if new != repeat:
                raise InvalidInput(N_("The two new passwords differ."), field="repeat")
            fresh = await session.get(User, user.id)
            assert fresh is not None
            await accounts.set_password(session, fresh, new, actor=user.username, must_change=False)
        except InvalidInput as exc:
            error = exc.message if exc.detail.get("field") == "repeat" else SHORT_PASSWORD
            return _password_form(request, user, error, 422)
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


def pages(request: Request) -> Pages:
    found: Pages = request.app.state.pages
    return found


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/login/code", code_page, methods=["GET"]),
    Route("/login/code", check_code, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/account/password", password_page, methods=["GET"]),
    Route("/account/password", change_password, methods=["POST"]),
]
