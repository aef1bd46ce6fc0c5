"""The offline gazetteer: Norway's and Denmark's municipalities and towns, and Norway's postcodes,
matched the way people type.

The data is `capacity/data/gazetteer.json`, built once by `scripts/build_gazetteer.py` (see
`capacity/data/GAZETTEER.md` for sources and licences). Nothing here touches the network.

Naming convention: `Place.municipality` is always the municipality's name in its country's
register ("Kautokeino", "Tromsø"); `Place.name` is the name form the query matched, so
"Guovdageaidnu" finds a place named "Guovdageaidnu" whose municipality is "Kautokeino".
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
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
SITE_COUNTRY = "NO"  # whose places a name found in several countries means
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
    "danmark", "denmark",
}  # fmt: skip
_POSTCODE = re.compile(r"(?:no?-?|dk-?)?(\d{4})", re.IGNORECASE)
_POSTCODE_FIRST = re.compile(r"(?:no?-?|dk-?)?(\d{4})[\s,]+(.+)", re.IGNORECASE)
_POSTCODE_LAST = re.compile(r"(.+?)[\s,]+(\d{4})")
# A country named in a query ("Aalborg, Danmark", "Lund (Norge)", "DK-5000"); keys as
# `name_key` makes them. Only the place names' own languages and English.
_COUNTRIES = {
    "norge": "NO", "noreg": "NO", "norway": "NO", "norga": "NO", "norja": "NO",
    "danmark": "DK", "denmark": "DK", "danemark": "DK", "tanska": "DK", "danmarku": "DK",
}  # fmt: skip
_COUNTRY_PREFIX = re.compile(r"(no?|dk)-(\d{4}\b.*)", re.IGNORECASE)
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
    country: str  # "NO" | "DK"
    municipality_code: str  # current number: Norway 4 digits ("1804"), Denmark 3 ("461")
    municipality: str  # the municipality's name in its register, e.g. "Bodø", "Odense"
    county: str  # the county since 2024, e.g. "Nordland"; Denmark's region, "Region Syddanmark"
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
        self._places: list[Place] = []
        self._order: list[tuple[int, int]] = []
        self._index: dict[str, list[_Entry]] = {}
        # Keyed by (country, code): Norway's numbers have 4 digits, Denmark's 3.
        self._municipalities: dict[tuple[str, str], Place] = {}
        self._areas: dict[tuple[str, str], Place] = {}  # not municipalities: Svalbard
        self._county_of: dict[tuple[str, str], tuple[str, str]] = {}  # -> (country, county)
        self._postcodes: dict[str, list[Place]] = {}
        self.register: tuple[str, ...] = _expand(data.get("register", ""))
        self._county_keys: dict[str, set[tuple[str, str]]] = {}
        self._municipality_keys: dict[str, set[tuple[str, str]]] = {}
        # Norway's part is the file's top level (the format predates other countries).
        self._load_country("NO", data)
        for country, part in data.get("countries", {}).items():
            self._load_country(country, part)
        self.countries: tuple[str, ...] = ("NO", *data.get("countries", {}))
        self._keys = list(self._index)
        self._points: npt.NDArray[np.float64] | None = None

    def _load_country(self, country: str, data: dict[str, Any]) -> None:
        counties: dict[str, str] = data["counties"]
        for code, county in counties.items():
            self._county_keys.setdefault(name_key(county), set()).add((country, code))
        for alias, codes in data.get("county_aliases", {}).items():
            self._county_keys.setdefault(name_key(alias), set()).update(
                (country, code) for code in codes
            )
        for row in data["municipalities"]:
            code = row["code"]
            county = row.get("county", code[:2])
            place = Place(
                name=row["name"],
                kind="municipality",
                country=country,
                municipality_code=code,
                municipality=row["name"],
                county=counties[county],
                latitude=row["lat"],
                longitude=row["lon"],
            )
            self._municipalities[country, code] = place
            self._county_of[country, code] = (country, county)
            index = self._add(place, row.get("population", 0))
            for name in [row["name"], *row.get("names", []), *row.get("other_names", [])]:
                self._name(name, index, 0)
                self._municipality_keys.setdefault(name_key(name), set()).add((country, code))
        for row in data.get("areas", []):
            code = row["code"]
            place = Place(row["name"], "municipality", country, code, row["name"],
                          counties[code[:2]], row["lat"], row["lon"])  # fmt: skip
            self._areas[country, code] = place
            self._county_of[country, code] = (country, code[:2])
            index = self._add(place, 0)
            self._name(row["name"], index, 0)
            self._municipality_keys.setdefault(name_key(row["name"]), set()).add((country, code))
        homes = {
            code: place
            for (where, code), place in (self._municipalities | self._areas).items()
            if where == country
        }
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
            self._postcodes.setdefault(code, []).extend(
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
            )

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """Read the gazetteer file (default: the one packaged in capacity/data)."""
        with (path or DATA_FILE).open(encoding="utf-8") as file:
            return cls(json.load(file))

    @staticmethod
    @cache
    def packaged() -> Gazetteer:
        """The packaged gazetteer, read once per process (about 0.1 s) and shared: it is
        immutable, so every app, command and geocoder in the process may use the same one."""
        return Gazetteer.load()

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

    def lookup(self, query: str, limit: int = 8, prefer: str = SITE_COUNTRY) -> Lookup:
        """Find what a person meant by `query`: a postcode, a place or a municipality name.

        Returns status "found" with one place, "ambiguous" with the best `limit` candidates
        (best first), or "not_found" with none. A 4-digit query is always a postcode.
        A query may name its country ("Aalborg, Danmark", "Lund Norge", "DK-5000"); a name
        found in several countries without one answers with the places in `prefer` (the
        site's country), so "Lund" stays Norway's Lund and "Lund, Danmark" is Denmark's.
        Raises InvalidInput for a query that is not text, is empty, longer than 200
        characters, or holds control characters, and for a limit below 1.
        """
        text = _clean(query)
        if limit < 1:
            raise InvalidInput("limit must be at least 1", field="limit")
        rest, country = _split_country(text)
        places = self._find(rest)
        if country is not None:
            places = [place for place in places if place.country == country]
        elif len({place.country for place in places}) > 1:
            places = [place for place in places if place.country == prefer] or places
        status = "not_found" if not places else "found" if len(places) == 1 else "ambiguous"
        return Lookup(text, status, tuple(places[:limit]))

    def resolve(self, query: str, prefer: str = SITE_COUNTRY) -> Place:
        """The one place `query` means; raises PlaceNotFound, AmbiguousPlace (with the
        candidates, best first) or InvalidInput (see `lookup`)."""
        found = self.lookup(query, prefer=prefer)
        shown = found.query if len(found.query) <= 60 else found.query[:59] + "…"
        if found.status == "found":
            return found.places[0]
        if found.status == "ambiguous":
            names = ", ".join(f"{place.name} ({place.county})" for place in found.places)
            raise AmbiguousPlace(f"“{shown}” can mean several places: {names}", found.places)
        raise PlaceNotFound(f"No place in Norway or Denmark matches “{shown}”", query=found.query)

    def municipality(self, code: str, country: str = "NO") -> Place | None:
        """The country's municipality with this current number (Norway: 4 digits, Denmark:
        3), or None if there is none."""
        return self._municipalities.get((country, code)) or self._areas.get((country, code))

    def areas(self, country: str = "NO") -> list[Place]:
        """Every area a person can live in: the municipalities and the areas outside them
        (Svalbard), sorted by name in Norwegian order."""
        every = [*self._municipalities.values(), *self._areas.values()]
        return sorted(
            (place for place in every if place.country == country),
            key=lambda place: _collation(place.name),
        )

    def municipalities(self, country: str = "NO") -> list[Place]:
        """Every municipality of the country, sorted by name in Norwegian order (Æ Ø Å last,
        which is Danish order too)."""
        return sorted(
            (place for place in self._municipalities.values() if place.country == country),
            key=lambda place: _collation(place.name),
        )

    def places(self, kind: str | None = None, country: str | None = "NO") -> list[Place]:
        """Every municipality, town and postcode place of the country (None: of every
        country), or those of one `kind`, unsorted."""
        every = [*self._places, *(p for found in self._postcodes.values() for p in found)]
        return [
            place
            for place in every
            if (kind is None or place.kind == kind) and country in (None, place.country)
        ]

    def nearest(self, latitude: float, longitude: float) -> Place:
        """The municipality centre or town closest to a position (e.g. a browser's).

        Raises InvalidInput for coordinates that are not finite or out of range, and
        PlaceNotFound when no place lies within 150 km (the position is in neither Norway
        nor Denmark).
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
            raise PlaceNotFound("That position is not near any place in Norway or Denmark")
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
            places = self._find(name)
            if len(postcodes) > 1:
                named = {(p.country, p.municipality_code) for p in places}
                for part in name.split(","):
                    named |= self._municipality_keys.get(_plain_key(part), set())
                postcodes = [
                    p for p in postcodes if (p.country, p.municipality_code) in named
                ] or postcodes
            # Denmark's postcodes are not in the gazetteer and share Norway's numbers: a name
            # of another country than the postcode's ("5003 Odense") means the name's place.
            if {p.country for p in places}.isdisjoint(p.country for p in postcodes):
                return places or list(postcodes)
            return list(postcodes)
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
        # Other countries' places get one typo at most, so a foreign name ("Stockholm") does
        # not turn into a small Danish village ("Stoholm") two edits away.
        kept = [
            (distance, entry)
            for found, distance, _ in hits
            for entry in self._index[found]
            if distance <= 1 or self._places[entry.place].country == SITE_COUNTRY
        ]
        if not kept:
            return []
        closest = min(distance for distance, _ in kept)
        return [entry for distance, entry in kept if distance == closest]

    def _qualified(self, entries: list[_Entry], qualifier: str) -> list[_Entry]:
        """Keep the entries in the county or municipality the qualifier names; a qualifier
        that names neither (a country, a typo) is ignored rather than failing the lookup."""
        key = _plain_key(qualifier)
        counties = self._county_keys.get(key) or set()
        codes = self._municipality_keys.get(key) or set()
        if not key or not (counties or codes):
            return entries
        kept = []
        for entry in entries:
            place = self._places[entry.place]
            home = (place.country, place.municipality_code)
            if home in codes or self._county_of[home] in counties:
                kept.append(entry)
        return kept

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


def _split_country(text: str) -> tuple[str, str | None]:
    """ "Aalborg, Danmark" -> ("Aalborg", "DK"); "DK-5000" -> ("5000", "DK"); a text with no
    country, or that is only a country's name, comes back whole with None."""
    prefix = _COUNTRY_PREFIX.fullmatch(text)
    if prefix:
        return prefix.group(2), "DK" if prefix.group(1).lower() == "dk" else "NO"
    words = re.split(r"([\s,()]+)", text)
    for position in (len(words) - 1, 0):
        named = _COUNTRIES.get(name_key(words[position]))
        rest = "".join(words[:position] + words[position + 1 :]).strip(" ,()")
        if named is not None and rest:
            return " ".join(rest.split()), named
    return text, None


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
