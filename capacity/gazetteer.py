"""The offline gazetteer: Norway's municipalities, towns and postcodes, matched the way people type.

The data is `capacity/data/gazetteer.json`, built once by `scripts/build_gazetteer.py` (see
`capacity/data/GAZETTEER.md` for sources and licences). Nothing here touches the network.

Naming convention: `Place.municipality` is always the municipality's Norwegian name in the
register ("Kautokeino", "Tromsø"); `Place.name` is the name form the query matched, so
"Guovdageaidnu" finds a place named "Guovdageaidnu" whose municipality is "Kautokeino".
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from capacity.errors import AmbiguousPlace, InvalidInput, PlaceNotFound

DATA_FILE = Path(__file__).parent / "data" / "gazetteer.json"
FORMAT = 1
MAX_QUERY = 200
NEAREST_MAX_KM = 150.0
EARTH_RADIUS_KM = 6371.0088

# Letters that Unicode decomposition does not reduce to a base letter. Both the gazetteer's
# names and the queries go through the same key, so "ø" may be typed as o or oe, "å" as a or aa.
_LETTERS = str.maketrans(
    {"æ": "ae", "ø": "o", "å": "a", "đ": "d", "ŋ": "n", "ŧ": "t", "ß": "ss", "ð": "d", "þ": "th"}
)
_DIGRAPHS = (("aa", "a"), ("oe", "o"), ("ae", "a"))
_KIND_ORDER = {"municipality": 0, "town": 1, "postcode": 2}
# Words people add around a name that do not help to find it.
_NOISE = {
    "kommune", "kommuna", "kommun", "suohkan", "gielda", "tjielte", "kommuuni",
    "municipality", "sentrum", "centre", "center", "norge", "noreg", "norway", "norga", "norja",
}  # fmt: skip
_POSTCODE = re.compile(r"(?:no?-?)?(\d{4})", re.IGNORECASE)
_POSTCODE_FIRST = re.compile(r"(?:no?-?)?(\d{4})[\s,]+(.+)", re.IGNORECASE)
_POSTCODE_LAST = re.compile(r"(.+?)[\s,]+(\d{4})")
_PARENTHESES = re.compile(r"(.+?)\s*\((.+)\)")
_WITHIN = re.compile(r"(.+?)\s+(?:i|på)\s+(.+)", re.IGNORECASE)


def name_key(text: str) -> str:
    """The matching key of a name: case, diacritics, spacing and punctuation folded away.

    "Tromsø", "tromso", "TROMSOE" and "Troms ø" share one key; so do "Kárášjohka" and
    "karasjohka". Returns "" when nothing letter- or digit-like is left.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", folded)
    key = "".join(char for char in decomposed if char.isalnum())
    previous = ""
    while previous != key:
        previous = key
        for digraph, letter in _DIGRAPHS:
            key = key.replace(digraph, letter)
    return key


def _max_typos(key: str) -> int:
    """How many edits a fuzzy match may need: none for very short names, more for long ones."""
    if len(key) < 4:
        return 0
    if len(key) <= 6:
        return 1
    return 2 if len(key) <= 10 else 3


