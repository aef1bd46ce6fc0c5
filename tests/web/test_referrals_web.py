"""Referrals through HTTP: the JSON API (advisers send, each centre answers only its own) and
the staff dashboard, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from capacity.models import Hold, Referral, Watch, utcnow
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
