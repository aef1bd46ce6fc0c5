"""A small typed client of the registry's JSON API (/api/v1/geocode, /api/v1/search and
/api/v1/centres)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx


class RegistryError(Exception):
    """Base of the errors the client raises."""


class RegistryUnavailable(RegistryError):
    """The registry did not answer in time, or answered with something unusable."""


class PlaceNotFound(RegistryError):
    """The registry does not know the place."""


class AmbiguousPlace(RegistryError):
    """Several places have this name; `candidates` tells them apart."""

    def __init__(self, message: str, candidates: Sequence[Candidate]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)


class InvalidInput(RegistryError):
    """The registry refused a value; `field` names it."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    kind: str
    municipality: str | None
    county: str | None
    postcode: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of several places with the same name; `query` finds exactly this one."""

    name: str
    county: str | None
    query: str

    @property
    def label(self) -> str:
        return f"{self.name}, {self.county}" if self.county else self.name


@dataclass(frozen=True, slots=True)
class Geocoding:
    status: str  # "found", "ambiguous" or "not_found"
    places: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Result:
    id: str
    name: str
    distance_km: float | None
    group: str  # "now", "call" or "unavailable"
    responsible: bool
    free_places: int | None
    as_of: datetime | None
    stale: bool
    demo: bool
    phone: str | None
    municipality: str | None
    fits: tuple[Reason, ...] = ()
    missing: tuple[Reason, ...] = ()
    responsible_confirmed: bool = True  # False: the likely centre, not confirmed by the registry


@dataclass(frozen=True, slots=True)
class Helpline:
    code: str
    name: str
    phone: str
    hours: str


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    understood: Place
    results: tuple[Result, ...]
    helplines: tuple[Helpline, ...]

    @property
    def can_take_now(self) -> tuple[Result, ...]:
        return tuple(result for result in self.results if result.group == "now")


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """One unit of a centre as /api/v1/centres shows it."""

    kind: str  # "women" or "men"
    accepts: dict[str, Any]
    free_places: int | None
    free_family_rooms: int | None
    free_accessible_rooms: int | None
    as_of: datetime | None
    stale: bool
    demo: bool


@dataclass(frozen=True, slots=True)
class CentreInfo:
    id: str
    name: str
    region: str | None
    municipality: str | None
    serves: tuple[str, ...]
    status: str
    phone: str | None
    demo: bool
    units: tuple[UnitInfo, ...]


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What the bot knows about the party, in the API's words."""

    place: str
    gender: str | None = None
    adults: int = 1
    children: tuple[str, ...] = ()  # ages, "12b"/"12g" for a boy/girl
    needs: tuple[str, ...] = ()
    language: str | None = None
    limit: int = 3

    def params(self) -> dict[str, str]:
        params = {"q": self.place, "limit": str(self.limit)}
        if self.gender:
            params["gender"] = self.gender
        if self.adults > 1:
            params["adults"] = str(self.adults)
        if self.children:
            params["children"] = ",".join(self.children)
        if self.needs:
            params["needs"] = ",".join(self.needs)
        if self.language:
            params["language"] = self.language
        return params


