"""The web chat page: a page on our own origin whose form the relay (web/chat.py) carries to
the bot. Every failure is answered inside the conversation with the helpline 116 006."""

from __future__ import annotations

import contextlib
import hmac
import secrets

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from capacity.errors import InvalidInput
from web.chat import (
    BAD_MESSAGE,
    BOT_DOWN,
    COOKIE,
    ENDED,
    EXPIRED,
    MAX_FORM_BYTES,
    MAX_MESSAGE,
    NEUTRAL_SITE,
    STOP_WORDS,
    TOO_FAST,
    BotError,
)
from web.i18n import negotiate
from web.params import TooLarge, read_form
from web.ratelimit import key_for
from web.state import chat_of, pages


def _chat_id(request: Request) -> str | None:
    value = request.cookies.get(COOKIE, "")
    return (
        value
        if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum()
        else None
    )


def _new_chat_id() -> str:
    return secrets.token_urlsafe(24)


async def render(
    request: Request,
    chat_id: str,
    status: int = 200,
    notice: str | None = None,
    draft: str = "",
) -> Response:
    """The chat page (its conversation block for htmx) for `chat_id`, which the cookie keeps."""
    chat = chat_of(request)
    response = pages(request).render(
        request,
        "chat.html",
        {
            "turns": await chat.transcripts.get(chat_id),
            "notice": notice,
            "draft": draft,
            "csrf": chat.token(chat_id),
            "max_message": MAX_MESSAGE,
            "exit_href": "/chat/exit",
            "bot_down": BOT_DOWN,
        },
        block="conversation",
        status_code=status,
    )
    # Lets our script swap an error answer into the conversation (and nothing else's).
    response.headers["X-Havn-Fragment"] = "conversation"
    # Short-lived and opaque; gone when the browser closes or the chat ends.
    response.set_cookie(COOKIE, chat_id, httponly=True, samesite="strict", path="/chat")
    return response


async def chat_page(request: Request) -> Response:
    return await render(request, _chat_id(request) or _new_chat_id())


async def _form(request: Request) -> dict[str, str] | None:
    """The posted fields, or None when the body is not a small readable form."""
    try:
        data = await read_form(request, max_bytes=MAX_FORM_BYTES, max_fields=5)
    except (TooLarge, InvalidInput):
        return None
    return {key: value for key, value in data.items() if isinstance(value, str)}


def _checked(request: Request, data: dict[str, str] | None) -> str | None:
    """The chat id when the form carries its CSRF token, else None."""
    chat_id = _chat_id(request)
    if chat_id is None or data is None:
        return None
    sent = data.get("csrf", "")
    return chat_id if hmac.compare_digest(sent, chat_of(request).token(chat_id)) else None


def _valid(text: str) -> bool:
    return 0 < len(text) <= MAX_MESSAGE and not any(ord(c) < 32 and c not in "\n\t" for c in text)


async def send(request: Request) -> Response:
    data = await _form(request)
    text = (data or {}).get("message", "").strip()
    draft = text[: 2 * MAX_MESSAGE]
    chat_id = _checked(request, data)
    if chat_id is None:
        # A fresh id (and so a fresh token): the person can send again at once.
        fresh = _chat_id(request) or _new_chat_id()
        return await render(request, fresh, status=403, notice=EXPIRED, draft=draft)
    if not _valid(text):
        return await render(request, chat_id, status=422, notice=BAD_MESSAGE, draft=draft)
    chat = chat_of(request)
    assert chat.clients is not None and chat.starts is not None
    turns = await chat.transcripts.get(chat_id)
    allowed = (
        await chat.clients.hit(chat.client_key(request))
        and await chat.limiter.hit(key_for("chat", chat_id))
        and (bool(turns) or await chat.starts.hit(key_for("chat-new")))
    )
    if not allowed:
        return await render(request, chat_id, status=429, notice=TOO_FAST, draft=draft)
    language, _ = negotiate(request)
    if text.lower().strip(" .!") in STOP_WORDS:
        await chat.transcripts.delete(chat_id)
        with contextlib.suppress(BotError):
            await chat.ask(chat_id, text, language.code)  # the bot resets itself too
        return await render(request, _new_chat_id(), notice=ENDED)
    turns.append({"from": "person", "text": text, "buttons": []})
    try:
        answers = await chat.ask(chat_id, text, language.code)
    except BotError as exc:
        await chat.transcripts.put(chat_id, turns)
        return await render(request, chat_id, status=exc.status, notice=exc.notice)
    turns.extend(answers)
    await chat.transcripts.put(chat_id, turns)
    if request.headers.get("hx-request") == "true":
        return await render(request, chat_id)
    return RedirectResponse("/chat#latest", status_code=303)


async def end(request: Request) -> Response:
    """End the chat: forget the transcript here and in the bot, and drop the chat id."""
    chat_id = _checked(request, await _form(request))
    if chat_id is None:
        fresh = _chat_id(request) or _new_chat_id()
        return await render(request, fresh, status=403, notice=EXPIRED)
    language, _ = negotiate(request)
    await chat_of(request).forget(chat_id, language.code)
    response = RedirectResponse("/chat", status_code=303)
    response.delete_cookie(COOKIE, path="/chat")
    return response


async def leave(request: Request) -> Response:
    """The chat page's quick exit: forget the conversation, then go to the neutral site.

    A GET, so that it stays a plain link without JavaScript. It needs no CSRF token: the
    chat cookie is SameSite=Strict, so another site's link arrives without it and ends
    nothing. The bot forgets after the person has left (it may be slow, the exit must not).
    """
    chat_id = _chat_id(request)
    task = None
    if chat_id:
        language, _ = negotiate(request)
        await chat_of(request).transcripts.delete(chat_id)
        task = BackgroundTask(chat_of(request).forget, chat_id, language.code)
    response = RedirectResponse(NEUTRAL_SITE, status_code=303, background=task)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(COOKIE, path="/chat")
    return response
