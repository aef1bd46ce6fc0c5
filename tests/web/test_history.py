"""The history of changes shows each role only what it may see, as a page and as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from bs4 import Tag
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


def text_of(tag: Tag, selector: str) -> str:
    found = tag.select_one(selector)
    return found.get_text(strip=True) if found is not None else ""


def page_rows(client: TestClient) -> list[dict[str, Any]]:
    """The history table as a person reads it: each row's cells and its change lines."""
    response = client.get("/staff/history")
    assert response.status_code == 200
    rows = []
    for row in soup(response).select("table.history tbody tr"):
        rows.append(
            {
                "when": text_of(row, "td.when"),
                "what": text_of(row, "td.what .action"),
                "centre": text_of(row, "td.what .centre"),  # "" for events of no centre
                "changes": {
                    line["data-field"]: (
                        text_of(line, ".field"),
                        text_of(line, ".before"),
                        text_of(line, ".after"),
                    )
                    for line in row.select("td.changes li")
                },
                "text": row.get_text(" ", strip=True),
            }
        )
    return rows


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


async def test_staff_never_read_adviser_notes_intake_phone_or_coordinates_in_the_csv(
    client: TestClient, engine: AsyncEngine
) -> None:
    await record_private_changes(engine)
    login(client, "staff-a")
    snapshots = csv_snapshots(client)
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


async def test_administrators_read_everything_in_the_csv(
    client: TestClient, engine: AsyncEngine
) -> None:
    await record_private_changes(engine)
    login(client, "admin")
    values = [v for snapshot in csv_snapshots(client) for v in every_value(snapshot)]
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


# -- the page as Norwegian staff read it ----------------------------------------------------

AT = datetime(2026, 11, 29, 13, 5, tzinfo=UTC)  # 14:05 in Oslo (winter time)


async def record_readable_changes(engine: AsyncEngine) -> None:
    """A change of free places and of what a unit takes, at a known moment."""
    async with session_factory(engine)() as session:
        audit.record(
            session,
            actor="staff-a",
            action="availability.set",
            entity="availability",
            entity_id="1",
            centre_id="bodo",
            before={"free_beds": 3, "free_family_rooms": 1, "as_of": None},
            after={"free_beds": 2, "free_family_rooms": 1, "as_of": "2026-11-29T13:05:00"},
            at=AT,
        )
        audit.record(
            session,
            actor="staff-a",
            action="unit.updated",
            entity="unit",
            entity_id="1",
            centre_id="bodo",
            before={"pets": False, "languages": ["nb"], "boys_max_age": 12},
            after={"pets": True, "languages": ["nb", "en"], "boys_max_age": None},
        )
        audit.record(
            session,
            actor="adviser",
            action="hold.extended",
            entity="hold",
            entity_id="hold-1",
            centre_id="bodo",
            before={"expires_at": "2026-07-01T10:00:00+00:00", "note": "2026-07-01T10:00"},
            after={"expires_at": "2026-07-01T12:30:00+00:00", "note": "not a time"},
            at=AT,
        )
        audit.record(
            session,
            actor="staff-a",
            action="centre.status",
            entity="centre",
            entity_id="bodo",
            centre_id="bodo",
            before={"status": "open", "status_reason": None},
            after={"status": "temporarily_closed", "status_reason": "open"},
            at=AT,
        )
        audit.record(
            session,
            actor="someone",
            action="made.up",
            entity="thing",
            entity_id="x",
            centre_id="bodo",
            before=None,
            after={"colour": "<b>blue</b>", '1" onmouseover="x': 1},
            at=AT,
        )
        await session.commit()


async def test_staff_read_norwegian_labels_the_centre_name_and_oslo_time(
    client: TestClient, engine: AsyncEngine
) -> None:
    await record_readable_changes(engine)
    login(client, "staff-a")
    response = client.get("/staff/history")
    headings = [th.get_text(strip=True) for th in soup(response).select("table.history th")]
    assert headings[0] == "Når (norsk tid)"
    rows = page_rows(client)
    free = next(row for row in rows if row["what"] == "Ledige plasser endret")
    assert free["when"] == "29.11.2026 14:05"
    assert free["centre"] == "Bodø krisesenter"
    assert free["changes"]["free_beds"] == ("Ledige senger", "3", "2")
    assert "free_family_rooms" not in free["changes"]  # unchanged fields are left out
    assert free["changes"]["as_of"] == ("Tallene gjelder fra", "–", "29.11.2026 14:05")  # UTC
    unit = next(row for row in rows if row["what"] == "Hvem enheten tar imot endret")
    assert unit["changes"] == {
        "pets": ("Kjæledyr", "Nei", "Ja"),
        "languages": ("Språk", "norsk bokmål", "norsk bokmål, engelsk"),  # names, not codes
        "boys_max_age": ("Gutter opp til alder", "12", "–"),
    }
    status = next(row for row in rows if row["what"] == "Åpen eller stengt endret")
    assert status["changes"] == {
        "status": ("Status", "Åpent", "Midlertidig stengt"),
        "status_reason": ("Grunn", "–", "open"),  # only a status is a code: free text stays
    }
    extended = next(row for row in rows if row["what"] == "Holdt plass forlenget")
    assert extended["changes"] == {
        "expires_at": ("Utløper", "01.07.2026 12:00", "01.07.2026 14:30"),  # summer time
        "note": ("Notat", "2026-07-01T10:00", "not a time"),  # free text stays as written
    }
    unknown = next(row for row in rows if row["what"] == "made.up")  # no label: the code
    assert unknown["changes"]["colour"] == ("colour", "–", "<b>blue</b>")  # text, not markup
    assert '1" onmouseover="x' in unknown["changes"]  # a hostile key stays an attribute value
    assert not soup(response).select("table.history td b, [onmouseover]")
    for row in rows:
        assert "{" not in row["text"] and "bodo" not in row["centre"]