class RegistryClient:
    """Calls the registry over HTTP. One client per action run; close it (or use `async with`).

    `transport` lets tests answer without a network (httpx.MockTransport).
    """

    def __init__(
        self,
        base_url: str,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "havn-bot"},
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def geocode(self, query: str) -> Geocoding:
        """Look a place up; raises RegistryUnavailable when the registry cannot answer."""
        body = await self._get("/api/v1/geocode", {"q": query})
        try:
            return Geocoding(
                status=str(body["status"]),
                places=tuple(_place(item) for item in body.get("places", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryUnavailable(f"Unexpected geocode answer: {exc!r}") from exc

    async def search(self, request: SearchRequest) -> SearchAnswer:
        """Search centres; raises PlaceNotFound, AmbiguousPlace, InvalidInput or
        RegistryUnavailable."""
        body = await self._get("/api/v1/search", request.params())
        try:
            return SearchAnswer(
                understood=_place(body["understood"]),
                results=tuple(_result(item) for item in body.get("results", [])),
                helplines=tuple(
                    Helpline(
                        code=str(line["code"]),
                        name=str(line["name"]),
                        phone=str(line["phone"]),
                        hours=str(line.get("hours", "")),
                    )
                    for line in body.get("helplines", [])
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryUnavailable(f"Unexpected search answer: {exc!r}") from exc

    async def centres(self) -> tuple[CentreInfo, ...]:
        """Every centre with what its units accept and their free places; raises
        RegistryUnavailable."""
        body = await self._get("/api/v1/centres", {})
        try:
            return tuple(_centre_info(item) for item in body.get("centres", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryUnavailable(f"Unexpected centres answer: {exc!r}") from exc

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"{path}: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict):
            return body
        problem = body if isinstance(body, dict) else {}
        code = problem.get("code")
        detail = str(problem.get("detail") or f"HTTP {response.status_code}")
        if code == "ambiguous_place":
            raise AmbiguousPlace(detail, [_candidate(c) for c in problem.get("candidates", [])])
        if code == "place_not_found" or (response.status_code == 404 and path.endswith("search")):
            raise PlaceNotFound(detail)
        if code == "invalid_input":
            raise InvalidInput(detail, problem.get("field"))
        raise RegistryUnavailable(f"{path}: HTTP {response.status_code}")


def _place(item: dict[str, Any]) -> Place:
    municipality = item.get("municipality") or {}
    return Place(
        name=str(item["name"]),
        kind=str(item.get("kind", "")),
        municipality=municipality.get("name") if isinstance(municipality, dict) else None,
        county=item.get("county"),
        postcode=item.get("postcode"),
    )


def _candidate(item: dict[str, Any]) -> Candidate:
    name = str(item.get("name", ""))
    county = item.get("county")
    query = item.get("query") or (f"{name}, {county}" if county else name)
    return Candidate(name=name, county=county, query=str(query))


def _reason(item: dict[str, Any]) -> Reason:
    values = {k: v for k, v in item.items() if k not in ("code", "text")}
    return Reason(code=str(item["code"]), text=str(item.get("text", "")), values=values)


def _result(item: dict[str, Any]) -> Result:
    centre = item.get("centre") or {}
    municipality = centre.get("municipality") or {}
    as_of = item.get("as_of")
    return Result(
        id=str(item["id"]),
        name=str(item["name"]),
        distance_km=float(item["distance_km"]) if item.get("distance_km") is not None else None,
        group=str(item["group"]),
        responsible=bool(item.get("responsible", False)),
        free_places=item.get("free_places"),
        as_of=datetime.fromisoformat(as_of.replace("Z", "+00:00")) if as_of else None,
        stale=bool(item.get("stale", False)),
        demo=bool(item.get("demo", False)),
        phone=centre.get("phone") or None,
        municipality=municipality.get("name"),
        fits=tuple(_reason(r) for r in item.get("fits", [])),
        missing=tuple(_reason(r) for r in item.get("missing", [])),
        responsible_confirmed=bool(item.get("responsible_confirmed", True)),
    )


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _unit_info(item: dict[str, Any]) -> UnitInfo:
    numbers = item.get("availability") or {}
    return UnitInfo(
        kind=str(item.get("kind", "")),
        accepts=dict(item.get("accepts") or {}),
        free_places=numbers.get("free_places"),
        free_family_rooms=numbers.get("free_family_rooms"),
        free_accessible_rooms=numbers.get("free_accessible_rooms"),
        as_of=_instant(numbers.get("as_of")),
        stale=bool(numbers.get("stale", False)),
        demo=bool(numbers.get("demo", False)),
    )


def _centre_info(item: dict[str, Any]) -> CentreInfo:
    municipality = item.get("municipality") or {}
    return CentreInfo(
        id=str(item["id"]),
        name=str(item["name"]),
        region=item.get("region"),
        municipality=municipality.get("name") if isinstance(municipality, dict) else None,
        serves=tuple(str(s.get("name")) for s in item.get("serves", []) if s.get("name")),
        status=str(item.get("status", "open")),
        phone=item.get("phone") or None,
        demo=bool(item.get("demo", False)),
        units=tuple(_unit_info(unit) for unit in item.get("units", [])),
    )
