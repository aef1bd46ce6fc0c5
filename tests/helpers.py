"""What the tests share that is not a fixture: people, centres, forms, ports and servers.

Fixtures are in the conftest.py files: tests/conftest.py (databases, for every level),
tests/web/conftest.py (the app through its HTTP interface), tests/system/conftest.py (browsers).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import pyotp
import uvicorn
from bs4 import BeautifulSoup
from jsonschema import Draft202012Validator, FormatChecker
from playwright.sync_api import Page, Route
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message, Scope

from capacity import registry
from capacity.db import create_engine, session_factory
from capacity.exchange.csv import COLUMNS
from capacity.exchange.hsds import TABLES as HSDS_TABLES
from capacity.geocoder import Gazetteer
from capacity.models import Centre, ServedMunicipality, Unit, User, utcnow
from web.config import Settings

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
ADMIN_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the seeded admin's authenticator secret
TABLES = (
    "referral_requests",
    "referrals",
    "watches",
    "login_sessions",
    "recovery_codes",
    "holds",
    "availability",
    "units",
    "served_municipalities",
    "api_tokens",
    "users",
    "centres",
    "events",
    "aftercare_services",
    "daily_counts",
)


# -- databases ---------------------------------------------------------------------------------


async def reset_database(url: str, create: bool) -> None:
    """Drop the PostgreSQL database of `url`, and create it again (empty) when `create`."""
    target = make_url(url)
    admin = await asyncpg.connect(
        host=target.host,
        port=target.port or 5432,
        user=target.username,
        password=target.password,
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        if create:
            await admin.execute(f'CREATE DATABASE "{target.database}"')
    finally:
        await admin.close()


async def empty_postgres(url: str) -> None:
    """Delete every row of the migrated PostgreSQL database at `url` and restart its id
    sequences (the schema stays). DELETE, not TRUNCATE: on tables this small it takes a fifth
    of the time, as TRUNCATE makes new files for every table."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            # The audit log refuses deletion by trigger; replica mode skips triggers (and the
            # foreign-key checks, which are triggers too) for this cleanup.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            for table in TABLES:
                await connection.execute(text(f"DELETE FROM {table}"))
            sequences = await connection.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            )
            for sequence in sequences.all():
                await connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    finally:
        await engine.dispose()


