"""The history of changes shows each role only what it may see, as a page and as CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient

from capacity import audit
from capacity.db import session_factory
from tests.helpers import login, soup

NOTES = "ADVISER-NOTES-4d1f"
INTAKE = "+47 400 00 001"
PRECISE = 67.2804123
OWN_NOTE = "HOLD-NOTE-BODO-77"
OTHER_NOTE = "HOLD-NOTE-OSLO-88"


async def record_private_changes(engine: AsyncEngine) -> None:
    """Events that carry what staff may not read, as older code and other paths wrote them."""
    async with session_factory(engine)() as session:
        for centre_id, note in (("bodo", OWN_NOTE), ("oslo", OTHER_NOTE)):
            audit.record(
                session,
                actor="admin",
                action="centre.private_updated",
                entity="centre",
                entity_id=centre_id,
                centre_id=centre_id,
                before={"adviser_notes": None, "intake_phone": None},
                after={"adviser_notes": NOTES, "intake_phone": INTAKE},
            )
            audit.record(
                session,
                actor="admin",
                action="centre.updated",
                entity="centre",
                entity_id=centre_id,
                centre_id=centre_id,
                before={"latitude": PRECISE, "longitude": 14.4049, "units": [{"beds": 10}]},
                after={"latitude": 67.28, "longitude": 14.4, "adviser_notes": NOTES},
            )
            audit.record(
                session,
                actor="adviser",
                action="hold.placed",
                entity="hold",
                entity_id=f"hold-{centre_id}",
                centre_id=centre_id,
                before=None,
                after={"places": 1, "note": note, "party": {"adults": 1}},
            )
        await session.commit()


def page_snapshots(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/staff/history")
    assert response.status_code == 200
    found = []
    for row in soup(response).select("table.history tbody tr"):
        cells = row.select("td")
        for cell in cells[3:5]:
            text = cell.get_text(strip=True)
            if text:
                found.append(json.loads(text) | {"_what": cells[2].get_text(strip=True)})
    return found


def csv_snapshots(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/staff/history.csv")
    assert response.status_code == 200
    found = []
    for row in csv.DictReader(io.StringIO(response.text, newline="")):
        for column in ("before", "after"):
            if row[column]:
                found.append(json.loads(row[column]) | {"_what": row["centre"]})
    return found


def every_value(snapshot: Any) -> list[Any]:
    if isinstance(snapshot, dict):
        return [v for value in snapshot.values() for v in every_value(value)]
    if isinstance(snapshot, list):
        return [v for value in snapshot for v in every_value(value)]
    return [snapshot]


@pytest.mark.parametrize("read", [page_snapshots, csv_snapshots], ids=["page", "csv"])
async def test_staff_never_read_adviser_notes_intake_phone_or_coordinates(
    client: TestClient, engine: AsyncEngine, read: Any
) -> None:
    await record_private_changes(engine)
    login(client, "staff-a")
    snapshots = read(client)
    values = [v for snapshot in snapshots for v in every_value(snapshot)]
    assert snapshots and all("oslo" not in s["_what"] for s in snapshots)
    for secret in (NOTES, INTAKE, PRECISE, 67.28, 14.4, OTHER_NOTE):
        assert secret not in values
    masked = [s for s in snapshots if "adviser_notes" in s or "latitude" in s]
    assert masked and all(
        s.get(k, audit.HIDDEN) == audit.HIDDEN
        for s in masked
        for k in ("adviser_notes", "intake_phone", "latitude", "longitude")
    )
    assert OWN_NOTE in values  # a hold note at their own centre is for them
    assert 10 in values  # operational fields stay visible


@pytest.mark.parametrize("read", [page_snapshots, csv_snapshots], ids=["page", "csv"])
async def test_administrators_read_everything(
    client: TestClient, engine: AsyncEngine, read: Any
) -> None:
    await record_private_changes(engine)
    login(client, "admin")
    values = [v for snapshot in read(client) for v in every_value(snapshot)]
    for secret in (NOTES, INTAKE, PRECISE, OWN_NOTE, OTHER_NOTE):
        assert secret in values
    assert audit.HIDDEN not in values


def test_the_policy_hides_hold_notes_of_other_centres_and_hashes_from_everyone() -> None:
    assert "note" in audit.hidden_fields("staff", "bodo", "oslo")
    assert "note" not in audit.hidden_fields("staff", "bodo", "bodo")
    assert audit.hidden_fields("adviser", None, "bodo") == audit.ADMIN_FIELDS | audit.SECRET_FIELDS
    assert audit.hidden_fields("admin", None, "bodo") == audit.SECRET_FIELDS
    nested = {"units": [{"intake_phone": "x", "beds": 2}], "password_hash": "h"}
    assert audit.redact(nested, audit.hidden_fields("staff", "bodo", "bodo")) == {
        "units": [{"intake_phone": audit.HIDDEN, "beds": 2}],
        "password_hash": audit.HIDDEN,
    }


# -- the CSV file name -----------------------------------------------------------------------

HOSTILE = {
    "crlf": "bodo\r\nSet-Cookie: stolen=1",
    "quote": 'bodo"; filename="evil.sh',
    "emoji": "🙂",
    "long": "b" * 5000,
    "path": "../../etc/passwd",
    "unknown": "no-such-centre",
    "percent": "bodo%0d%0aX: y",
}


def test_a_hostile_centre_gives_a_clear_4xx_never_a_500_or_a_header(client: TestClient) -> None:
    login(client, "admin")
    for name, value in HOSTILE.items():
        for path in ("/staff/history.csv", "/staff/history"):
            response = client.get(path, params={"centre": value})
            assert response.status_code in (404, 422), (name, path, response.status_code)
            assert "content-disposition" not in response.headers
            assert "stolen" not in str(response.headers)
    client.cookies.clear()
    login(client, "staff-a")
    for name, value in HOSTILE.items():
        response = client.get("/staff/history.csv", params={"centre": value})
        assert response.status_code == 403, name
        assert "content-disposition" not in response.headers


def test_the_file_is_named_after_the_checked_centre_id(client: TestClient) -> None:
    login(client, "admin")
    response = client.get("/staff/history.csv", params={"centre": "bodo"})
    assert response.headers["content-disposition"] == (
        'attachment; filename="havn-history-bodo.csv"'
    )
    every = client.get("/staff/history.csv")
    assert every.headers["content-disposition"] == 'attachment; filename="havn-history-all.csv"'
    client.cookies.clear()
    login(client, "staff-a")
    own = client.get("/staff/history.csv")
    assert own.headers["content-disposition"] == 'attachment; filename="havn-history-bodo.csv"'
