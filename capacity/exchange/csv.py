"""The centres CSV format: its columns, how each cell is read and written, and a strict parser.

Pure functions, no database. A cell a spreadsheet would run as a formula is written with a
leading apostrophe, and reading takes exactly that apostrophe off again, so the format is
lossless. Parsing collects every problem as a RowError(line, column, message) and raises
InvalidInput with all of them in `detail["errors"]`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from capacity import website
from capacity.errors import InvalidInput
from capacity.models import CENTRE_STATUSES, CRISIS_KINDS, Centre

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000
CENTRE_COLUMNS = (
    "id", "name", "country", "region", "host_municipality", "serves", "operator_type", "status",
    "status_reason", "phone", "phone_source", "phone_published", "email", "website",
    "languages", "interpreter", "latitude", "longitude",
)  # fmt: skip
UNIT_FIELDS = (
    "beds", "rooms", "family_rooms", "accessible_rooms", "children", "children_max_age",
    "boys_max_age", "pets", "substance_use", "trafficking", "sami", "lgbtq", "hearing", "vision",
)  # fmt: skip
UNIT_DEFAULTS: dict[str, Any] = {
    "beds": 0, "rooms": 0, "family_rooms": 0, "accessible_rooms": 0, "children": True,
    "children_max_age": None, "boys_max_age": None, "pets": False, "substance_use": False,
    "trafficking": False, "sami": False, "lgbtq": False, "hearing": False, "vision": False,
}  # fmt: skip
COUNTS = ("beds", "rooms", "family_rooms", "accessible_rooms")
COLUMNS = CENTRE_COLUMNS + tuple(f"{kind}_{name}" for kind in CRISIS_KINDS for name in UNIT_FIELDS)
REQUIRED_COLUMNS = ("id", "name", "country", "region", "host_municipality", "latitude", "longitude")
EDITABLE = frozenset(CENTRE_COLUMNS) - {"id", "serves"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_COLUMNS = frozenset({"latitude", "longitude"})


class RowError(NamedTuple):
    """One problem in an imported file: line 0 means the file as a whole."""

    line: int
    column: str
    message: str


@dataclass
class CentreRow:
    """One valid row: centre fields by column, served codes, units ({kind: fields} or None)."""

    line: int
    id: str
    fields: dict[str, Any]
    serves: list[str] | None
    units: dict[str, dict[str, Any] | None]


# Cell parsers: take a non-blank cell, return the value or raise ValueError with the reason.
Parser = Callable[[str], Any]
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
MUNICIPALITY = re.compile(r"[0-9A-Za-z-]{1,16}")
LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
PHONE = re.compile(r"\+?[0-9][0-9 ().-]*")
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAKS = re.compile(r"[\t\n\r]")


def _text(limit: int, pattern: re.Pattern[str] | None = None, what: str = "") -> Parser:
    def parse(cell: str) -> str:
        value = cell.strip()
        if CONTROL.search(value) or LINE_BREAKS.search(value):
            raise ValueError("must be one line of text, without control characters")
        if len(value) > limit:
            raise ValueError(f"is longer than {limit} characters")
        if pattern is not None and not pattern.fullmatch(value):
            raise ValueError(f"is not {what}")
        return value

    return parse


def _website(cell: str) -> str:
    return website.parse(_text(website.MAX_LENGTH)(cell))


def _paragraph(cell: str) -> str:
    if CONTROL.search(cell):
        raise ValueError("contains control characters")
    if len(cell) > 500:
        raise ValueError("is longer than 500 characters")
    return cell


def _codes(pattern: re.Pattern[str], what: str, limit: int) -> Parser:
    def parse(cell: str) -> list[str]:
        codes = [code for code in re.split(r"[\s,;]+", cell.strip()) if code]
        for code in codes:
            if not pattern.fullmatch(code):
                raise ValueError(f"{code[:20]!r} is not {what}")
        if len(set(codes)) != len(codes):
            raise ValueError("lists a code twice")
        if len(codes) > limit:
            raise ValueError(f"lists more than {limit} codes")
        return codes

    return parse


def _country(cell: str) -> str:
    value = cell.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError("must be a two-letter country code such as NO, DK or SE")
    return value


def _status(cell: str) -> str:
    value = cell.strip().lower().replace(" ", "_")
    if value not in CENTRE_STATUSES:
        raise ValueError(f"must be one of {', '.join(CENTRE_STATUSES)}")
    return value


def _flag(cell: str) -> bool:
    value = cell.strip().lower()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    raise ValueError("must be true or false (or yes/no, 1/0)")


def _whole(limit: int) -> Parser:
    def parse(cell: str) -> int:
        value = cell.strip()
        if not re.fullmatch(r"\d{1,7}", value) or int(value) > limit:
            raise ValueError(f"must be a whole number from 0 to {limit}")
        return int(value)

    return parse


def _coordinate(limit: int) -> Parser:
    def parse(cell: str) -> float:
        value = cell.strip()
        if value.count(",") == 1 and "." not in value:
            value = value.replace(",", ".")  # a decimal comma, as Norwegian spreadsheets write
        number = float(value) if NUMBER.fullmatch(value) else math.nan
        if not (math.isfinite(number) and -limit <= number <= limit):
            raise ValueError(f"must be a number from -{limit} to {limit}")
        return number

    return parse


REQUIRED = None  # a blank cell in a column with this default is an error
CENTRE_PARSERS: dict[str, tuple[Parser, Callable[[], Any] | None]] = {
    "id": (_text(63, SLUG, "an id of 2-63 lowercase letters, digits and hyphens"), REQUIRED),
    "name": (_text(200), REQUIRED),
    "country": (_country, REQUIRED),
    "region": (_text(100), REQUIRED),
    "host_municipality": (_text(16, MUNICIPALITY, "a municipality code"), REQUIRED),
    "serves": (_codes(MUNICIPALITY, "a municipality code", 1000), list),
    "operator_type": (_text(32), lambda: None),
    "status": (_status, REQUIRED),
    "status_reason": (_paragraph, lambda: None),
    "phone": (_text(40, PHONE, "a phone number"), lambda: None),
    "phone_source": (_website, lambda: None),
    "phone_published": (_text(100), lambda: None),
    "email": (_text(200, EMAIL, "an e-mail address"), lambda: None),
    "website": (_website, lambda: None),
    "languages": (_codes(LANGUAGE, "a language code such as nb or en", 100), list),
    "interpreter": (_flag, REQUIRED),
    "latitude": (_coordinate(90), REQUIRED),
    "longitude": (_coordinate(180), REQUIRED),
}
UNIT_PARSERS: dict[str, Parser] = {
    # The limits registry.update_unit applies: ages 0-17 (children), sizes up to 500.
    name: _whole(17) if name.endswith("_age") else _whole(500) if name in COUNTS else _flag
    for name in UNIT_FIELDS
}


def neutralise(value: str) -> str:
    """`value` safe to open in a spreadsheet: an apostrophe before a formula-like start."""
    return "'" + value if _needs_quote(value) else value


def _needs_quote(value: str) -> bool:
    return value.startswith(FORMULA_STARTS) or (value[:1] == "'" and _needs_quote(value[1:]))


def _unneutralise(value: str) -> str:
    return value[1:] if value[:1] == "'" and _needs_quote(value[1:]) else value


def centre_cells(centre: Centre) -> list[str]:
    """The centre as one CSV row, in COLUMNS order, formula-like text neutralised."""
    values: dict[str, Any] = {name: getattr(centre, name) for name in EDITABLE | {"id"}}
    values["serves"] = sorted(m.municipality_code for m in centre.municipalities)
    units = {unit.kind: unit for unit in centre.units}
    for kind in CRISIS_KINDS:
        for name in UNIT_FIELDS:
            unit = units.get(kind)
            values[f"{kind}_{name}"] = None if unit is None else getattr(unit, name)
    return [_cell(column, values[column]) for column in COLUMNS]


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = " ".join(value)
    text = repr(value) if isinstance(value, float) else str(value)
    return text if column in NUMERIC_COLUMNS else neutralise(text)


def invalid(errors: Sequence[RowError]) -> InvalidInput:
    """The error for a file with these problems."""
    count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
    return InvalidInput(f"The file has {count}; nothing was imported", errors=list(errors))


def _decode(text: str | bytes) -> str:
    if len(text) > MAX_BYTES:
        raise invalid([RowError(0, "", "The file is larger than 5 MB: split it")])
    try:
        decoded = text.decode("utf-8") if isinstance(text, bytes) else text
        size = len(decoded.encode("utf-8"))
    except UnicodeError:
        raise invalid([RowError(0, "", "The file is not UTF-8 text")]) from None
    if size > MAX_BYTES:
        raise invalid([RowError(0, "", "The file is larger than 5 MB: split it")])
    decoded = decoded.removeprefix("\ufeff")
    if "\x00" in decoded:
        raise invalid([RowError(0, "", "This is not a CSV text file (it has binary content)")])
    if not decoded.strip():
        raise invalid([RowError(0, "", "The file is empty")])
    return decoded


def parse_centres_csv(text: str | bytes) -> list[CentreRow]:
    """Every row of a centres CSV (UTF-8, BOM allowed); raises InvalidInput listing all problems."""
    reader = csv.reader(io.StringIO(_decode(text), newline=""), strict=True)
    errors: list[RowError] = []
    rows: list[CentreRow] = []
    first_line: dict[str, int] = {}
    header: list[str] | None = None
    line, seen = 1, 0
    try:
        for cells in reader:
            if header is None:
                if cells:  # blank lines before the header do not count
                    header = _header(line, cells)
            elif any(cell.strip() for cell in cells):
                seen += 1
                if seen > MAX_ROWS:
                    errors.append(RowError(line, "", f"More than {MAX_ROWS} rows: split the file"))
                    break
                row = _row(line, header, cells, errors)
                if row is not None and row.id in first_line:
                    message = f"{row.id} is also on line {first_line[row.id]}"
                    errors.append(RowError(line, "id", message))
                elif row is not None:
                    first_line[row.id] = line
                    rows.append(row)
            line = reader.line_num + 1
    except csv.Error as exc:
        errors.append(RowError(line, "", f"Not readable as CSV: {exc}"))
    if errors:
        raise invalid(errors)
    return rows


def _header(line: int, cells: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    if len(names) == 1 and (separator := next((s for s in ";\t|" if s in names[0]), None)):
        message = f"The columns are separated by {separator!r}: save the file as CSV with commas"
        raise invalid([RowError(line, "", message)])
    errors = [RowError(line, name[:40], "unknown column") for name in names if name not in COLUMNS]
    twice = sorted({name for name in names if names.count(name) > 1})
    errors += [RowError(line, name[:40], "column appears twice") for name in twice]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    errors += [RowError(line, name, "required column is missing") for name in missing]
    if errors:
        raise invalid(errors)
    return names


def _row(
    line: int, header: list[str], cells: list[str], errors: list[RowError]
) -> CentreRow | None:
    if len(cells) != len(header):
        errors.append(RowError(line, "", f"has {len(cells)} cells; the header has {len(header)}"))
        return None
    before = len(errors)
    fields: dict[str, Any] = {}
    given: dict[str, dict[str, Any]] = {}
    for column, raw in zip(header, cells, strict=True):
        cell = _unneutralise(raw)
        kind, _, name = column.partition("_")
        try:
            if column in CENTRE_PARSERS:
                parse, blank = CENTRE_PARSERS[column]
                if cell.strip():
                    fields[column] = parse(cell)
                elif blank is REQUIRED:
                    raise ValueError("is required")
                else:
                    fields[column] = blank()
            else:
                unit = given.setdefault(kind, {})
                unit[name] = UNIT_PARSERS[name](cell) if cell.strip() else None
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc)))
    # A kind whose cells are all blank means the centre has no such unit.
    units = {
        kind: v if any(x is not None for x in v.values()) else None for kind, v in given.items()
    }
    for kind, values in units.items():
        for name, value in (values or {}).items():
            if value is None and not name.endswith("_age"):
                message = f"is required when the {kind}'s unit is given"
                errors.append(RowError(line, f"{kind}_{name}", message))
    if len(errors) > before:
        return None
    serves = fields.pop("serves", None)
    return CentreRow(line, fields.pop("id"), fields, serves, units)


def write_centres_csv(centres: Sequence[Centre]) -> str:
    """`centres` as CSV (RFC 4180, header first), one row each, in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for centre in centres:
        writer.writerow(centre_cells(centre))
    return out.getvalue()