async def record_coded_changes(engine: AsyncEngine) -> None:
    """Changes whose values are registry codes: a unit's kind, a party, a declined request."""
    async with session_factory(engine)() as session:
        audit.record(
            session,
            actor="admin",
            action="centre.updated",
            entity="centre",
            entity_id="bodo",
            centre_id="bodo",
            before={"units": [{"kind": "women", "beds": 10}]},
            after={"units": [{"kind": "women", "beds": 10}, {"kind": "transitional", "beds": 2}]},
            at=AT,
        )
        audit.record(
            session,
            actor="adviser",
            action="hold.placed",
            entity="hold",
            entity_id="hold-2",
            centre_id="bodo",
            before=None,
            after={
                "party": {"gender": "man", "needs": ["wheelchair", "pets"], "children": [4]},
                "status": "active",
            },
            at=AT,
        )
        audit.record(
            session,
            actor="staff-a",
            action="referral.declined",
            entity="referral_request",
            entity_id="r-1",
            centre_id="bodo",
            before={"centre_id": "bodo", "status": "pending", "reason": None},
            after={"centre_id": "bodo", "status": "declined", "reason": "too_close_to_danger"},
            at=AT,
        )
        await session.commit()


async def test_codes_in_the_history_are_shown_in_words(
    client: TestClient, engine: AsyncEngine
) -> None:
    await record_coded_changes(engine)
    login(client, "staff-a")
    rows = page_rows(client)
    units = next(row for row in rows if row["what"] == "Opplysninger om senteret endret")
    assert units["changes"]["units"] == (
        "Enheter",
        "(Enhet: Botilbud for kvinner, Senger: 10)",
        "(Enhet: Botilbud for kvinner, Senger: 10), "
        "(Enhet: Gjennomgangsboliger (etter oppholdet), Senger: 2)",
    )
    held = next(row for row in rows if row["what"] == "Plass holdt")
    assert held["changes"]["party.gender"][1:] == ("–", "En mann")
    assert held["changes"]["party.needs"][1:] == ("–", "rullestol, kjæledyr")
    assert held["changes"]["status"][1:] == ("–", "Aktiv")
    declined = next(row for row in rows if row["what"] == "Henvisning avslått")
    assert declined["changes"] == {
        "status": ("Status", "Venter", "Avslått"),
        "reason": ("Grunn", "–", "For nær faren"),
    }
    for row in (units, held, declined):
        for code in ("women", "transitional", "wheelchair", "active", "too_close_to_danger"):
            assert code not in row["text"]


async def test_labels_are_escaped_once_in_every_language(
    client: TestClient, engine: AsyncEngine
) -> None:
    await record_readable_changes(engine)
    login(client, "staff-a")
    assert client.get("/staff/history", params={"lang": "so"}).status_code == 200
    unit = next(row for row in page_rows(client) if "boys_max_age" in row["changes"])
    assert unit["changes"]["boys_max_age"][0] == "Wiilasha ilaa da'da"  # not "da&#39;da"


async def test_the_arrow_points_from_before_to_after_in_right_to_left_pages(
    client: TestClient, engine: AsyncEngine
) -> None:
    await record_readable_changes(engine)
    login(client, "staff-a")
    arrows = soup(client.get("/staff/history")).select("td.changes .arrow")
    assert arrows and {a.get_text() for a in arrows} == {"→"}
    arrows = soup(client.get("/staff/history", params={"lang": "ar"})).select("td.changes .arrow")
    assert arrows and {a.get_text() for a in arrows} == {"←"}


async def test_staff_see_that_hidden_fields_changed_never_what_they_hold(
    client: TestClient, engine: AsyncEngine
) -> None:
    await record_private_changes(engine)
    login(client, "staff-a")
    response = client.get("/staff/history")
    for secret in (NOTES, INTAKE, str(PRECISE), "67.28", "14.4", OTHER_NOTE, "Oslo"):
        assert secret not in response.text
    rows = page_rows(client)
    assert rows and all(row["centre"] == "Bodø krisesenter" for row in rows)
    private = next(row for row in rows if row["what"] == "Opplysninger for rådgivere endret")
    assert private["changes"] == {
        "adviser_notes": ("Notater for rådgivere", "(skjult)", "(skjult)"),
        "intake_phone": ("Inntakstelefon", "(skjult)", "(skjult)"),
    }
    details = next(row for row in rows if row["what"] == "Opplysninger om senteret endret")
    assert details["changes"]["latitude"] == ("Breddegrad", "(skjult)", "(skjult)")
    assert details["changes"]["units"] == ("Enheter", "(Senger: 10)", "–")
    hold = next(row for row in rows if row["what"] == "Plass holdt")
    assert hold["changes"]["note"] == ("Notat", "–", OWN_NOTE)  # their own centre's note
    assert hold["changes"]["party.adults"][1:] == ("–", "1")
    assert hold["changes"]["party.adults"][0].startswith("Hvem som kommer · ")


async def test_administrators_read_everything_on_the_page(
    client: TestClient, engine: AsyncEngine
) -> None:
    await record_private_changes(engine)
    login(client, "admin")
    rows = page_rows(client)
    assert {row["centre"] for row in rows} >= {"Bodø krisesenter", "Oslo krisesenter"}
    text = " ".join(row["text"] for row in rows)
    for secret in (NOTES, INTAKE, str(PRECISE), OWN_NOTE, OTHER_NOTE):
        assert secret in text
    assert "(skjult)" not in text and "{" not in text
