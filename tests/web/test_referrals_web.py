"""Referrals through HTTP: the JSON API (advisers send, each centre answers only its own) and
the staff dashboard, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from capacity.models import Hold, Referral, ReferralRequest, Watch, utcnow
from tests.helpers import csrf_of, login, soup
from web.services import Services

CALLBACK = "+47 22 00 11 22"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def draft(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "centres": ["bodo", "oslo"],
        "gender": "woman",
        "adults": 1,
        "children": [4],
        "needs": [],
        "language": "ar",
        "arrival_by": (utcnow() + timedelta(hours=2)).isoformat(),
        "callback": CALLBACK,
        "note": "Comes by taxi",
    }
    return body | changes


def send(client: TestClient, tokens: dict[str, str], **changes: Any) -> Any:
    return client.post(
        "/api/v1/referrals", json=draft(**changes), headers=bearer(tokens["token-adviser"])
    )


def answer(
    client: TestClient, token: str, referral: str, centre: str, action: str, **body: Any
) -> Any:
    url = f"/api/v1/referrals/{referral}/requests/{centre}/{action}"
    return client.post(url, json=body or None, headers=bearer(token))


def test_an_adviser_asks_two_centres_and_each_centre_sees_only_its_own(
    client: TestClient, seeded: dict[str, str]
) -> None:
    sent = send(client, seeded)
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert body["status"] == "pending"
    assert sent.headers["location"] == f"/api/v1/referrals/{body['id']}"
    assert sorted((r["centre"], r["status"]) for r in body["requests"]) == [
        ("bodo", "pending"),
        ("oslo", "pending"),
    ]
    assert all(r["hold"] for r in body["requests"])

    for token, centre in (("token-a", "bodo"), ("token-b", "oslo")):
        listed = client.get("/api/v1/referrals", headers=bearer(seeded[token])).json()["requests"]
        assert [(r["referral"], r["centre"]) for r in listed] == [(body["id"], centre)]
        assert listed[0]["callback"] == CALLBACK
        assert "centre_name" not in listed[0] and "requests" not in listed[0]
    other = client.get("/api/v1/referrals?centre=oslo", headers=bearer(seeded["token-a"]))
    assert other.status_code == 403
    # The referral itself (which names every asked centre) is the adviser's only.
    staff_read = client.get(f"/api/v1/referrals/{body['id']}", headers=bearer(seeded["token-a"]))
    assert staff_read.status_code == 403
    mine = client.get(f"/api/v1/referrals/{body['id']}", headers=bearer(seeded["token-adviser"]))
    assert mine.status_code == 200 and mine.json()["id"] == body["id"]
    # A centre's token answers only for its own centre: another's request does not exist.
    assert answer(client, seeded["token-a"], body["id"], "oslo", "accept").status_code == 404
    assert answer(client, seeded["token-adviser"], body["id"], "bodo", "accept").status_code == 403


def test_the_first_accept_wins_and_answers_are_idempotent(
    client: TestClient, seeded: dict[str, str]
) -> None:
    referral = send(client, seeded).json()["id"]
    first = answer(client, seeded["token-a"], referral, "bodo", "accept")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    again = answer(client, seeded["token-a"], referral, "bodo", "accept")
    assert again.status_code == 200 and again.json()["status"] == "accepted"
    late = answer(client, seeded["token-b"], referral, "oslo", "accept")
    assert late.status_code == 409
    assert late.json()["request_status"] == "withdrawn"
    assert "bodo" not in late.text.lower()  # "no longer needed", never where the party went

    view = client.get(f"/api/v1/referrals/{referral}", headers=bearer(seeded["token-adviser"]))
    body = view.json()
    assert body["status"] == "placed"
    assert {r["centre"]: r["status"] for r in body["requests"]} == {
        "bodo": "accepted",
        "oslo": "withdrawn",
    }
    assert body["handover"]["centre"] == "bodo"
    assert body["callback"] is None and body["note"] is None  # forgotten once placed


def test_declining_needs_a_known_reason_and_is_idempotent(
    client: TestClient, seeded: dict[str, str]
) -> None:
    referral = send(client, seeded).json()["id"]
    token = seeded["token-b"]
    assert answer(client, token, referral, "oslo", "decline", reason="maybe").status_code == 422
    assert answer(client, token, referral, "oslo", "decline", reason="other").status_code == 422
    unknown = answer(client, token, referral, "oslo", "decline", reason="no_place", why="x")
    assert unknown.status_code == 422
    first = answer(client, token, referral, "oslo", "decline", reason="no_place")
    assert first.status_code == 200 and first.json()["status"] == "declined"
    assert first.json()["reason"] == "no_place"
    again = answer(client, token, referral, "oslo", "decline", reason="no_place")
    assert again.status_code == 200 and again.json()["status"] == "declined"
    changed = answer(client, token, referral, "oslo", "decline", reason="needs_not_met")
    assert changed.status_code == 409
    view = client.get(f"/api/v1/referrals/{referral}", headers=bearer(seeded["token-adviser"]))
    assert view.json()["status"] == "pending"  # Bodø may still take them


def test_a_centre_that_cannot_take_the_party_is_named_and_nothing_is_sent(
    client: TestClient, seeded: dict[str, str]
) -> None:
    refused = send(client, seeded, adults=4)  # 3 free places at each
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["centre_id"] == "bodo"
    listed = client.get("/api/v1/referrals", headers=bearer(seeded["token-adviser"])).json()
    assert listed["referrals"] == []
    assert client.get("/api/v1/holds", headers=bearer(seeded["token-adviser"])).json() == {
        "holds": []
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"centres": ["bodo", "oslo", "tromso", "halden"]}, "centres"),
        ({"centres": []}, "centres"),
        ({"centres": "bodo"}, "centres"),
        ({"callback": "call me"}, "callback"),
        ({"callback": "1234"}, "callback"),
        ({"callback": "010190 12345"}, "callback"),
        ({"note": "Født 01019012345, kommer i kveld"}, "note"),
        ({"note": "x" * 301}, "note"),
        ({"arrival_by": "2026-11-29T18:00:00"}, "arrival_by"),
        ({"arrival_by": "tonight"}, "arrival_by"),
        ({"arrival_by": (utcnow() + timedelta(days=3)).isoformat()}, "arrival_by"),
        ({"adults": True}, "adults"),
        ({"gender": "robot"}, "gender"),
        ({"nickname": "Kari"}, "nickname"),
    ],
)
def test_hostile_and_malformed_referrals_are_refused(
    client: TestClient, seeded: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    refused = send(client, seeded, **changes)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == field
    assert client.get("/api/v1/holds", headers=bearer(seeded["token-adviser"])).json() == {
        "holds": []
    }


def test_a_referral_body_must_be_a_json_object(client: TestClient, seeded: dict[str, str]) -> None:
    headers = bearer(seeded["token-adviser"])
    not_json = client.post(
        "/api/v1/referrals", content=b"{", headers=headers | {"Content-Type": "application/json"}
    )
    assert not_json.status_code == 422
    form = client.post("/api/v1/referrals", data={"centres": "bodo"}, headers=headers)
    assert form.status_code == 415
    anonymous = client.post("/api/v1/referrals", json=draft())
    assert anonymous.status_code == 401
    staff = client.post("/api/v1/referrals", json=draft(), headers=bearer(seeded["token-a"]))
    assert staff.status_code == 403


def test_watches_are_created_and_dismissed_by_their_adviser(
    client: TestClient, seeded: dict[str, str]
) -> None:
    headers = bearer(seeded["token-adviser"])
    made = client.post(
        "/api/v1/watches",
        json={"near": "Bodø", "max_km": 50, "gender": "woman", "adults": 1},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    watch = made.json()
    assert watch["near"] == "Bodø" and watch["max_km"] == 50
    assert watch["matched"] == ["bodo"]  # already open now: only a new opening is told
    assert made.headers["location"] == f"/api/v1/watches/{watch['id']}"
    staff = client.delete(f"/api/v1/watches/{watch['id']}", headers=bearer(seeded["token-a"]))
    assert staff.status_code == 403
    assert client.delete(f"/api/v1/watches/{watch['id']}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/watches/{watch['id']}", headers=headers).status_code == 204
    assert client.delete("/api/v1/watches/nope", headers=headers).status_code == 404
    for bad in (
        {"near": "Bodø", "max_km": 0},
        {"near": "Bodø", "max_km": "far"},
        {"near": "", "max_km": 10},
        {"near": "Bodø", "max_km": 10, "street": "Storgata 1"},
    ):
        assert client.post("/api/v1/watches", json=bad, headers=headers).status_code == 422, bad


def test_the_background_sweep_ends_unanswered_referrals_and_forgets_dismissed_watches(
    client: TestClient, seeded: dict[str, str]
) -> None:
    headers = bearer(seeded["token-adviser"])
    referral = send(client, seeded).json()["id"]
    watch = client.post(
        "/api/v1/watches", json={"near": "Bodø", "max_km": 50}, headers=headers
    ).json()["id"]
    assert client.delete(f"/api/v1/watches/{watch}", headers=headers).status_code == 204
    svc: Services = client.app.state.services  # type: ignore[attr-defined]

    async def holds_run_out() -> None:
        async with svc.sessions() as session:
            past = utcnow() - timedelta(minutes=1)
            await session.execute(update(Hold).values(expires_at=past))
            await session.execute(update(Referral).values(expires_at=past))
            await session.commit()

    async def watches_left() -> int:
        async with svc.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(Watch)) or 0)

    client.portal.call(holds_run_out)
    assert client.portal.call(svc.expire_holds) >= 3  # two holds, two requests, the referral
    body = client.get(f"/api/v1/referrals/{referral}", headers=headers).json()
    assert body["status"] == "expired"
    assert {r["status"] for r in body["requests"]} == {"expired"}
    assert body["callback"] is None and body["note"] is None
    assert client.portal.call(watches_left) == 0


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    assert login(client, username).status_code == 303


def staff_post(client: TestClient, path: str, **fields: str) -> Any:
    token = csrf_of(client.get("/staff").text)
    return client.post(path, data={"csrf": token, **fields}, follow_redirects=False)


def test_each_centre_answers_its_own_requests_on_the_dashboard(
    client: TestClient, seeded: dict[str, str]
) -> None:
    sent = send(client, seeded, note="Comes by taxi").json()
    ids = {r["centre"]: r["id"] for r in sent["requests"]}

    sign_in(client, "staff-a")
    page = soup(client.get("/staff"))
    assert page.title is not None and page.title.text.startswith("(1) ")
    section = page.select_one("section#referrals[data-live]")
    assert section is not None and "sse-connect" in section.attrs
    articles = section.select("article.referral")
    assert [a["id"] for a in articles] == [f"referral-{ids['bodo']}"]
    assert articles[0].select_one(f"form[action='/staff/referrals/{ids['bodo']}/accept']")
    reasons = [i["value"] for i in articles[0].select("input[type=radio][name=reason]")]
    assert reasons == [
        "no_place",
        "needs_not_met",
        "too_close_to_danger",
        "risk_assessment",
        "other",
    ]
    assert CALLBACK in articles[0].text and "Comes by taxi" in articles[0].text
    assert ids["oslo"] not in str(page)  # never another centre's request
    # The live section refreshes alone, its count in the title.
    partial = client.get("/staff", headers={"HX-Request": "true", "HX-Target": "referrals"})
    fragment = soup(partial)
    assert fragment.select_one("title") is not None and "(1)" in fragment.title.text
    assert fragment.select_one("#referrals-count") is not None
    # Another centre's request does not exist for this one.
    assert staff_post(client, f"/staff/referrals/{ids['oslo']}/accept").status_code == 404

    # Decline without a reason, and "other" without words: the form comes back, marked.
    missing = staff_post(client, f"/staff/referrals/{ids['bodo']}/decline")
    assert missing.status_code == 422
    marked = soup(missing).select(f"#answer-{ids['bodo']} input[name=reason][aria-invalid=true]")
    assert len(marked) == 5
    other = staff_post(client, f"/staff/referrals/{ids['bodo']}/decline", reason="other")
    assert other.status_code == 422
    assert soup(other).select_one(f"#answer-{ids['bodo']}-text[aria-invalid=true]") is not None
    personal = staff_post(
        client, f"/staff/referrals/{ids['bodo']}/decline", reason="other", reason_text="01019012345"
    )
    assert personal.status_code == 422

    accepted = staff_post(client, f"/staff/referrals/{ids['bodo']}/accept")
    assert accepted.status_code == 303 and accepted.headers["location"] == "/staff#referrals"
    assert staff_post(client, f"/staff/referrals/{ids['bodo']}/accept").status_code == 303
    page = soup(client.get("/staff"))
    assert page.title is not None and not page.title.text.startswith("(")
    answered = page.select("#referrals article.answered")
    assert [a["data-status"] for a in answered] == ["accepted"]
    assert answered[0].select_one("h3") is not None  # the party they expect

    sign_in(client, "staff-b")
    page = soup(client.get("/staff"))
    answered = page.select("#referrals article.answered")
    assert [a["data-status"] for a in answered] == ["withdrawn"]
    assert "Bodø" not in page.select_one("#referrals").text  # never where the party went
    late = staff_post(client, f"/staff/referrals/{ids['oslo']}/accept")
    assert late.status_code == 409
    assert soup(late).select_one("#units-status .problem[role=alert]") is not None


def console_post(client: TestClient, path: str, **fields: Any) -> Any:
    token = csrf_of(client.get("/console").text)
    return client.post(path, data={"csrf": token, **fields}, follow_redirects=False)


def test_an_adviser_refers_from_the_console_and_sees_the_handover(
    client: TestClient, seeded: dict[str, str]
) -> None:
    sign_in(client, "adviser")
    page = soup(client.get("/console", params={"q": "Bodø", "gender": "woman", "adults": "1"}))
    ticks = page.select("input[type=checkbox][name=centres][form=referral-form]")
    assert {t["value"] for t in ticks} == {"bodo", "oslo"}
    form = page.select_one("form#referral-form")
    assert form is not None and form.select_one("#referral-note[aria-describedby]")
    back = "/console?q=Bod%C3%B8"
    fields = {"back": back, "gender": "woman", "adults": "1", "arrival_within": "60"}

    for changes, message in (
        ({"callback": "ring me"}, "refer_callback"),
        ({"callback": CALLBACK, "note": "fnr 010190 12345"}, "refer_note"),
        ({"callback": CALLBACK, "centres": []}, "refer_centres"),
        ({"callback": CALLBACK, "centres": ["bodo", "oslo", "a", "b"]}, "refer_centres"),
        ({"callback": CALLBACK, "adults": "4"}, "cannot_take"),
    ):
        sent = console_post(
            client, "/console/referrals", **({"centres": ["bodo", "oslo"]} | fields | changes)
        )
        assert sent.status_code == 303
        assert sent.headers["location"].endswith(f"message={message}"), (changes, sent.headers)
    assert client.get("/api/v1/holds", headers=bearer(seeded["token-adviser"])).json() == {
        "holds": []
    }

    sent = console_post(
        client, "/console/referrals", centres=["bodo", "oslo"], callback=CALLBACK, **fields
    )
    assert sent.headers["location"].endswith("message=referred")
    page = soup(client.get(sent.headers["location"]))
    mine = page.select_one("section#mine[data-live]")
    assert mine is not None
    [item] = mine.select("li.referral")
    assert {li["data-centre"]: li["data-status"] for li in item.select("ul.asked li")} == {
        "bodo": "pending",
        "oslo": "pending",
    }
    assert item.select_one(".overdue") is None
    referral = item["id"].removeprefix("referral-")

    assert answer(client, seeded["token-a"], referral, "bodo", "accept").status_code == 200
    partial = client.get(
        "/console?q=Bod%C3%B8", headers={"HX-Request": "true", "HX-Target": "mine"}
    )
    fragment = soup(partial)
    [item] = fragment.select("li.referral")
    assert item.select_one(".status")["data-status"] == "placed"
    assert {li["data-centre"]: li["data-status"] for li in item.select("ul.asked li")} == {
        "bodo": "accepted",
        "oslo": "withdrawn",
    }
    assert "Bodø krisesenter" in item.select_one(".handover").text


def test_an_unanswered_request_is_flagged_overdue_and_the_adviser_can_withdraw(
    client: TestClient, seeded: dict[str, str]
) -> None:
    referral = send(client, seeded).json()["id"]
    svc: Services = client.app.state.services  # type: ignore[attr-defined]

    async def long_ago() -> None:
        async with svc.sessions() as session:
            await session.execute(
                update(ReferralRequest).values(created_at=utcnow() - timedelta(minutes=16))
            )
            await session.commit()

    client.portal.call(long_ago)
    # The API token's referral is not the signed-in adviser's: make one as the person.
    sign_in(client, "adviser")
    fields = {"gender": "woman", "adults": "1", "arrival_within": "60", "callback": CALLBACK}
    console_post(client, "/console/referrals", centres=["oslo"], **fields)
    client.portal.call(long_ago)
    page = soup(client.get("/console"))
    [item] = page.select("#mine li.referral")
    assert item.select_one(".overdue") is not None
    mine = item["id"].removeprefix("referral-")
    # Another adviser's referral cannot be withdrawn from here; one's own can.
    other = console_post(client, f"/console/referrals/{referral}/withdraw")
    assert other.headers["location"].endswith("message=referral_ended")
    done = console_post(client, f"/console/referrals/{mine}/withdraw")
    assert done.headers["location"].endswith("message=withdrawn")
    page = soup(client.get("/console"))
    assert page.select_one("#mine li.referral .status")["data-status"] == "withdrawn"


def test_an_adviser_watches_for_a_place_from_the_console(
    client: TestClient, seeded: dict[str, str]
) -> None:
    sign_in(client, "adviser")
    page = soup(client.get("/console", params={"q": "Bodø", "adults": "4"}))
    near = page.select_one("form[action='/console/watches'] input[name=near]")
    assert near is not None and near["value"].startswith("Bodø")
    fields = {"near": near["value"], "gender": "woman", "adults": "4"}
    assert (
        console_post(client, "/console/watches", max_km="0", **fields)
        .headers["location"]
        .endswith("message=watch_invalid")
    )
    made = console_post(client, "/console/watches", max_km="50", **fields)
    assert made.headers["location"].endswith("message=watching")
    page = soup(client.get("/console"))
    [watch] = page.select("#mine ul.watches li")
    assert watch.select_one(".opened") is None  # 3 free places: four do not fit yet

    token = seeded["token-a"]
    url = "/api/v1/centres/bodo/units/women/availability"
    etag = client.get(url).headers["etag"]
    numbers = {"free_beds": 5, "free_family_rooms": 1, "free_accessible_rooms": 1}
    put = client.put(url, json=numbers, headers=bearer(token) | {"If-Match": etag})
    assert put.status_code == 200
    page = soup(client.get("/console"))
    [watch] = page.select("#mine ul.watches li")
    assert "Bodø krisesenter" in watch.select_one(".opened").text
    watch_id = watch["id"].removeprefix("watch-")
    stopped = console_post(client, f"/console/watches/{watch_id}/dismiss")
    assert stopped.headers["location"].endswith("message=dismissed")
    assert soup(client.get("/console")).select("#mine ul.watches li") == []


def test_the_statistics_name_every_column_in_words(
    client: TestClient, seeded: dict[str, str]
) -> None:
    from capacity import stats

    sign_in(client, "adviser")
    page = soup(client.get("/console/stats"))
    headings = {th["data-column"]: th.text for th in page.select("th[data-column]")}
    assert set(headings) == set(stats.COLUMNS)
    for code, words in headings.items():
        assert words.strip() and words != code and "_" not in words, (code, words)
