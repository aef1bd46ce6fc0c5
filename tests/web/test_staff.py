"""Staff, administrators and the write API: logins, boundaries, CSRF, concurrency, hostile input."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import audit, registry
from capacity.db import session_factory
from capacity.models import ApiToken, Availability, Event, User, utcnow
from tests.helpers import (
    AVAILABILITY_URL,
    NEW_NUMBERS,
    PASSWORD,
    csrf_of,
    free_beds,
    login,
    soup,
)
from web.app import create_app
from web.config import Settings


def test_login_sends_each_role_home_and_wrong_passwords_are_refused(client: TestClient) -> None:
    assert login(client, "staff-a").headers["location"] == "/staff"
    client.cookies.clear()
    assert login(client, "adviser").headers["location"] == "/console"
    client.cookies.clear()
    assert login(client, "admin").headers["location"] == "/admin"
    client.cookies.clear()
    wrong = login(client, "staff-a", "not the password")
    assert wrong.status_code == 401 and soup(wrong).select_one("#login-error")
    assert login(client, "nobody-at-all").status_code == 401


def test_public_pages_get_no_session_cookie(client: TestClient) -> None:
    for path in ("/", "/?q=Bodø", "/safety", "/api/v1/search?q=Bodø"):
        assert "set-cookie" not in client.get(path).headers


def test_logins_are_rate_limited(client: TestClient) -> None:
    statuses = [login(client, "staff-a", f"wrong-{n}").status_code for n in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    assert login(client, "staff-a").status_code == 429  # even the right password, for a while


def test_staff_see_and_change_only_their_own_centre(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "staff-a")
    dashboard = client.get("/staff")
    assert soup(dashboard).select_one("h1").get_text(strip=True) == "Bodø krisesenter"
    assert client.get("/staff?centre=oslo").status_code == 403
    assert client.get("/console").status_code == 403
    assert client.get("/admin").status_code == 403
    form = soup(dashboard).select_one("form.unit-card")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    response = client.post(
        form["action"], data={**fields, "step": "free_beds:+1"}, follow_redirects=False
    )
    assert response.status_code == 303
    other = (
        soup(client.get("/staff"))
        .select_one("form.unit-card")["action"]
        .replace("/units/1/", "/units/3/")
    )
    refused = client.post(other, data={**fields, "free_beds": "1"})
    assert refused.status_code == 403


async def test_one_tap_plus_and_minus_are_audited(client: TestClient, engine: AsyncEngine) -> None:
    login(client, "staff-a")
    for step in ("free_beds:+1", "free_beds:+1", "free_beds:-1"):
        form = soup(client.get("/staff")).select_one("form.unit-card")
        fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
        client.post(form["action"], data={**fields, "step": step})
    assert await free_beds(engine, "bodo") == 4
    async with session_factory(engine)() as session:
        events = [e for e in await audit.history(session, "bodo") if e.action == "availability.set"]
    assert [(e.actor, e.after["free_beds"]) for e in events[:3]] == [  # type: ignore[index]
        ("staff-a", 4),
        ("staff-a", 5),
        ("staff-a", 4),
    ]


async def test_a_stale_form_cannot_overwrite_a_newer_number(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "staff-a")
    form = soup(client.get("/staff")).select_one("form.unit-card")
    stale = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    client.post(form["action"], data={**stale, "free_beds": "2"})
    response = client.post(form["action"], data={**stale, "free_beds": "7"})
    assert response.status_code == 409
    assert await free_beds(engine, "bodo") == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"csrf": ""},
        {"csrf": "forged"},
        {"free_beds": "abc"},
        {"free_beds": "-5"},
        {"free_beds": "99999"},
        {"version": "x"},
        {"step": "free_beds:+100"},
        {"free_beds": "<script>alert(1)</script>"},
        {"free_beds": "1" * 5000},
    ],
)
async def test_hostile_dashboard_posts_change_nothing(
    client: TestClient, engine: AsyncEngine, changes: dict[str, str]
) -> None:
    login(client, "staff-a")
    form = soup(client.get("/staff")).select_one("form.unit-card")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    response = client.post(form["action"], data={**fields, **changes})
    assert 400 <= response.status_code < 500
    assert await free_beds(engine, "bodo") == 3


def test_forms_without_a_session_are_refused(client: TestClient) -> None:
    response = client.post(
        "/staff/units/1/availability", data={"free_beds": "1"}, follow_redirects=False
    )
    assert response.status_code in (303, 401, 403)
    assert response.status_code != 200


async def test_status_and_what_the_unit_accepts(client: TestClient, engine: AsyncEngine) -> None:
    login(client, "staff-a")
    token = csrf_of(client.get("/staff").text)
    missing_reason = client.post(
        "/staff/status", data={"csrf": token, "status": "temporarily_closed"}
    )
    assert missing_reason.status_code == 422
    client.post(
        "/staff/status",
        data={"csrf": token, "status": "temporarily_closed", "status_reason": "Water damage"},
    )
    closed = client.post("/staff/status", data={"csrf": token, "status": "closed"})
    assert closed.status_code == 403  # closing for good is an administrator's decision
    client.post(
        "/staff/units/1/accepts",
        data={"csrf": token, "children": "on", "pets": "on", "boys_max_age": "14"},
    )
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, "bodo")
    assert (centre.status, centre.status_reason) == ("temporarily_closed", "Water damage")
    assert (centre.units[0].pets, centre.units[0].boys_max_age, centre.units[0].vision) == (
        True,
        14,
        False,
    )
    bad_age = client.post("/staff/units/1/accepts", data={"csrf": token, "boys_max_age": "99"})
    assert bad_age.status_code == 422


def test_history_is_per_centre_for_staff_and_exports_csv(client: TestClient) -> None:
    login(client, "staff-b")
    text = client.get("/staff/history").text
    assert "oslo" in text and "· bodo" not in text
    export = client.get("/staff/history.csv")
    assert export.headers["content-type"].startswith("text/csv")
    rows = export.text.strip().splitlines()
    assert rows[0].startswith("id,at,actor,action") and all(",oslo," in r for r in rows[1:])


# -- the write API ---------------------------------------------------------------------------


def put(
    client: TestClient,
    token: str | None,
    body: Any = NEW_NUMBERS,
    etag: str | None = '"1"',
    **headers: str,
) -> Any:
    sent = dict(headers)
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if etag is not None:
        sent["If-Match"] = etag
    return client.put(AVAILABILITY_URL, json=body, headers=sent)


def test_the_write_api_with_etags(client: TestClient, seeded: dict[str, str]) -> None:
    token = seeded["token-a"]
    current = client.get(AVAILABILITY_URL)
    assert current.headers["etag"] == '"1"' and current.json()["free_beds"] == 3
    assert put(client, token, etag=None).status_code == 428
    changed = put(client, token)
    assert changed.status_code == 200 and changed.headers["etag"] == '"2"'
    assert changed.json()["free_beds"] == 2
    retry = put(client, token)  # the same request again: idempotent
    assert retry.status_code == 200 and retry.headers["etag"] == '"2"'
    stale = put(client, token, body={**NEW_NUMBERS, "free_beds": 9})
    assert stale.status_code == 409 and stale.json()["current"]["free_beds"] == 2
    assert stale.headers["etag"] == '"2"'
    fresh = put(client, token, body={**NEW_NUMBERS, "free_beds": 9}, etag='"2"')
    assert fresh.status_code == 200 and fresh.json()["free_beds"] == 9


def test_the_write_api_refuses_other_centres_and_bad_tokens(
    client: TestClient, seeded: dict[str, str]
) -> None:
    assert put(client, None).status_code == 401
    assert put(client, "havn_nope_nope").status_code == 401
    assert put(client, seeded["token-a"][:-2] + "xx").status_code == 401
    assert put(client, seeded["token-b"]).status_code == 403
    assert put(client, seeded["token-adviser"]).status_code == 403  # advisers do not edit centres


async def test_revoked_and_expired_tokens_are_refused(
    client: TestClient, seeded: dict[str, str], engine: AsyncEngine
) -> None:
    token_id = seeded["token-a"].split("_")[1]
    async with session_factory(engine)() as session:
        token = await session.get(ApiToken, token_id)
        assert token is not None
        token.expires_at = utcnow() - timedelta(seconds=1)
        await session.commit()
    assert put(client, seeded["token-a"]).json()["detail"] == "This API token has expired"
    async with session_factory(engine)() as session:
        token = await session.get(ApiToken, token_id)
        assert token is not None
        token.expires_at, token.revoked_at = None, utcnow()
        await session.commit()
    assert put(client, seeded["token-a"]).json()["detail"] == "This API token was revoked"


@pytest.mark.parametrize(
    "body,headers,status",
    [
        ("{", {"Content-Type": "application/json"}, 422),
        ("[]", {"Content-Type": "application/json"}, 422),
        ('{"free_beds": 1}', {"Content-Type": "application/json"}, 422),
        (
            '{"free_beds": -1, "free_family_rooms": 0, "free_accessible_rooms": 0}',
            {"Content-Type": "application/json"},
            422,
        ),
        (
            '{"free_beds": 11, "free_family_rooms": 0, "free_accessible_rooms": 0}',
            {"Content-Type": "application/json"},
            422,
        ),
        (
            '{"free_beds": "2", "free_family_rooms": 0, "free_accessible_rooms": 0}',
            {"Content-Type": "application/json"},
            422,
        ),
        (
            '{"free_beds": true, "free_family_rooms": 0, "free_accessible_rooms": 0}',
            {"Content-Type": "application/json"},
            422,
        ),
        (
            '{"free_beds": 1, "free_family_rooms": 0, "free_accessible_rooms": 0, "x": 1}',
            {"Content-Type": "application/json"},
            422,
        ),
        (
            '{"free_beds": 1e400, "free_family_rooms": 0, "free_accessible_rooms": 0}',
            {"Content-Type": "application/json"},
            422,
        ),
        ("free_beds=1", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ("x" * 20_000, {"Content-Type": "application/json"}, 413),
    ],
)
async def test_hostile_api_bodies_are_refused_and_lose_nothing(
    client: TestClient,
    seeded: dict[str, str],
    engine: AsyncEngine,
    body: str,
    headers: dict[str, str],
    status: int,
) -> None:
    response = client.put(
        AVAILABILITY_URL,
        content=body,
        headers={**headers, "Authorization": f"Bearer {seeded['token-a']}", "If-Match": '"1"'},
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await free_beds(engine, "bodo") == 3


def test_bad_if_match_values(client: TestClient, seeded: dict[str, str]) -> None:
    for value in ("nonsense", '"-1"', '"99999999999"', "*x"):
        assert put(client, seeded["token-a"], etag=value).status_code in (409, 422)


# -- administration ----------------------------------------------------------------------------


async def test_admin_creates_users_resets_passwords_and_tokens(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "admin")
    token = csrf_of(client.get("/admin").text)
    created = client.post(
        "/admin/users",
        data={
            "csrf": token,
            "username": "new-staff",
            "display_name": "New",
            "role": "staff",
            "centre_id": "bodo",
            "password": "temporary password 1",
        },
    )
    assert created.status_code == 200
    weak = client.post(
        "/admin/users",
        data={
            "csrf": token,
            "username": "weak",
            "role": "adviser",
            "password": "short",
        },
    )
    assert weak.status_code == 422 and soup(weak).select_one(".problem")
    staff_without_centre = client.post(
        "/admin/users",
        data={
            "csrf": token,
            "username": "lost",
            "role": "staff",
            "password": "long enough password",
        },
    )
    assert staff_without_centre.status_code == 422
    made = client.post(
        "/admin/tokens",
        data={"csrf": token, "name": "bodo system", "role": "staff", "centre_id": "bodo"},
    )
    plain = soup(made).select_one("#new-token").get_text()
    assert plain.startswith("havn_")
    assert plain not in client.get("/admin").text  # shown once
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(ApiToken).where(ApiToken.name == "bodo system"))
        assert stored is not None and plain.split("_", 2)[2] not in stored.secret_hash
        user = await session.scalar(select(User).where(User.username == "new-staff"))
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert user.must_change_password


def test_a_password_reset_ends_the_other_sessions(
    client: TestClient, app_settings: Settings
) -> None:
    login(client, "staff-a")
    assert client.get("/staff").status_code == 200
    with TestClient(create_app(app_settings)) as admin:
        login(admin, "admin")
        admin_page = soup(admin.get("/admin"))
        form = next(f for f in admin_page.select("form") if "/password" in f.get("action", ""))
        user_forms = [
            f for f in admin_page.select("form") if f.get("action", "").endswith("/password")
        ]
        target = next(f for f in user_forms if "staff-a" in f.parent.get_text())
        assert form is not None
        admin.post(
            target["action"],
            data={"csrf": csrf_of(admin.get("/admin").text), "password": "brand new password 1"},
        )
    assert client.get("/staff", follow_redirects=False).status_code in (303, 401)


def test_readiness_and_metrics(seeded: dict[str, str], app_settings: Settings) -> None:
    # Only the operator reads them: here a request from this machine (tests/web/test_ops.py).
    with TestClient(create_app(app_settings), client=("127.0.0.1", 40000)) as client:
        ready = client.get("/readyz")
        client.get("/api/v1/search", params={"q": "Bodø"})
        metrics = client.get("/metrics").text
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}
    assert 'havn_http_requests_total{method="GET",route="/api/v1/search",status="200"}' in metrics
    assert "havn_stale_units" in metrics
    assert "127.0.0.1" not in metrics and "testclient" not in metrics


async def test_every_change_is_audited(
    client: TestClient, seeded: dict[str, str], engine: AsyncEngine
) -> None:
    async with session_factory(engine)() as session:
        before = await session.scalar(select(func.count()).select_from(Event))
    put(client, seeded["token-a"])
    async with session_factory(engine)() as session:
        after = await session.scalar(select(func.count()).select_from(Event))
        numbers = await session.scalar(select(Availability).where(Availability.free_beds == 2))
    assert after == (before or 0) + 1 and numbers is not None


async def test_staff_set_the_languages_their_staff_speak(
    client: TestClient, engine: AsyncEngine
) -> None:
    login(client, "staff-a")
    token = csrf_of(client.get("/staff").text)
    client.post("/staff/languages", data={"csrf": token, "languages": "nb, en ar SE"})
    for bad in ("", "english!", " ".join(f"x{chr(97 + n)}" for n in range(21)), "<script>"):
        assert (
            client.post("/staff/languages", data={"csrf": token, "languages": bad}).status_code
            == 422
        )
    assert (
        client.post(
            "/staff/languages?centre=oslo", data={"csrf": token, "languages": "nb"}
        ).status_code
        == 403
    )
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, "bodo")
        events = await audit.history(session, "bodo")
    assert centre.languages == ["nb", "en", "ar", "se"]
    assert events[0].action == "centre.languages" and events[0].actor == "staff-a"


async def test_staff_confirm_a_hold_from_their_dashboard(
    client: TestClient, seeded: dict[str, str], engine: AsyncEngine
) -> None:
    made = client.post(
        "/api/v1/holds",
        json={"centre": "bodo"},
        headers={"Authorization": f"Bearer {seeded['token-adviser']}"},
    )
    assert made.status_code == 201
    login(client, "staff-a")
    dashboard = soup(client.get("/staff"))
    confirm = next(f for f in dashboard.select(".holds form") if f["action"].endswith("/confirm"))
    fields = {i["name"]: i.get("value", "") for i in confirm.select("input[name]")}
    response = client.post(confirm["action"], data=fields, follow_redirects=False)
    assert response.headers["location"].startswith("/staff")
    assert await free_beds(engine, "bodo") == 2


@pytest.mark.parametrize(
    "target", ["//evil.example", "/\\evil.example", "https://evil.example", "/\x00x"]
)
def test_login_never_redirects_to_another_site(client: TestClient, target: str) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf": token, "username": "staff-a", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff"


def test_pages_for_staff_send_strangers_to_the_login(client: TestClient) -> None:
    response = client.get("/console", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/console"
    login(client, "adviser")
    assert client.get("/console").status_code == 200


def assert_by_field(response: Any, input_id: str, typed: str) -> None:
    """The form came back with the message by the field (aria-describedby naming it) and
    the field still holding what was typed."""
    assert 400 <= response.status_code < 500
    field = soup(response).select_one(f"#{input_id}")
    assert field is not None and field.get("aria-invalid") == "true"
    message = soup(response).select_one(f"#{field['aria-describedby']}")
    assert message is not None and message.get_text(strip=True)
    assert message.find_previous("input") == field or message.find_parent("fieldset")
    assert field.get("value") == typed


@pytest.mark.parametrize(
    ("path", "fields", "input_id", "typed"),
    [
        (
            "/staff/units/1/accepts",
            {"children": "on", "pets": "on", "children_max_age": "99"},
            "children_max_age-1",
            "99",
        ),
        ("/staff/units/1/accepts", {"boys_max_age": "tolv"}, "boys_max_age-1", "tolv"),
        (
            "/staff/status",
            {"status": "temporarily_closed", "status_reason": ""},
            "status_reason",
            "",
        ),
        ("/staff/languages", {"languages": "english!"}, "languages", "english!"),
        ("/staff/units/1/availability", {"free_beds": "tre"}, "free_beds-1", "tre"),
    ],
)
async def test_a_bad_staff_form_comes_back_with_the_message_by_the_field(
    client: TestClient,
    engine: AsyncEngine,
    path: str,
    fields: dict[str, str],
    input_id: str,
    typed: str,
) -> None:
    login(client, "staff-a", headers={"Accept-Language": "nb"})
    token = csrf_of(client.get("/staff").text)
    form = {"csrf": token, "version": "1", "free_family_rooms": "1", "free_accessible_rooms": "1"}
    response = client.post(path, data={**form, **fields}, headers={"Accept-Language": "nb"})
    assert_by_field(response, input_id, typed)
    assert soup(response).select_one("h1").get_text(strip=True) != "Noe gikk galt"
    assert await free_beds(engine, "bodo") == 3


async def test_a_bad_age_keeps_the_other_choices_typed(client: TestClient) -> None:
    login(client, "staff-a")
    token = csrf_of(client.get("/staff").text)
    response = client.post(
        "/staff/units/1/accepts",
        data={"csrf": token, "children_max_age": "99", "vision": "on"},
    )
    form = soup(response).select_one("#accepts-1")
    assert form.select_one("input[name=vision]").has_attr("checked")
    assert not form.select_one("input[name=pets]").has_attr("checked")


async def test_a_holds_note_and_oslo_time_show_only_to_the_centre_it_is_for(
    client: TestClient, seeded: dict[str, str]
) -> None:
    made = client.post(
        "/api/v1/holds",
        json={"centre": "bodo", "note": "Arrives by taxi"},
        headers={"Authorization": f"Bearer {seeded['token-adviser']}"},
    )
    assert made.status_code == 201
    expires = datetime.fromisoformat(made.json()["expires_at"])
    login(client, "staff-a")
    hold = soup(client.get("/staff")).select_one("ul.holds li")
    assert hold.select_one(".hold-note").get_text(strip=True) == "Arrives by taxi"
    assert expires.astimezone(ZoneInfo("Europe/Oslo")).strftime("%H:%M") in hold.get_text()
    assert "UTC" not in hold.get_text()
    client.post("/logout", data={"csrf": csrf_of(client.get("/staff").text)})
    login(client, "staff-b")
    assert soup(client.get("/staff")).select_one(".hold-note") is None
