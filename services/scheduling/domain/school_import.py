"""Turning rows of a school list (CSV or XLSX, read by adapters) into schools.

Every problem is reported as (row, field, reason); valid rows are kept. Row numbers are the
spreadsheet's: the header is row 1, the first school row 2. Headers may be in English or
Bahasa Indonesia (``npsn, nama, jenjang, status, kecamatan, alamat, lintang, bujur,
kontak, telepon, email, siap_rekam``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ValidationError

from .school import Coordinates, OfficialContact, School

HEADER_ALIASES: dict[str, str] = {
    "npsn": "npsn",
    "name": "name", "nama": "name", "nama_sekolah": "name", "school_name": "name",
    "kind": "kind", "jenjang": "kind", "bentuk": "kind", "bentuk_pendidikan": "kind",
    "ownership": "ownership", "status": "ownership", "status_sekolah": "ownership",
    "kecamatan": "kecamatan", "district": "kecamatan",
    "address": "address", "alamat": "address",
    "lat": "lat", "latitude": "lat", "lintang": "lat",
    "lon": "lon", "lng": "lon", "longitude": "lon", "bujur": "lon",
    "contact_name": "contact_name", "kontak": "contact_name", "nama_kontak": "contact_name",
    "office_phone": "office_phone", "phone": "office_phone", "telepon": "office_phone", "telp": "office_phone",
    "email": "email", "surel": "email",
    "ready_students": "ready_students", "ready": "ready_students", "siap_rekam": "ready_students",
}
REQUIRED_COLUMNS = ("npsn", "name", "kind", "ownership", "kecamatan", "address")
KIND_WORDS = {"sma": "SMA", "sman": "SMA", "smk": "SMK", "smkn": "SMK", "ma": "MA", "man": "MA",
              "slb": "SLB", "skh": "SLB", "skhn": "SLB", "slbn": "SLB"}
OWNERSHIP_WORDS = {"negeri": "negeri", "n": "negeri", "public": "negeri",
                   "swasta": "swasta", "s": "swasta", "private": "swasta"}


class RowError(BaseModel):
    row: int
    field: str
    reason: str


class ImportResult(BaseModel):
    schools: list[School]
    errors: list[RowError]
    rows_read: int


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not one row's problem)."""


def normalise_header(headers: Iterable[object]) -> list[str | None]:
    out: list[str | None] = []
    for h in headers:
        key = "_".join(str(h or "").strip().lower().replace("-", " ").split())
        out.append(HEADER_ALIASES.get(key))
    return out


def check_columns(columns: list[str | None]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFileError(f"row 1: missing column(s) {', '.join(missing)}")


def parse_school_rows(rows: Iterable[tuple[int, Mapping[str, object]]]) -> ImportResult:
    """``rows``: (spreadsheet row number, {canonical column: value})."""
    schools: list[School] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    count = 0
    for row_no, raw in rows:
        values = {k: _text(v) for k, v in raw.items()}
        if not any(values.values()):
            continue  # blank line
        count += 1
        row_errors: list[RowError] = []
        school = _school_from(row_no, values, row_errors)
        if school is not None and school.npsn in seen:
            row_errors.append(RowError(row=row_no, field="npsn",
                                       reason=f"duplicate of row {seen[school.npsn]}"))
            school = None
        if school is not None and not row_errors:
            seen[school.npsn] = row_no
            schools.append(school)
        errors.extend(row_errors)
    return ImportResult(schools=schools, errors=errors, rows_read=count)


def _school_from(row_no: int, v: dict[str, str], errors: list[RowError]) -> School | None:
    def err(field: str, reason: str) -> None:
        errors.append(RowError(row=row_no, field=field, reason=reason))

    kind = KIND_WORDS.get(v.get("kind", "").lower().rstrip("."), v.get("kind", "").upper())
    ownership = OWNERSHIP_WORDS.get(v.get("ownership", "").lower(), v.get("ownership", "").lower())
    coordinates = None
    lat, lon = v.get("lat", ""), v.get("lon", "")
    if lat or lon:
        try:
            coordinates = Coordinates(lat=float(lat.replace(",", ".")), lon=float(lon.replace(",", ".")))
        except ValueError:
            err("lat" if not lat or not _is_float(lat) else "lon",
                "coordinates need both latitude (-90..90) and longitude (-180..180) as numbers")
    contact = None
    if any(v.get(k) for k in ("contact_name", "office_phone", "email")):
        try:
            contact = OfficialContact(name=v.get("contact_name", ""), office_phone=v.get("office_phone", ""),
                                      email=v.get("email", ""))
        except ValidationError as exc:
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else "contact"
                err("contact_name" if field == "name" else field, _reason(field, e))
    ready = 0
    if v.get("ready_students"):
        try:
            ready = int(float(v["ready_students"]))
            if ready < 0 or ready != float(v["ready_students"]):
                raise ValueError
        except ValueError:
            err("ready_students", "must be a whole number of students, 0 or more")
    try:
        school = School(npsn=v.get("npsn", ""), name=v.get("name", ""), kind=kind, ownership=ownership,
                        kecamatan=v.get("kecamatan", ""), address=v.get("address", ""),
                        coordinates=coordinates, contact=contact, ready_students=ready)
    except ValidationError as exc:
        for e in exc.errors():
            field = str(e["loc"][0]) if e["loc"] else "row"
            err(field, _reason(field, e))
        return None
    return school if not errors else None


def _reason(field: str, e: Mapping) -> str:
    if field == "kind":
        return "must be one of SMA, SMK, MA, SLB"
    if field == "ownership":
        return "must be negeri or swasta"
    if field == "npsn":
        return "NPSN must be exactly 8 digits"
    if field == "office_phone":
        return "must be a phone number of 6 to 20 digits"
    if field == "email":
        return "must be an email address"
    if e.get("type") in ("string_too_short", "missing"):
        return "is required"
    msg = str(e.get("msg", "is not valid"))
    return msg.removeprefix("Value error, ")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_float(s: str) -> bool:
    try:
        float(s.replace(",", "."))
    except ValueError:
        return False
    return True
