"""Accounts (issue 10): sign-in limits, server-side sessions, forced setup, two-factor sign-in.

Every test drives the real app on SQLite and PostgreSQL, as a person or an attacker would.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import accounts
from capacity.db import session_factory
from capacity.models import Event, LoginSession, RecoveryCode, User, utcnow
from tests.helpers import ADMIN_TOTP, PASSWORD, csrf_of, login, settings_for, soup, totp_code
from web.app import create_app
from web.config import Settings
from web.ratelimit import RateLimiter

NEW_PASSWORD = "a brand new passphrase for today"


def post_form(client: TestClient, path: str, form_path: str, **fields: str) -> Any:
    token = csrf_of(client.get(form_path).text)
    return client.post(path, data={"csrf": token, **fields}, follow_redirects=False)


def logout(client: TestClient) -> Any:
    token = client.get("/login")  # a fresh CSRF token for the (still open) session
    return client.post("/logout", data={"csrf": csrf_of(token.text)}, follow_redirects=False)


async def fetch_user(engine: AsyncEngine, username: str) -> User:
    async with session_factory(engine)() as session:
        user = await session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


async def events(engine: AsyncEngine, action: str) -> list[Event]:
    async with session_factory(engine)() as session:
        return list(await session.scalars(select(Event).where(Event.action == action)))


# 5. Sign-in limits ----------------------------------------------------------------------


async def test_guesses_by_a_stranger_never_lock_the_owner_out_of_their_browser(
    client: TestClient, engine: AsyncEngine
) -> None:
    assert login(client, "staff-a").status_code == 303  # the owner's usual browser
    logout(client)
    owner = dict(client.cookies)
    client.cookies.clear()
    statuses = [login(client, "staff-a", f"guess {n}").status_code for n in range(8)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    assert login(client, "staff-a").status_code == 429  # a new browser waits too
    client.cookies.clear()
    client.cookies.update(owner)
    assert login(client, "staff-a").headers["location"] == "/staff"
    assert (await fetch_user(engine, "staff-a")).failed_logins == 0


async def test_an_account_under_attack_is_slowed_not_locked(
    client: TestClient, engine: AsyncEngine
) -> None:
    for n in range(7):
        login(client, "staff-a", f"guess {n}")
    assert login(client, "staff-a").status_code == 429
    wait = 2 ** (7 - 5)  # the delay doubles with every failure past the fifth
    async with session_factory(engine)() as session:
        await session.execute(
            update(User)
            .where(User.username == "staff-a")
            .values(last_failed_login_at=utcnow() - timedelta(seconds=wait + 1))
        )
        await session.commit()
    assert login(client, "staff-a").headers["location"] == "/staff"


async def test_the_account_slow_down_is_shared_by_every_worker(
    seeded: dict[str, str], app_settings: Settings
) -> None:
    with (
        TestClient(create_app(app_settings)) as first,
        TestClient(create_app(app_settings)) as second,
    ):
        for n in range(5):
            assert login(first, "staff-a", f"guess {n}").status_code == 401
        assert login(second, "staff-a", "guess 6").status_code == 429


def test_successful_logins_do_not_use_up_an_offices_allowance(client: TestClient) -> None:
    for _ in range(32):  # a whole office behind one address, logging in and out all day
        assert login(client, "staff-a").status_code == 303
        client.cookies.clear()
    assert login(client, "staff-b").status_code == 303


def test_one_address_is_limited_to_30_failures_whatever_names_it_tries(
    client: TestClient,
) -> None:
    statuses = [
        login(client, f"nobody-{n}", "wrong", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(31)
    ]
    assert [s.status_code for s in statuses[:30]] == [401] * 30
    assert statuses[30].status_code == 429  # X-Forwarded-For from a stranger is ignored


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(
    seeded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path, HAVN_TRUSTED_PROXIES="10.0.0.0/24")
    proxy = ("10.0.0.7", 40000)
    with TestClient(create_app(settings), client=proxy) as client:
        attacker = {"X-Forwarded-For": "203.0.113.66"}
        for n in range(30):
            assert login(client, f"nobody-{n}", "wrong", headers=attacker).status_code == 401
        assert login(client, "nobody", "wrong", headers=attacker).status_code == 429
        colleague = {"X-Forwarded-For": "203.0.113.7"}
        assert login(client, "staff-b", headers=colleague).headers["location"] == "/staff"


def test_a_flood_of_new_keys_cannot_flush_a_counter_in_use() -> None:
    async def attack() -> None:
        limiter = RateLimiter(3, 900)
        for _ in range(3):
            await limiter.hit("attacker")
        for n in range(RateLimiter.MAX_KEYS + 10):
            await limiter.hit(f"flood-{n}")
            if n % 1000 == 0:
                assert not await limiter.hit("attacker")
        assert not await limiter.hit("attacker")
        assert len(limiter._hits) <= RateLimiter.MAX_KEYS

    asyncio.run(attack())


# 7. Sessions ----------------------------------------------------------------------------


def test_a_copied_cookie_stops_working_at_logout(client: TestClient) -> None:
    login(client, "staff-a")
    copied = dict(client.cookies)
    assert client.get("/staff", follow_redirects=False).status_code == 200
    assert logout(client).headers["location"] == "/login"
    client.cookies.clear()
    client.cookies.update(copied)  # the cookie a thief copied before the logout
    response = client.get("/staff", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_sessions_are_stored_only_as_hashes(client: TestClient, engine: AsyncEngine) -> None:
    login(client, "staff-a")
    async with session_factory(engine)() as session:
        stored = list(await session.scalars(select(LoginSession.id_hash)))
    assert len(stored) == 1 and len(stored[0]) == 64
    cookie = client.cookies["havn_session"]
    assert stored[0] not in cookie


async def test_a_password_change_ends_the_other_sessions(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "staff-a")
    other = dict(client.cookies)  # the same person on another device
    client.cookies.clear()
    login(client, "staff-a")
    changed = post_form(
        client,
        "/account/password",
        "/account/password",
        current=PASSWORD,
        new=NEW_PASSWORD,
        repeat=NEW_PASSWORD,
    )
    assert changed.headers["location"] == "/staff"
    assert client.get("/staff", follow_redirects=False).status_code == 200  # this one stays
    client.cookies.clear()
    client.cookies.update(other)
    assert client.get("/staff", follow_redirects=False).status_code == 303
    [ended] = await events(engine, "user.sessions_ended")
    assert ended.after == {"sessions": 1, "reason": "password_changed"}


async def test_deactivating_a_user_ends_their_sessions_at_once(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "staff-a")
    staff = dict(client.cookies)
    client.cookies.clear()
    login(client, "admin")
    target = await fetch_user(engine, "staff-a")
    done = post_form(client, f"/admin/users/{target.id}/active", "/admin", active="false")
    assert done.status_code == 200 and soup(done).select_one(".saved")
    client.cookies.clear()
    client.cookies.update(staff)
    assert client.get("/staff", follow_redirects=False).status_code == 303
    assert login(client, "staff-a").status_code == 401
    [event] = await events(engine, "user.deactivated")
    assert event.actor == "admin" and event.after is not None and event.after["active"] is False
    assert "password" not in str(event.before) + str(event.after)
    assert len(await events(engine, "user.sessions_ended")) == 1


async def test_an_admin_cannot_deactivate_themselves(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    me = await fetch_user(engine, "admin")
    refused = post_form(client, f"/admin/users/{me.id}/active", "/admin", active="false")
    assert refused.status_code == 403 and soup(refused).select_one(".problem")
    assert (await fetch_user(engine, "admin")).active


def test_over_https_cookies_are_secure_and_hsts_is_sent(
    seeded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path, HAVN_HTTPS="true")
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = login(client, "staff-a")
        cookies = response.headers.get_list("set-cookie")
        assert cookies and all("secure" in cookie.lower() for cookie in cookies)
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        assert client.get("/").headers["strict-transport-security"]


def test_over_plain_http_there_is_no_hsts(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/").headers


# 8. A temporary password must be changed first --------------------------------------------


async def make_user(
    engine: AsyncEngine, username: str, role: str, centre: str | None = None, *, by: str = "admin"
) -> None:
    async with session_factory(engine)() as session:
        await accounts.create_user(
            session,
            username=username,
            display_name=username,
            role=role,
            centre_id=centre,
            password=PASSWORD,
            actor=by,
        )
        await session.commit()


async def test_a_temporary_password_opens_nothing_but_the_password_page(
    client: TestClient, engine: AsyncEngine
) -> None:
    await make_user(engine, "newcomer", "staff", "bodo")  # made by an admin: temporary
    assert login(client, "newcomer").headers["location"] == "/account/password"
    for path in ("/staff", "/staff/history", "/console", "/admin"):
        response = client.get(path, follow_redirects=False)
        assert response.headers.get("location") == "/account/password", path
    form = soup(client.get("/account/password"))
    assert form.select_one("form[action='/account/password']")
    token = csrf_of(client.get("/account/password").text)
    action = client.post(
        "/staff/units/1/availability",
        data={"csrf": token, "free_beds": "0"},
        follow_redirects=False,
    )
    assert action.status_code == 303 and action.headers["location"] == "/account/password"
    assert client.get("/static/css/havn.css").status_code == 200
    changed = post_form(
        client,
        "/account/password",
        "/account/password",
        current=PASSWORD,
        new=NEW_PASSWORD,
        repeat=NEW_PASSWORD,
    )
    assert changed.headers["location"] == "/staff"
    assert client.get("/staff", follow_redirects=False).status_code == 200
    assert logout(client).headers["location"] == "/login"


# 9. Guessing the current password ----------------------------------------------------------


def test_guessing_the_current_password_logs_the_browser_out(client: TestClient) -> None:
    login(client, "staff-a")
    statuses = [
        post_form(
            client,
            "/account/password",
            "/account/password",
            current=f"guess {n}",
            new=NEW_PASSWORD,
            repeat=NEW_PASSWORD,
        ).status_code
        for n in range(5)
    ]
    assert statuses == [422] * 4 + [429]
    response = client.get("/account/password", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# 18. Two-factor sign-in ------------------------------------------------------------------


def enrol(client: TestClient) -> tuple[str, list[str]]:
    """Set up the authenticator as a person does: read the key, type the code."""
    form = soup(client.get("/account/two-factor"))
    qr = form.select_one("img.qr")
    assert qr is not None and qr["src"].startswith("data:image/svg+xml")
    assert qr.get("alt")
    secret = form.select_one("#totp-secret").get_text().replace(" ", "")
    wrong = post_form(client, "/account/two-factor", "/account/two-factor", code="000000")
    assert wrong.status_code == 422 and soup(wrong).select_one(".problem")
    done = post_form(client, "/account/two-factor", "/account/two-factor", code=totp_code(secret))
    assert done.status_code == 200
    codes = [item.get_text() for item in soup(done).select("#recovery-codes code")]
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


def second_step(client: TestClient, code: str) -> Any:
    return post_form(client, "/login/code", "/login/code", code=code)


async def test_an_adviser_enrols_and_then_signs_in_with_a_code(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "adviser")
    secret, codes = enrol(client)
    adviser = await fetch_user(engine, "adviser")
    assert adviser.totp_confirmed_at is not None
    async with session_factory(engine)() as session:
        stored = set(await session.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and not {code.replace("-", "") for code in codes} & stored
    assert hashlib.sha256(codes[0].replace("-", "").encode()).hexdigest() in stored
    [event] = await events(engine, "user.two_factor_enabled")
    assert secret not in str(event.after) and not any(code in str(event.after) for code in codes)
    logout(client)
    client.cookies.clear()
    assert login(client, "adviser").headers["location"] == "/login/code"
    assert client.get("/console", follow_redirects=False).status_code == 303  # not yet in
    wrong = second_step(client, "123456" if totp_code(secret) != "123456" else "654321")
    assert wrong.status_code == 401 and soup(wrong).select_one("#code-error")
    # the step spent on enrolment is refused; the app shows the next one 30 s later
    spent = (await fetch_user(engine, "adviser")).totp_last_step
    assert spent is not None
    assert second_step(client, pyotp.TOTP(secret).generate_otp(spent)).status_code == 401
    fresh = pyotp.TOTP(secret).generate_otp(spent + 1)
    assert second_step(client, fresh).headers["location"] == "/console"
    assert client.get("/console", follow_redirects=False).status_code == 200


async def test_a_used_code_cannot_be_replayed(client: TestClient, engine: AsyncEngine) -> None:
    code = totp_code(ADMIN_TOTP)
    login(client, "admin")  # the helper types the code of this time step
    assert client.get("/admin", follow_redirects=False).status_code == 200
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    first = client.post(
        "/login",
        data={"csrf": token, "username": "admin", "password": PASSWORD},
        follow_redirects=False,
    )
    assert first.headers["location"] == "/login/code"
    replay = second_step(client, code)
    assert replay.status_code == 401
    assert client.get("/admin", follow_redirects=False).status_code == 303


async def test_a_recovery_code_works_once(client: TestClient, engine: AsyncEngine) -> None:
    login(client, "adviser")
    _, codes = enrol(client)
    logout(client)
    client.cookies.clear()
    login(client, "adviser")
    assert second_step(client, codes[3].upper()).headers["location"] == "/console"
    [used] = await events(engine, "user.recovery_code_used")
    assert used.after == {"recovery_codes_left": 9}
    logout(client)
    client.cookies.clear()
    login(client, "adviser")
    assert second_step(client, codes[3]).status_code == 401


async def test_an_admin_without_an_authenticator_is_sent_to_enrol(
    client: TestClient, engine: AsyncEngine
) -> None:
    await make_user(engine, "admin2", "admin", by="admin2")  # chose their own password
    assert login(client, "admin2").headers["location"] == "/account/two-factor"
    for path in ("/admin", "/console", "/staff", "/admin/export.csv"):
        response = client.get(path, follow_redirects=False)
        assert response.headers.get("location") == "/account/two-factor", path
    token = csrf_of(client.get("/account/two-factor").text)
    refused = client.post(
        "/admin/tokens",
        data={"csrf": token, "name": "sneaky", "role": "adviser"},
        follow_redirects=False,
    )
    assert refused.headers["location"] == "/account/two-factor"
    enrol(client)
    assert client.get("/admin", follow_redirects=False).status_code == 200


def test_a_role_can_be_required_to_use_two_factor(
    seeded: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path, HAVN_TWO_FACTOR_ROLES="staff")
    with TestClient(create_app(settings)) as client:
        assert login(client, "staff-a").headers["location"] == "/account/two-factor"
        client.cookies.clear()
        assert login(client, "adviser").headers["location"] == "/console"


async def test_an_admin_can_switch_off_a_lost_authenticator(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "adviser")
    enrol(client)
    adviser = dict(client.cookies)
    client.cookies.clear()
    login(client, "admin")
    target = await fetch_user(engine, "adviser")
    done = post_form(client, f"/admin/users/{target.id}/two-factor", "/admin")
    assert done.status_code == 200
    assert (await fetch_user(engine, "adviser")).totp_secret is None
    client.cookies.clear()
    client.cookies.update(adviser)
    assert client.get("/console", follow_redirects=False).status_code == 303
    assert len(await events(engine, "user.two_factor_reset")) == 1
