"""CSV export and import of centres, and the public HSDS export, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import functools
import io
import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from capacity import audit, registry
from capacity.errors import InvalidInput
from capacity.exchange import (
    ImportReport,
    export_centres_csv,
    export_hsds,
    import_centres_csv,
    update_centre,
)
from capacity.exchange.csv import COLUMNS, RowError
from capacity.exchange.hsds import TABLES
from capacity.geocoder import Gazetteer
from capacity.models import Centre, Event, Hold, ServedMunicipality, Unit
from tests.helpers import SCHEMAS, schema_errors

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
NOTES = "ADVISER-NOTES-MARKER-7f3a"
INTAKE = "INTAKE-PHONE-MARKER-9c1e"
GAZETTEER = functools.cache(Gazetteer.load)


def new_centre(centre_id: str, **fields: Any) -> Centre:
    centre = Centre(
        id=centre_id,
        name=f"{centre_id.capitalize()} krisesenter",
        country="NO",
        region="Nordland",
        host_municipality="1804",
        operator_type="municipal",
        status="open",
        phone="+47 75 00 00 00",
        email=f"post@{centre_id}.example",
        website=f"https://{centre_id}.example",
        languages=["nb", "en", "se"],
        interpreter=True,
        latitude=67.28,  # Bodø's public point: the registry stores nothing finer
        longitude=14.4,
        intake_phone=INTAKE,
        adviser_notes=NOTES,
        is_demo=False,
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )
    for key, value in fields.items():
        setattr(centre, key, value)
    centre.municipalities = [ServedMunicipality(municipality_code=c) for c in ("1804", "1841")]
    centre.units = [
        Unit(
            kind="women",
            beds=10,
            rooms=8,
            family_rooms=2,
            accessible_rooms=1,
            children=True,
            children_max_age=17,
            boys_max_age=14,
            pets=True,
            sami=True,
        ),
        Unit(kind="men", beds=3, rooms=3, family_rooms=1, accessible_rooms=0, children=False),
    ]
    return centre


async def seed(session: AsyncSession) -> None:
    """bodo (two units, numbers set), tromso (women only, closed for now), vardo."""
    await registry.add_centre(session, new_centre("bodo"), actor="tester")
    tromso = new_centre(
        "tromso",
        status="temporarily_closed",
        status_reason='Water damage.\nCall "VO-linjen" on 116 006.',
        languages=[],
        host_municipality="5501",
        latitude=69.65,
        longitude=18.96,
    )
    tromso.units = tromso.units[:1]
    await registry.add_centre(session, tromso, actor="tester")
    await registry.add_centre(session, new_centre("vardo", website=None), actor="tester")
    bodo = await registry.get_centre(session, "bodo")
    await registry.set_availability(
        session,
        bodo.units[0],
        free_beds=5,
        free_family_rooms=1,
        free_accessible_rooms=1,
        actor="staff",
        source="staff",
        now=NOW,
    )
    await session.commit()


async def event_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def import_csv(session: AsyncSession, text: str | bytes, actor: str) -> ImportReport:
    return await import_centres_csv(session, text, actor, GAZETTEER())


def write(rows: list[dict[str, str]], columns: tuple[str, ...] | list[str] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def errors_of(caught: pytest.ExceptionInfo[InvalidInput]) -> list[RowError]:
    errors: list[RowError] = caught.value.detail["errors"]
    assert errors, "InvalidInput without any error listed"
    return errors


# --- CSV export ---------------------------------------------------------------------------


async def test_export_writes_one_row_per_centre_with_every_column(session: AsyncSession) -> None:
    await seed(session)
    text = await export_centres_csv(session)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = {row["id"]: row for row in read(text)}
    assert list(rows) == ["bodo", "tromso", "vardo"]
    bodo = rows["bodo"]
    assert bodo["serves"] == "1804 1841"
    assert bodo["languages"] == "nb en se"
    assert (bodo["latitude"], bodo["longitude"]) == ("67.28", "14.4")
    assert (bodo["women_beds"], bodo["women_boys_max_age"], bodo["women_pets"]) == (
        "10",
        "14",
        "true",
    )
    assert (bodo["men_children"], bodo["men_children_max_age"]) == ("false", "")
    assert all(rows["tromso"][f"men_{name}"] == "" for name in ("beds", "children", "sami"))
    assert rows["tromso"]["status_reason"] == 'Water damage.\nCall "VO-linjen" on 116 006.'


async def test_export_neutralises_formula_cells(session: AsyncSession) -> None:
    centre = new_centre(
        "evil",
        name='=HYPERLINK("http://attacker.example","Click")',
        region="@SUM(A1:A9)",
        operator_type="-2+3",
        status_reason="\tcmd|' /C calc'!A0",
    )
    await registry.add_centre(session, centre, actor="tester")
    quoted = new_centre("evil-too", operator_type="'=already quoted", status_reason="\r\nx")
    await registry.add_centre(session, quoted, actor="tester")
    await session.commit()
    text = await export_centres_csv(session)
    row, row_too = read(text)
    assert row["name"] == "'" + '=HYPERLINK("http://attacker.example","Click")'
    assert row["region"] == "'@SUM(A1:A9)"
    assert row["operator_type"] == "'-2+3"
    assert row["status_reason"] == "'\tcmd|' /C calc'!A0"
    assert row["phone"] == "'+47 75 00 00 00"
    assert row["latitude"] == "67.28"  # numbers are numbers, not formulas
    assert (row_too["operator_type"], row_too["status_reason"]) == ("''=already quoted", "'\r\nx")
    # The import takes exactly the added apostrophe off again.
    assert (await import_csv(session, text, "operator")).unchanged == 2


async def test_no_secret_field_is_exported(session: AsyncSession) -> None:
    await seed(session)
    text = await export_centres_csv(session)
    document = await export_hsds(session)
    for secret in (NOTES, INTAKE):
        assert secret not in text
        assert secret not in json.dumps(document, ensure_ascii=False)
    assert "adviser_notes" not in text and "intake_phone" not in text
    assert not [key for key in keys(document) if "address" in key]  # not even an empty one


def keys(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys(inner)


# --- CSV import ---------------------------------------------------------------------------


async def test_export_then_import_leaves_the_registry_unchanged(session: AsyncSession) -> None:
    await seed(session)
    text = await export_centres_csv(session)
    events = await event_count(session)
    report = await import_csv(session, text, actor="operator")
    await session.commit()
    assert report == ImportReport(created=0, updated=0, unchanged=3)
    assert await event_count(session) == events
    assert await export_centres_csv(session) == text


async def test_an_edited_row_updates_that_centre_with_one_audit_event(
    session: AsyncSession,
) -> None:
    await seed(session)
    rows = read(await export_centres_csv(session))
    rows[0]["name"] = "Salten krisesenter"
    rows[0]["women_beds"] = "12"
    rows[0]["serves"] = "1804 1841 1845"
    events = await event_count(session)
    report = await import_csv(session, write(rows), actor="operator")
    await session.commit()
    assert report == ImportReport(created=0, updated=1, unchanged=2, changed_ids=("bodo",))
    assert await event_count(session) == events + 1
    event = (await audit.history(session, "bodo", limit=1))[0]
    assert (event.action, event.actor, event.entity_id) == ("centre.updated", "operator", "bodo")
    assert event.before is not None and event.after is not None
    assert (event.before["name"], event.after["name"]) == ("Bodo krisesenter", "Salten krisesenter")
    assert (event.before["serves"], event.after["serves"]) == (
        ["1804", "1841"],
        ["1804", "1841", "1845"],
    )
    assert [u["beds"] for u in event.before["units"] if u["kind"] == "women"] == [10]
    assert [u["beds"] for u in event.after["units"] if u["kind"] == "women"] == [12]
    assert (event.before["version"], event.after["version"]) == (1, 2)
    bodo = await registry.get_centre(session, "bodo")
    assert (bodo.name, bodo.version, bodo.adviser_notes) == ("Salten krisesenter", 2, NOTES)
    assert bodo.updated_at > NOW
    tromso = await registry.get_centre(session, "tromso")
    assert tromso.version == 1


async def test_a_new_row_creates_a_centre_through_the_registry(session: AsyncSession) -> None:
    await seed(session)
    rows = read(await export_centres_csv(session))
    narvik = dict(rows[1], id="narvik", name="Narvik krisesenter", serves="1806")
    report = await import_csv(session, write([*rows, narvik]), actor="operator")
    await session.commit()
    assert (report.created, report.unchanged, report.changed_ids) == (1, 3, ("narvik",))
    centre = await registry.get_centre(session, "narvik")
    assert [u.kind for u in centre.units] == ["women"]
    assert [m.municipality_code for m in centre.municipalities] == ["1806"]
    assert (centre.adviser_notes, centre.intake_phone, centre.is_demo) == (None, None, False)
    event = (await audit.history(session, "narvik"))[0]
    assert (event.action, event.before) == ("centre.created", None)


async def test_a_unit_can_be_added_but_not_removed(session: AsyncSession) -> None:
    await seed(session)
    rows = {row["id"]: row for row in read(await export_centres_csv(session))}
    for name in ("beds", "rooms", "family_rooms", "accessible_rooms"):
        rows["tromso"][f"men_{name}"] = "2"
    for name in ("children", "pets", "substance_use", "trafficking", "sami", "lgbtq"):
        rows["tromso"][f"men_{name}"] = "no"
    rows["tromso"]["men_hearing"] = rows["tromso"]["men_vision"] = "0"
    await import_csv(session, write(list(rows.values())), actor="operator")
    await session.commit()
    tromso = await registry.get_centre(session, "tromso")
    assert sorted((u.kind, u.beds) for u in tromso.units) == [("men", 2), ("women", 10)]

    rows["bodo"] = {k: "" if k.startswith("men_") else v for k, v in rows["bodo"].items()}
    with pytest.raises(InvalidInput) as caught:
        await import_csv(session, write(list(rows.values())), actor="operator")
    assert [(e.line, e.column) for e in errors_of(caught)] == [(2, "men_beds")]


async def test_sizes_below_the_free_places_reported_are_refused(session: AsyncSession) -> None:
    await seed(session)
    rows = read(await export_centres_csv(session))
    rows[0]["women_beds"] = "4"  # five are reported free
    with pytest.raises(InvalidInput) as caught:
        await import_csv(session, write(rows), actor="operator")
    (error,) = errors_of(caught)
    assert (error.line, error.column) == (2, "women_beds")
    assert "5 reported free" in error.message


async def test_one_bad_row_means_nothing_is_written(session: AsyncSession) -> None:
    await seed(session)
    rows = read(await export_centres_csv(session))
    rows[0]["name"] = "A valid new name"
    rows[2].update(latitude="200", women_beds="-1", interpreter="perhaps")
    events = await event_count(session)
    with pytest.raises(InvalidInput) as caught:
        await import_csv(session, write(rows), actor="operator")
    await session.commit()
    # tromso's status reason spans two lines, so vardo's row starts on line 5.
    found = {(e.line, e.column) for e in errors_of(caught)}
    assert found == {(5, "latitude"), (5, "women_beds"), (5, "interpreter")}
    assert "nothing was imported" in caught.value.message
    assert await event_count(session) == events
    assert (await registry.get_centre(session, "bodo")).name == "Bodo krisesenter"


async def test_only_the_columns_given_are_changed(session: AsyncSession) -> None:
    await seed(session)
    columns = ["id", "name", "country", "region", "host_municipality", "latitude", "longitude"]
    rows = [{c: v for c, v in read(await export_centres_csv(session))[0].items() if c in columns}]
    rows[0]["women_beds"] = "11"
    report = await import_csv(session, write(rows, [*columns, "women_beds"]), "operator")
    await session.commit()
    assert report.updated == 1
    bodo = await registry.get_centre(session, "bodo")
    assert (bodo.phone, bodo.languages, bodo.units[0].beds) == (
        "+47 75 00 00 00",
        ["nb", "en", "se"],
        11,
    )


async def test_a_byte_order_mark_bytes_and_leading_blank_lines_are_accepted(
    session: AsyncSession,
) -> None:
    await seed(session)
    text = await export_centres_csv(session)
    assert (await import_csv(session, "\ufeff" + text, "operator")).unchanged == 3
    encoded = "\ufeff".encode() + text.encode()
    assert (await import_csv(session, encoded, "operator")).unchanged == 3
    assert (await import_csv(session, "\r\n\r\n" + text, "operator")).unchanged == 3


async def test_hostile_text_is_stored_as_plain_data(session: AsyncSession) -> None:
    hostile = {
        "name": '=HYPERLINK("http://attacker.example","Click")',
        "region": "+cmd|' /C calc'!A0",
        "status_reason": 'He said "stay",\n\'; DROP TABLE centres; --\n<script>alert(1)</script>',
    }
    row = {column: "" for column in COLUMNS} | {
        "id": "evil",
        "country": "NO",
        "host_municipality": "1804",
        "status": "temporarily closed",
        "interpreter": "yes",
        "latitude": "59,91",
        "longitude": "10.75",
    }
    report = await import_csv(session, write([row | hostile]), actor="operator")
    await session.commit()
    assert (report.created, report.snapped_ids) == (1, ("evil",))
    centre = await registry.get_centre(session, "evil")
    assert {name: getattr(centre, name) for name in hostile} == hostile
    # 59,91 was read (a decimal comma) but not stored: the centre is at Bodø's public point.
    assert (centre.status, centre.latitude, centre.units) == ("temporarily_closed", 67.28, [])
    text = await export_centres_csv(session)
    cells = read(text)[0]
    assert cells["name"].startswith("'=") and cells["region"].startswith("'+")
    assert (await import_csv(session, text, "operator")).unchanged == 1
    assert len(await registry.list_centres(session)) == 1  # the table is still there


async def test_where_a_phone_is_published_goes_out_and_comes_back(
    session: AsyncSession,
) -> None:
    published = "=undated; before 2021 (newest item 22.03.2017)"  # a formula start, kept as text
    source = "https://www.fylkesmannen.no/Nordland/Krisesenter?a=1&b=2"
    centre = new_centre("bodo", phone_source=source, phone_published=published)
    await registry.add_centre(session, centre, actor="tester")
    await session.commit()
    text = await export_centres_csv(session)
    cells = read(text)[0]
    assert (cells["phone_source"], cells["phone_published"]) == (source, "'" + published)
    assert (await import_csv(session, text, "operator")).unchanged == 1
    edited = text.replace(source, "http://krisesenter.example/om-oss").replace(
        "'" + published, "2021-12"
    )
    assert (await import_csv(session, edited, "operator")).updated == 1
    await session.commit()
    stored = await registry.get_centre(session, "bodo")
    assert (stored.phone_source, stored.phone_published) == (
        "http://krisesenter.example/om-oss",
        "2021-12",
    )
    assert await export_centres_csv(session) == edited


def valid_row(**cells: str) -> str:
    row = {column: "" for column in COLUMNS} | {
        "id": "narvik",
        "name": "Narvik krisesenter",
        "country": "NO",
        "region": "Nordland",
        "host_municipality": "1806",
        "status": "open",
        "interpreter": "true",
        "latitude": "68.44",
        "longitude": "17.43",
    }
    return write([row | cells])


def hostile_inputs() -> Iterator[tuple[str, str | bytes, tuple[int, str] | None]]:
    """(case, file, (line, column) of the first error, or None when not pinned)."""
    header = ",".join(COLUMNS)
    yield "empty", "", (0, "")
    yield "blank lines", "  \r\n\r\n\t\n", (0, "")
    yield "random bytes", random.Random(7).randbytes(4096), (0, "")
    yield "zip file", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200), (0, "")
    yield "utf-16", "\ufeffid,name\r\n".encode("utf-16-le"), (0, "")
    yield "lone surrogate", valid_row(name="\ud800"), (0, "")
    yield "over 5 MB", "id\n" + "a" * (5 * 1024 * 1024), (0, "")
    yield "semicolons", valid_row().replace(",", ";"), (1, "")
    yield "tabs", valid_row().replace(",", "\t"), (1, "")
    yield (
        "unknown column",
        valid_row().replace("interpreter", "adviser_notes", 1),
        (1, "adviser_notes"),
    )
    yield "missing column", header.replace("latitude,", "") + "\r\n", (1, "latitude")
    yield "column twice", header + ",name\r\n", (1, "name")
    yield "too many rows", header + "\r\n" + "x\r\n" * 5001, (5002, "")
    yield "ragged row", valid_row() + "extra,cells\r\n", (3, "")
    yield "unclosed quote", valid_row() + 'bodo,"Salten\r\n', None
    yield "text after quote", valid_row().replace("Narvik krisesenter", '"Narvik"x'), (2, "")
    yield "field over csv limit", valid_row(status_reason="x" * 200_000), (2, "")
    yield "long cell", valid_row(name="x" * 10_000), (2, "name")
    yield "long reason", valid_row(status_reason="x" * 501), (2, "status_reason")
    yield "id twice", valid_row() + valid_row().split("\r\n", 1)[1], (3, "id")
    for bad_id in ("Bodø", "-bodo", "b", "bodo;drop", "x" * 64, "'; DROP TABLE centres; --"):
        yield f"id {bad_id[:12]!r}", valid_row(id=bad_id), (2, "id")
    yield "no name", valid_row(name=""), (2, "name")
    yield "newline in name", valid_row(name="Narvik\nkrisesenter"), (2, "name")
    yield "escape code", valid_row(name="\x1b[31mNarvik"), (2, "name")
    yield "country", valid_row(country="Norway"), (2, "country")
    yield "status", valid_row(status="maybe"), (2, "status")
    yield "boolean", valid_row(interpreter="perhaps"), (2, "interpreter")
    yield "javascript url", valid_row(website="javascript:alert(1)"), (2, "website")
    yield "phone", valid_row(phone="=1+1"), (2, "phone")
    for bad_source in ("javascript:alert(1)", "data:text/html,x", "https://a@evil.example", "x"):
        yield f"source {bad_source[:12]!r}", valid_row(phone_source=bad_source), (2, "phone_source")
    crlf = valid_row(phone_source="https://a.no/\r\nSet-Cookie: x")
    yield "phone source crlf", crlf, (2, "phone_source")
    yield "published crlf", valid_row(phone_published="2017\r\n=cmd"), (2, "phone_published")
    yield "published long", valid_row(phone_published="2" * 101), (2, "phone_published")
    yield "html e-mail", valid_row(email="<svg/onload=alert(1)>@x.example"), (2, "email")
    yield "language", valid_row(languages="nb <script>"), (2, "languages")
    yield "served twice", valid_row(serves="1806 1806"), (2, "serves")
    for bad in ("nan", "inf", "1e400", "91", "north", "0x10", "1_0"):
        yield f"latitude {bad}", valid_row(latitude=bad), (2, "latitude")
    yield "negative beds", valid_row(women_beds="-1"), (2, "women_beds")
    yield "beds not whole", valid_row(women_beds="2.5"), (2, "women_beds")
    yield "huge number", valid_row(women_beds="9" * 40), (2, "women_beds")
    yield "age 18", valid_row(women_children_max_age="18"), (2, "women_children_max_age")
    yield "half a unit", valid_row(women_beds="4"), (2, "women_rooms")


CASES = list(hostile_inputs())


@pytest.mark.parametrize(("text", "first"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_hostile_files_are_refused_whole(
    session: AsyncSession, text: str | bytes, first: tuple[int, str] | None
) -> None:
    await seed(session)
    events = await event_count(session)
    with pytest.raises(InvalidInput) as caught:
        await import_csv(session, text, actor="operator")
    errors = errors_of(caught)
    assert all(isinstance(e.line, int) and e.message for e in errors)
    if first is not None:
        assert first in {(e.line, e.column) for e in errors}, errors
    json.dumps(caught.value.detail)  # the web layer can send it as a problem detail
    await session.commit()
    assert await event_count(session) == events


# --- update_centre ------------------------------------------------------------------------


async def test_update_centre_without_differences_writes_nothing(session: AsyncSession) -> None:
    await seed(session)
    bodo = await registry.get_centre(session, "bodo")
    events = await event_count(session)
    same = {"name": bodo.name, "serves": ["1841", "1804"], "units": {"women": {"beds": 10}}}
    assert await update_centre(session, bodo, same, actor="operator") is False
    assert await event_count(session) == events
    with pytest.raises(InvalidInput):
        await update_centre(session, bodo, {"adviser_notes": "x"}, actor="operator")
    with pytest.raises(InvalidInput):
        await update_centre(session, bodo, {"units": {"women": {"secret": 1}}}, actor="x")


# --- HSDS ---------------------------------------------------------------------------------


async def seeded_hsds(
    session: AsyncSession, municipality_name: Callable[[str], str | None] | None = None
) -> dict[str, Any]:
    await seed(session)
    bodo = await registry.get_centre(session, "bodo")
    session.add(
        Hold(
            id="hold-1",
            unit_id=bodo.units[0].id,
            places=2,
            family_rooms=1,
            accessible_rooms=0,
            party={},
            status="active",
            created_by="adviser",
            created_at=NOW,
            expires_at=NOW + timedelta(hours=2),
        )
    )
    await session.commit()
    return await export_hsds(session, municipality_name, now=NOW + timedelta(minutes=5))


async def test_hsds_export_validates_against_the_vendored_schema(session: AsyncSession) -> None:
    document = await seeded_hsds(session)
    assert set(document) == {"about", *TABLES}
    assert schema_errors(document) == []
    counts = {table: len(document[table]) for table in ("organizations", "services", "locations")}
    assert counts == {"organizations": 3, "services": 5, "locations": 3}
    openapi = json.loads((SCHEMAS / "openapi.json").read_text())
    about = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert list(Draft202012Validator(about["schema"]).iter_errors(document["about"])) == []

    # The check is real: a broken record fails it.
    broken = json.loads(json.dumps(document))
    broken["services"][0]["status"] = "open"
    broken["locations"][0]["id"] = "bodo"
    del broken["organizations"][0]["description"]
    assert len(schema_errors(broken)) == 3


async def test_hsds_records_refer_to_each_other(session: AsyncSession) -> None:
    document = await seeded_hsds(session)
    ids = {table: {record["id"] for record in document[table]} for table in TABLES}
    assert all(len(ids[t]) == len(document[t]) for t in TABLES)  # unique ids
    for service in document["services"]:
        assert service["organization_id"] in ids["organizations"]
    for link in document["service_at_locations"]:
        assert (link["service_id"], link["location_id"]) in {
            (s, loc) for s in ids["services"] for loc in ids["locations"]
        }
    for table in ("languages", "service_areas", "service_capacities"):
        assert {r["service_id"] for r in document[table]} <= ids["services"]
    assert {r["taxonomy_term_id"] for r in document["attributes"]} <= ids["taxonomy_terms"]
    again = await export_hsds(session, now=NOW + timedelta(minutes=5))
    assert again == document  # stable identifiers


async def test_hsds_shows_only_the_approximate_public_point(session: AsyncSession) -> None:
    document = await seeded_hsds(session)
    bodo = document["locations"][0]
    assert (bodo["latitude"], bodo["longitude"]) == (67.28, 14.4)
    for location in document["locations"]:
        assert round(location["latitude"], 2) == location["latitude"]
        assert round(location["longitude"], 2) == location["longitude"]
        assert "addresses" not in location
    assert not [key for key in TABLES if "address" in key]


async def test_hsds_capacity_is_free_minus_held_places(session: AsyncSession) -> None:
    document = await seeded_hsds(session)
    capacities = {
        record["unit"]["identifier"]: (record["available"], record["maximum"])
        for record in document["service_capacities"]
    }
    assert capacities == {"bed": (3, 10), "family-room": (0, 2), "accessible-room": (1, 1)}
    statuses = sorted(service["status"] for service in document["services"])
    assert statuses == ["active"] * 4 + ["temporarily closed"]


async def test_hsds_names_municipalities_when_told_how(session: AsyncSession) -> None:
    names = {"1804": "Bodø"}
    document = await seeded_hsds(session, names.get)
    assert document["locations"][0]["name"] == "Bodø (approximate)"
    areas = {area["name"] for area in document["service_areas"]}
    assert areas == {"Bodø", "1841"}
    languages = {language["code"]: language.get("name") for language in document["languages"]}
    assert languages == {"nb": "Norwegian Bokmål", "en": "English", "se": "Northern Sami"}