def copy_database(template: Path, folder: Path, name: str = "havn.sqlite3") -> str:
    """The URL of a fresh copy of the SQLite file `template` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, folder / name)
    return f"sqlite:///{folder / name}"


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` to its end in another thread (Playwright's sync API owns this one's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


# -- the registry's people and centres ---------------------------------------------------------


def make_centre(
    centre_id: str,
    gazetteer: Gazetteer,
    host: str,
    serves: tuple[str, ...] = (),
    **fields: object,
) -> Centre:
    """A centre at `host`'s public point with a women's and a men's unit."""
    place = gazetteer.municipality(host)
    assert place is not None, host
    now = utcnow()
    centre = Centre(
        id=centre_id,
        name=f"{place.municipality} krisesenter",
        country="NO",
        region=place.county,
        host_municipality=host,
        status="open",
        languages=["nb", "en"],
        interpreter=True,
        # The registry stores only the public point: the municipality's, rounded.
        latitude=round(place.latitude, 2),
        longitude=round(place.longitude, 2),
        is_demo=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    for key, value in fields.items():
        setattr(centre, key, value)
    centre.municipalities = [ServedMunicipality(municipality_code=c) for c in serves or (host,)]
    centre.units = [
        Unit(
            kind="women", beds=10, rooms=8, family_rooms=2, accessible_rooms=1, children_max_age=17
        ),
        Unit(kind="men", beds=3, rooms=3, family_rooms=1, accessible_rooms=0, children_max_age=17),
    ]
    return centre


def totp_code(secret: str, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ahead` 30-second steps later)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(utcnow()) + steps_ahead)


async def add_user(
    session: AsyncSession, username: str, role: str, centre_id: str | None, actor: str
) -> None:
    """A user with the shared PASSWORD, as an administrator (or `actor` themself) adds one."""
    from capacity import accounts

    await accounts.create_user(
        session,
        username=username,
        display_name=username.title(),
        role=role,
        centre_id=centre_id,
        password=PASSWORD,
        actor=actor,
    )


async def seed_people(session: AsyncSession) -> dict[str, str]:
    """Users for each role (their own chosen passwords) and one API token per kind."""
    from capacity import accounts

    for username, role, centre in (
        ("staff-a", "staff", "bodo"),
        ("staff-b", "staff", "oslo"),
        ("adviser", "adviser", None),
        ("admin", "admin", None),
    ):
        await add_user(session, username, role, centre, actor=username)
    # Administrators must sign in with two factors: the seeded one has an authenticator.
    admin = await session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    admin.totp_secret = ADMIN_TOTP
    admin.totp_confirmed_at = utcnow()
    tokens = {}
    for name, role, centre in (
        ("token-a", "staff", "bodo"),
        ("token-b", "staff", "oslo"),
        ("token-adviser", "adviser", None),
    ):
        _, plain = await accounts.create_token(
            session, name=name, role=role, centre_id=centre, actor="admin"
        )
        tokens[name] = plain
    await session.commit()
    return tokens


async def seed_bodo_and_oslo(session: AsyncSession, gazetteer: Gazetteer) -> dict[str, str]:
    """Bodø and Oslo, 3 free places at each women's unit (version 1), and seed_people's people;
    returns their API tokens by name."""
    for centre_id, code in (("bodo", "1804"), ("oslo", "0301")):
        centre = make_centre(centre_id, gazetteer, code)
        await registry.add_centre(session, centre, actor="test")
        await registry.set_availability(
            session,
            centre.units[0],
            free_beds=3,
            free_family_rooms=1,
            free_accessible_rooms=1,
            actor="test",
            source="staff",
        )
    await session.commit()
    return await seed_people(session)


async def free_beds(engine: AsyncEngine, centre_id: str) -> int:
    """The free beds the centre's first (women's) unit has now."""
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, centre_id)
        numbers = centre.units[0].availability
        assert numbers is not None
        return numbers.free_beds


# -- the app through its HTTP interface ----------------------------------------------------------


AVAILABILITY_URL = "/api/v1/centres/bodo/units/women/availability"  # Bodø's women's unit
NEW_NUMBERS = {"free_beds": 2, "free_family_rooms": 1, "free_accessible_rooms": 0}


def settings_for(database_url: str, data_dir: Path, **extra: str) -> Settings:
    """The app's settings for this database and data folder, with `extra` HAVN_* values."""
    return Settings.from_environ(
        {"HAVN_DATABASE_URL": database_url, "HAVN_DATA_DIR": str(data_dir), **extra}
    )


def soup(response: Any) -> BeautifulSoup:
    """The response's HTML (or an HTML string), parsed: assert by selectors, not substrings.
    lxml's parser, not Python's: some pages (the admin's gap list) carry 12,000 tags, and
    html.parser spent most of those tests' time parsing."""
    return BeautifulSoup(response if isinstance(response, str) else response.text, "lxml")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, headers: Any = None) -> Any:
    """Log in as a person does; the seeded admin also types the code from their app."""
    token = csrf_of(client.get("/login", headers=headers).text)
    response = client.post(
        "/login",
        data={"csrf": token, "username": username, "password": password},
        headers=headers,
        follow_redirects=False,
    )
    if username != "admin" or response.headers.get("location") != "/login/code":
        return response
    for steps_ahead in (0, 1):  # a second login in the same 30 s takes the next step's code
        token = csrf_of(client.get("/login/code").text)
        response = client.post(
            "/login/code",
            data={"csrf": token, "code": totp_code(ADMIN_TOTP, steps_ahead)},
            follow_redirects=False,
        )
        if response.status_code != 401:
            break
    return response


def http_scope(
    method: str, path: str, headers: dict[str, bytes], peer: tuple[str, int] = ("127.0.0.1", 5000)
) -> Scope:
    """The ASGI scope a server makes for this request: the path as it decoded it, the header
    bytes as sent (the test client re-encodes header values as UTF-8)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": peer,
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")]
        + [(name.lower().encode(), value) for name, value in headers.items()],
    }


def asgi(
    client: TestClient,
    method: str,
    path: str,
    headers: dict[str, bytes],
    body: bytes = b"",
    peer: tuple[str, int] = ("127.0.0.1", 5000),
) -> tuple[int, bytes]:
    """The status and body the app (running in `client`) answers to a request handed over as
    a server hands it over (see http_scope), where the test client would change it."""
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    assert client.portal is not None
    client.portal.call(client.app, http_scope(method, path, headers, peer), receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    return status, b"".join(
        m.get("body", b"") for m in messages if m["type"] == "http.response.body"
    )


def havn(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The operator's command line, run as a real process with only these HAVN_* settings."""
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        env={k: v for k, v in os.environ.items() if not k.startswith("HAVN_")} | env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# -- the registry's CSV exchange -----------------------------------------------------------------


def centre_row(centre_id: str, point: tuple[float, float], host: str = "1508") -> dict[str, str]:
    return {column: "" for column in COLUMNS} | {
        "id": centre_id,
        "name": f"{centre_id.title()} krisesenter",
        "country": "NO",
        "region": "Møre og Romsdal",
        "host_municipality": host,
        "serves": host,
        "status": "open",
        "interpreter": "true",
        "latitude": repr(point[0]),
        "longitude": repr(point[1]),
        **{f"women_{n}": "4" for n in ("beds", "rooms")},
        **{f"women_{n}": "1" for n in ("family_rooms", "accessible_rooms")},
        **{f"women_{n}": "false" for n in ("pets", "substance_use", "trafficking", "sami")},
        **{f"women_{n}": "false" for n in ("lgbtq", "hearing", "vision")},
        "women_children": "true",
    }


def csv_file(*rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


# -- browsers ------------------------------------------------------------------------------------

EXIT_SITE = "https://www.yr.no/"  # where the quick exit goes
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def neutral_site(route: Route) -> None:
    """Stands in for the quick exit's site, so that tests never leave this machine."""
    route.fulfill(status=200, content_type="text/html", body="<title>Weather</title><p>Weather")


async def report_free_beds(url: str, centre_id: str, beds: int) -> None:
    """New numbers for the centre's first unit in the registry at `url`, as its staff report
    them on another device (nothing else free)."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        centre = await registry.get_centre(session, centre_id)
        await registry.set_availability(
            session,
            centre.units[0],
            free_beds=beds,
            free_family_rooms=0,
            free_accessible_rooms=0,
            actor="other-device",
            source="staff",
        )
        await session.commit()
    await engine.dispose()


async def add_people(
    url: str, *people: tuple[str, str, str | None], actor: str | None = None
) -> None:
    """Add (username, role, centre) users with the shared PASSWORD to the registry at `url`,
    by `actor` (their password is temporary), or by themselves when `actor` is None."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        for username, role, centre_id in people:
            await add_user(session, username, role, centre_id, actor=actor or username)
        await session.commit()
    await engine.dispose()


async def add_admin(url: str, username: str) -> None:
    """Add an administrator to the registry at `url` who has set up the shared authenticator
    (ADMIN_TOTP), as every administrator must before signing in."""
    await add_people(url, (username, "admin", None))
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        admin = await session.scalar(select(User).where(User.username == username))
        assert admin is not None
        admin.totp_secret = ADMIN_TOTP
        admin.totp_confirmed_at = utcnow()
        await session.commit()
    await engine.dispose()


# -- Open Referral HSDS ---------------------------------------------------------------------

SCHEMAS = ROOT / "capacity" / "data" / "hsds"  # the vendored HSDS 3.1 schemas


def hsds_validator(name: str) -> Draft202012Validator:
    """A validator for one vendored HSDS schema, its $refs resolved from the same folder."""
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT202012))
        for path in SCHEMAS.glob("*.json")
    ]
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value: object) -> bool:
        return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None

    @checker.checks("uri")
    def is_uri(value: object) -> bool:
        return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)

    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(
        schema, registry=Registry().with_resources(resources), format_checker=checker
    )


def schema_errors(document: dict[str, Any]) -> list[str]:
    found = []
    for table, name in HSDS_TABLES.items():
        validator = hsds_validator(name)
        for record in document[table]:
            found += [f"{table}: {e.json_path}: {e.message}" for e in validator.iter_errors(record)]
    return found


# -- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_for_port(
    port: int,
    seconds: float = 30,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Return once something listens on `port`; fail after `seconds` or when `process` ends."""
    deadline = time.monotonic() + seconds
    while not listening(port):
        ended = process is not None and process.poll() is not None
        if ended or time.monotonic() > deadline:
            said = log.read_text()[-3000:] if log is not None else ""
            raise AssertionError(f"nothing listens on {port}\n{said}")
        time.sleep(0.02)


def web_process(port: int, env: dict[str, str], **popen: Any) -> subprocess.Popen[bytes]:
    """The app as operators run it: `uvicorn web.app:create_app` in a process of its own,
    configured by the HAVN_* variables in `env`, listening on `port`."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "web.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        **popen,
    )


# -- the bot's Rasa server -----------------------------------------------------------------

BOT = ROOT / "bot"
MODEL = BOT / "models" / "havn.tar.gz"
# The log of a Rasa server this run started at its beginning (tests/conftest.py): set in the
# environment, so that xdist's worker processes see it too.
EARLY_RASA = "HAVN_TEST_EARLY_RASA"


def bot_installed() -> bool:
    return MODEL.exists() and (BOT / ".venv" / "bin" / "rasa").exists()


def bot_environment() -> dict[str, str]:
    """The environment for the bot's servers: this one without Havn's settings, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAVN_", "REDIS_URL"))}
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


def start_rasa(log: IO[bytes]) -> subprocess.Popen[bytes]:
    """The bot's Rasa server (bot/scripts/serve.sh rasa) on 127.0.0.1:5005, conversations in
    memory; it listens once its model is loaded, most of a minute later."""
    command = [str(BOT / "scripts" / "serve.sh"), "rasa"]
    return subprocess.Popen(command, env=bot_environment(), stdout=log, stderr=subprocess.STDOUT)


def early_rasa_log() -> Path | None:
    """The log of the Rasa server started at the beginning of this run, if one was."""
    value = os.environ.get(EARLY_RASA)
    return Path(value) if value else None


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """`app` served by uvicorn in a thread of this process; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# -- pages in Chromium ---------------------------------------------------------------------

SHOTS = ROOT / "artifacts" / "screenshots"  # screenshots the browser tests take, looked at

# Elements wider than a 360 px phone.
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 361)
  .map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 30))
  .slice(0, 5)"""


def log_in_page(page: Page, site: dict[str, str], username: str) -> None:
    """Sign in as `username` (the shared PASSWORD, no second factor) through the login form."""
    page.goto(site["base"] + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def axe_violations(page: Page) -> list[tuple[str, str, list[Any]]]:
    """What axe-core finds on the page, with every <details> opened."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']})"
    )
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]