@dataclass(frozen=True, slots=True)
class Place:
    """A place a query can mean. Its point is public and approximate: a municipality's
    administrative centre, a town, or a postcode's post town; never an address."""

    name: str  # as a person would write it: "Bodø", "Guovdageaidnu", "8006 Bodø"
    kind: str  # "municipality" | "postcode" | "town"
    country: str  # "NO"
    municipality_code: str  # current 4-digit number, e.g. "1804"
    municipality: str  # the municipality's Norwegian name in the register, e.g. "Bodø"
    county: str  # the county since 2024, e.g. "Nordland"
    latitude: float
    longitude: float
    postcode: str | None = None
    # The point is the municipality's, not the place's own: a postcode placed by its numbering
    # or a district no open source gives a point for (see capacity/data/GAZETTEER.md).
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a query matched: "found" (one place), "ambiguous" (two or more, best first) or
    "not_found" (none)."""

    query: str  # the query as understood: trimmed, whitespace collapsed
    status: str
    places: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class _Entry:
    place: int  # index into Gazetteer._places
    display: str  # the name form that matched
    tier: int  # 0: register names, town names, curated names; 1: GeoNames' other spellings


class Gazetteer:
    """Lookup over the packaged gazetteer. Build it with `Gazetteer.load()`; it is immutable."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise ValueError(f"gazetteer format {data.get('format')!r}, expected {FORMAT}")
        self.header: dict[str, Any] = data["header"]
        counties: dict[str, str] = data["counties"]
        self._places: list[Place] = []
        self._order: list[tuple[int, int]] = []
        self._index: dict[str, list[_Entry]] = {}
        self._municipalities: dict[str, Place] = {}
        self._areas: dict[str, Place] = {}  # not municipalities: Svalbard
        self._postcodes: dict[str, list[Place]] = {}
        self.register: tuple[str, ...] = _expand(data.get("register", ""))
        self._county_keys: dict[str, set[str]] = {}
        self._municipality_keys: dict[str, set[str]] = {}
        for code, county in counties.items():
            self._county_keys.setdefault(name_key(county), set()).add(code)
        for alias, codes in data.get("county_aliases", {}).items():
            self._county_keys.setdefault(name_key(alias), set()).update(codes)
        for row in data["municipalities"]:
            code = row["code"]
            place = Place(
                name=row["name"],
                kind="municipality",
                country="NO",
                municipality_code=code,
                municipality=row["name"],
                county=counties[code[:2]],
                latitude=row["lat"],
                longitude=row["lon"],
            )
            self._municipalities[code] = place
            index = self._add(place, row.get("population", 0))
            for name in [row["name"], *row.get("names", []), *row.get("other_names", [])]:
                self._name(name, index, 0)
                self._municipality_keys.setdefault(name_key(name), set()).add(code)
        for row in data.get("areas", []):
            code = row["code"]
            place = Place(row["name"], "municipality", "NO", code, row["name"], counties[code[:2]],
                          row["lat"], row["lon"])  # fmt: skip
            self._areas[code] = place
            index = self._add(place, 0)
            self._name(row["name"], index, 0)
            self._municipality_keys.setdefault(name_key(row["name"]), set()).add(code)
        homes = self._municipalities | self._areas
        for row in data["towns"]:
            home = homes[row["code"]]
            place = replace(
                home,
                name=row["name"],
                kind="town",
                latitude=row["lat"],
                longitude=row["lon"],
                approximate=row.get("approximate", False),
            )
            index = self._add(place, row.get("population", 0))
            for name in [row["name"], *row.get("names", [])]:
                self._name(name, index, 0)
            for name in row.get("aliases", []):
                self._name(name, index, 1)
        for code, town, municipalities, lat, lon, *approximate in data["postcodes"]:
            # "4601|4624": placed by its numbering between two municipalities; both answer.
            codes = municipalities.split("|")
            self._postcodes[code] = [
                replace(
                    homes[municipality],
                    name=f"{code} {town}",
                    kind="postcode",
                    latitude=lat if len(codes) == 1 else homes[municipality].latitude,
                    longitude=lon if len(codes) == 1 else homes[municipality].longitude,
                    postcode=code,
                    approximate=bool(approximate),
                )
                for municipality in codes
            ]
        self._keys = list(self._index)
        self._points: npt.NDArray[np.float64] | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Read the gazetteer file (default: the one packaged in capacity/data)."""
        with (path or DATA_FILE).open(encoding="utf-8") as file:
            return cls(json.load(file))

    def _add(self, place: Place, population: int) -> int:
        self._places.append(place)
        self._order.append((_KIND_ORDER[place.kind], -population))
        return len(self._places) - 1

    def _name(self, name: str, place: int, tier: int) -> None:
        key = name_key(name)
        if not key:
            return
        entries = self._index.setdefault(key, [])
        for position, entry in enumerate(entries):
            if entry.place == place:
                if tier < entry.tier:
                    entries[position] = _Entry(place, name, tier)
                return
        entries.append(_Entry(place, name, tier))

    # -- lookups ---------------------------------------------------------------------------

    def lookup(self, query: str, limit: int = 8) -> Lookup:
        """Find what a person meant by `query`: a postcode, a place or a municipality name.

        Returns status "found" with one place, "ambiguous" with the best `limit` candidates
        (best first), or "not_found" with none. A 4-digit query is always a postcode.
        Raises InvalidInput for a query that is not text, is empty, longer than 200
        characters, or holds control characters, and for a limit below 1.
        """
        text = _clean(query)
        if limit < 1:
            raise InvalidInput("limit must be at least 1", field="limit")
        places = self._find(text)
        status = "not_found" if not places else "found" if len(places) == 1 else "ambiguous"
        return Lookup(text, status, tuple(places[:limit]))

    def resolve(self, query: str) -> Place:
        """The one place `query` means; raises PlaceNotFound, AmbiguousPlace (with the
        candidates, best first) or InvalidInput (see `lookup`)."""
        found = self.lookup(query)
        shown = found.query if len(found.query) <= 60 else found.query[:59] + "…"
        if found.status == "found":
            return found.places[0]
        if found.status == "ambiguous":
            names = ", ".join(f"{place.name} ({place.county})" for place in found.places)
            raise AmbiguousPlace(f"“{shown}” can mean several places: {names}", found.places)
        raise PlaceNotFound(f"No place in Norway matches “{shown}”", query=found.query)

    def municipality(self, code: str, country: str = "NO") -> Place | None:
        """The municipality with this current 4-digit number, or None if there is none."""
        if country != "NO":
            return None
        return self._municipalities.get(code) or self._areas.get(code)

    def areas(self, country: str = "NO") -> list[Place]:
        """Every area a person can live in: the municipalities and the areas outside them
        (Svalbard), sorted by name in Norwegian order."""
        if country != "NO":
            return []
        every = [*self._municipalities.values(), *self._areas.values()]
        return sorted(every, key=lambda place: _collation(place.name))

    def municipalities(self, country: str = "NO") -> list[Place]:
        """Every municipality of the country, sorted by name in Norwegian order (Æ Ø Å last)."""
        if country != "NO":
            return []
        return sorted(self._municipalities.values(), key=lambda place: _collation(place.name))

    def places(self, kind: str | None = None) -> list[Place]:
        """Every municipality, town and postcode place (or those of one `kind`), unsorted."""
        every = [*self._places, *(p for found in self._postcodes.values() for p in found)]
        return [place for place in every if kind is None or place.kind == kind]

    def nearest(self, latitude: float, longitude: float) -> Place:
        """The municipality centre or town closest to a position (e.g. a browser's).

        Raises InvalidInput for coordinates that are not finite or out of range, and
        PlaceNotFound when no place lies within 150 km (the position is not in Norway).
        """
        if not all(isinstance(value, int | float) for value in (latitude, longitude)):
            raise InvalidInput("Coordinates must be numbers", field="lat")
        if not (math.isfinite(latitude) and -90 <= latitude <= 90):
            raise InvalidInput("Latitude must be between -90 and 90", field="lat")
        if not (math.isfinite(longitude) and -180 <= longitude <= 180):
            raise InvalidInput("Longitude must be between -180 and 180", field="lon")
        if self._points is None:
            self._points = np.radians(
                np.array([(p.latitude, p.longitude) for p in self._places], dtype=np.float64)
            )
        lat, lon = math.radians(latitude), math.radians(longitude)
        points = self._points
        # Haversine over every place at once; argmin keeps the first of equals, and
        # municipalities come first, so they win ties with towns.
        a = (
            np.sin((points[:, 0] - lat) / 2) ** 2
            + np.cos(lat) * np.cos(points[:, 0]) * np.sin((points[:, 1] - lon) / 2) ** 2
        )
        distances = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        index = int(np.argmin(distances))
        best, best_km = self._places[index], float(distances[index])
        if best_km > NEAREST_MAX_KM:
            raise PlaceNotFound("That position is not near any place in Norway")
        return best

    def _find(self, text: str) -> list[Place]:
        match = _POSTCODE.fullmatch(text)
        if match:
            return list(self._postcodes.get(match.group(1), []))
        match = _POSTCODE_FIRST.fullmatch(text) or _POSTCODE_LAST.fullmatch(text)
        if match:
            code, name = (
                (match.group(1), match.group(2))
                if match.re is _POSTCODE_FIRST
                else (match.group(2), match.group(1))
            )
            postcodes = self._postcodes.get(code, [])
            # A known postcode is more precise than the name that came with it, unless it lies
            # between two municipalities and the name says which.
            if len(postcodes) > 1:
                named = {p.municipality_code for p in self._find(name)}
                for part in name.split(","):
                    named |= self._municipality_keys.get(_plain_key(part), set())
                postcodes = [p for p in postcodes if p.municipality_code in named] or postcodes
            return list(postcodes) or self._find(name)
        name, qualifiers = _split_qualifiers(text)
        if qualifiers:
            return self._named(name, qualifiers, fuzzy=True)
        # Exact before fuzzy, so "Mo i Rana" stays a town and "Våler i Østfold" a qualifier.
        places = self._named(text, [], fuzzy=False)
        within = _WITHIN.fullmatch(text)
        if not places and within:
            places = self._named(within.group(1), [within.group(2)], fuzzy=False)
        return places or self._named(text, [], fuzzy=True)

    def _named(self, name: str, qualifiers: list[str], *, fuzzy: bool) -> list[Place]:
        key = _plain_key(name)
        if not key or key.isdigit():
            return []
        entries = self._index.get(key) or (self._fuzzy(key) if fuzzy else [])
        if entries and min(entry.tier for entry in entries) == 0:
            entries = [entry for entry in entries if entry.tier == 0]
        for qualifier in qualifiers:
            entries = self._qualified(entries, qualifier)
        return self._choose(entries)

    def _fuzzy(self, key: str) -> list[_Entry]:
        typos = _max_typos(key)
        if typos == 0:
            return []
        hits = process.extract(key, self._keys, scorer=OSA.distance, score_cutoff=typos, limit=None)
        if not hits:
            return []
        closest = min(distance for _, distance, _ in hits)
        return [
            entry
            for found, distance, _ in hits
            if distance == closest
            for entry in self._index[found]
        ]

    def _qualified(self, entries: list[_Entry], qualifier: str) -> list[_Entry]:
        """Keep the entries in the county or municipality the qualifier names; a qualifier
        that names neither (a country, a typo) is ignored rather than failing the lookup."""
        key = _plain_key(qualifier)
        counties = self._county_keys.get(key)
        codes = self._municipality_keys.get(key)
        if not key or (counties is None and codes is None):
            return entries
        return [
            entry
            for entry in entries
            if (counties and self._places[entry.place].municipality_code[:2] in counties)
            or (codes and self._places[entry.place].municipality_code in codes)
        ]

    def _choose(self, entries: list[_Entry]) -> list[Place]:
        """One answer per municipality (its own entry if it matched, else its best town),
        ordered municipalities first, then by population."""
        best: dict[str, tuple[tuple[int, int, int], _Entry]] = {}
        for entry in entries:
            place = self._places[entry.place]
            rank = (*self._order[entry.place], entry.place)
            current = best.get(place.municipality_code)
            if current is None or rank < current[0]:
                best[place.municipality_code] = (rank, entry)
        chosen = [entry for _, entry in sorted(best.values(), key=lambda item: item[0])]
        return [replace(self._places[e.place], name=e.display) for e in chosen]


def _expand(runs: str) -> tuple[str, ...]:
    """ "0001-0003,0010" -> ("0001", "0002", "0003", "0010")."""
    codes: list[str] = []
    for run in filter(None, runs.split(",")):
        first, _, last = run.partition("-")
        codes.extend(f"{n:04d}" for n in range(int(first), int(last or first) + 1))
    return tuple(codes)


def _plain_key(text: str) -> str:
    """The key of a name without the noise words around it ("Bodø kommune" -> "bodo")."""
    return name_key(" ".join(word for word in text.split() if name_key(word) not in _NOISE))


def _split_qualifiers(text: str) -> tuple[str, list[str]]:
    """ "Bodø, Nordland" and "Os (Vestland)" -> the name and what narrows it down."""
    name, *qualifiers = (part.strip() for part in text.split(","))
    match = _PARENTHESES.fullmatch(name)
    if match:
        name, qualifiers = match.group(1), [match.group(2), *qualifiers]
    return name, [qualifier for qualifier in qualifiers if qualifier]


def _clean(query: object) -> str:
    if not isinstance(query, str):
        raise InvalidInput("A place must be given as text", field="q")
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"A place is at most {MAX_QUERY} characters", field="q")
    if any(unicodedata.category(char) == "Cc" and not char.isspace() for char in query):
        raise InvalidInput("The place contains control characters", field="q")
    text = " ".join(query.split())
    if not text:
        raise InvalidInput("Say where: a place, municipality or postcode", field="q")
    return text


_NORWEGIAN_LAST = str.maketrans({"æ": "{", "ø": "|", "å": "}", "ä": "{", "ö": "|"})


def _collation(name: str) -> str:
    """A sort key putting Æ, Ø and Å after Z, as Norwegian alphabetical order does."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_NORWEGIAN_LAST))
    return "".join(char for char in decomposed if not unicodedata.combining(char))
