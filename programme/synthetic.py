"""A synthetic Kabupaten Tangerang programme: schools, rosters and what the central registry knows.

Shaped like DESIGN.md's reference case — 47 schools (29 SMAN, 12 SMKN, 5 MAN, 1 SKhN), 7,218
students on the rosters — and, like the office's own figures, inconsistent on purpose: the
office reported 4,032 already recorded and 3,353 ready to record, which sum to 7,385, more than
the roster. The generator keeps the roster total and the 3,353 ready to record, and splits the
rest into already recorded, not yet eligible and invalid rows, so that a verification report
sums exactly to 7,218 and can say where the office's figure disagrees.

Everything is synthetic and reproducible from a seed: names are random combinations of common
Indonesian given names; NIKs are consistent with birth date and sex (women's day + 40) and use
serials from 9000 up, a block chosen so that fixtures are recognisably synthetic; phone numbers
use the +62 899 9 test block.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

REGENCY = "3603"  # Banten 36, Kabupaten Tangerang 03
OFFICE_ALREADY_RECORDED = 4_032
OFFICE_READY = 3_353
ROSTER_TOTAL = 7_218
SCHOOL_KINDS = {"SMA": 29, "SMK": 12, "MA": 5, "SLB": 1}
PREFIX = {"SMA": "SMAN", "SMK": "SMKN", "MA": "MAN", "SLB": "SKhN"}
KECAMATAN = [  # the 29 kecamatan of Kabupaten Tangerang, with synthetic district codes 01..29
    "Balaraja", "Cikupa", "Cisauk", "Cisoka", "Curug", "Gunung Kaler", "Jambe", "Jayanti", "Kelapa Dua",
    "Kemiri", "Kosambi", "Kresek", "Kronjo", "Legok", "Mauk", "Mekar Baru", "Pagedangan", "Pakuhaji",
    "Panongan", "Pasar Kemis", "Rajeg", "Sepatan", "Sepatan Timur", "Sindang Jaya", "Solear", "Sukadiri",
    "Sukamulya", "Teluknaga", "Tigaraksa",
]
MALE = ["Muhammad", "Ahmad", "Rizki", "Fajar", "Dimas", "Bayu", "Aditya", "Raka", "Yoga", "Ilham", "Farhan",
        "Hendra", "Arif", "Rendi", "Galih", "Reza", "Fikri", "Naufal", "Hafiz", "Daffa", "Rafi", "Akbar",
        "Yusuf", "Wahyu", "Agus", "Bagus", "Eko", "Taufik", "Irfan", "Zaki"]
FEMALE = ["Siti", "Nur", "Putri", "Dewi", "Ayu", "Rina", "Fitri", "Anisa", "Intan", "Nabila", "Salsabila",
          "Aulia", "Dinda", "Citra", "Indah", "Lestari", "Wulan", "Rahma", "Zahra", "Aisyah", "Nadia",
          "Fatimah", "Maya", "Sari", "Tiara", "Amelia", "Kartika", "Melati", "Puspita", "Annisa"]
FAMILY = ["Pratama", "Saputra", "Hidayat", "Nugroho", "Setiawan", "Kurniawan", "Wijaya", "Santoso",
          "Ramadhan", "Permana", "Maulana", "Firmansyah", "Hakim", "Syahputra", "Lubis", "Nasution",
          "Siregar", "Rahmawati", "Wulandari", "Anggraini", "Handayani", "Safitri", "Utami", "Hasanah",
          "Purnama", "Susanti", "Hartono", "Gunawan", "Sulistyo", "O'Neil"]
PLACES = ["TANGERANG", "JAKARTA", "SERANG", "BOGOR", "LEBAK", "PANDEGLANG", "BEKASI", "BANDUNG"]


@dataclass(frozen=True)
class School:
    npsn: str
    name: str
    kind: str
    kecamatan: str
    district_code: str
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    students: int


@dataclass(frozen=True)
class Student:
    npsn: str
    nisn: str
    nik: str
    kk: str
    name: str
    birth_place: str
    birth_date: dt.date
    sex: str  # "L" or "P"
    class_name: str
    phone: str
    guardian_name: str
    guardian_phone: str
    marital_status: str
    expected: str  # already_recorded | ready_to_record | not_yet_eligible | invalid

    def roster_row(self) -> dict[str, str]:
        """As the education office's roster has it (Indonesian headers, DD-MM-YYYY dates)."""
        return {
            "NISN": self.nisn, "NIK": self.nik, "No KK": self.kk, "Nama Lengkap": self.name,
            "Tempat Lahir": self.birth_place, "Tanggal Lahir": self.birth_date.strftime("%d-%m-%Y"),
            "Jenis Kelamin": self.sex, "NPSN": self.npsn, "Kelas": self.class_name,
            "No HP Siswa": self.phone, "Nama Wali": self.guardian_name, "HP Wali": self.guardian_phone,
            "Status Perkawinan": self.marital_status,
        }


@dataclass
class Programme:
    schools: list[School]
    students: list[Student]
    registry_known: set[str] = field(default_factory=set)  # NIKs the central registry already has
    start: dt.date = dt.date(2026, 5, 6)

    def expected_counts(self) -> dict[str, int]:
        counts = {"already_recorded": 0, "ready_to_record": 0, "not_yet_eligible": 0, "invalid": 0}
        for s in self.students:
            counts[s.expected] += 1
        return counts

    def roster(self, npsn: str) -> list[dict[str, str]]:
        return [s.roster_row() for s in self.students if s.npsn == npsn]


def nik_for(district: str, birth: dt.date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"{REGENCY}{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def _school_sizes(rng: random.Random, n_schools: int, total: int, kinds: list[str]) -> list[int]:
    weight = {"SMA": 1.0, "SMK": 1.1, "MA": 0.6, "SLB": 0.15}
    raw = [weight[k] * rng.uniform(0.75, 1.25) for k in kinds]
    sizes = [max(5, int(total * w / sum(raw))) for w in raw]
    sizes[0] += total - sum(sizes)
    return sizes


def generate(*, schools: int = 47, students: int = ROSTER_TOTAL, ready: int | None = None,
             seed: int = 2026, start: dt.date = dt.date(2026, 5, 6)) -> Programme:
    """A programme of ``schools`` schools and ``students`` roster rows (defaults: the reference case)."""
    rng = random.Random(seed)
    kinds = _kinds(schools)
    sizes = _school_sizes(rng, schools, students, kinds)
    counters: dict[str, int] = {}
    school_list = []
    for i, (kind, size) in enumerate(zip(kinds, sizes, strict=True)):
        counters[kind] = counters.get(kind, 0) + 1
        district = i % len(KECAMATAN)
        kecamatan = KECAMATAN[district]
        npsn = f"{69_900_000 + i:08d}"  # synthetic NPSN block
        school_list.append(School(
            npsn=npsn, name=f"{PREFIX[kind]} {counters[kind]} Kabupaten Tangerang (contoh)", kind=kind,
            kecamatan=kecamatan, district_code=f"{district + 1:02d}",
            address=f"Jl. Pendidikan No. {i + 1}, {kecamatan}", contact_name=f"Tata Usaha {PREFIX[kind]} {counters[kind]}",
            contact_phone=f"021{5990000 + i:07d}", contact_email=f"tu.{npsn}@sekolah.example",
            students=size))

    ready = round(students * OFFICE_READY / ROSTER_TOTAL) if ready is None else ready
    rest = students - ready
    invalid = max(1, round(rest * 0.012))
    not_eligible = max(1, round(rest * 0.03))
    already = rest - invalid - not_eligible
    plan = (["ready_to_record"] * ready + ["already_recorded"] * already
            + ["not_yet_eligible"] * not_eligible + ["invalid"] * invalid)
    rng.shuffle(plan)

    programme = Programme(schools=school_list, students=[], start=start)
    serial = 9000
    row = 0
    for school in school_list:
        for _ in range(school.students):
            expected = plan[row]
            row += 1
            serial = serial + 1 if serial < 9999 else 9000
            programme.students.append(_student(rng, school, expected, serial, row, start))
            if expected == "already_recorded":
                programme.registry_known.add(programme.students[-1].nik)
    return programme


def _kinds(n: int) -> list[str]:
    if n == 47:
        return [k for k, count in SCHOOL_KINDS.items() for _ in range(count)]
    order = ["SMA", "SMA", "SMK", "SMA", "MA", "SMK", "SMA", "SLB"]
    return [order[i % len(order)] for i in range(n)]


def _student(rng: random.Random, school: School, expected: str, serial: int, row: int, start: dt.date) -> Student:
    sex = rng.choice("LP")
    given = rng.choice(MALE if sex == "L" else FEMALE)
    name = f"{given} {rng.choice(FAMILY)}"
    if expected == "not_yet_eligible":  # turns 16 after the programme starts
        birth = start - dt.timedelta(days=365 * 16 - rng.randint(30, 300))
    else:  # 16 to 18 at the start: some will have to wait for their 17th birthday to get the card
        birth = start - dt.timedelta(days=rng.randint(365 * 16 + 20, 365 * 18 + 200))
    nik = nik_for(school.district_code, birth, sex, serial)
    roster_birth = birth
    nisn = f"{int('00' + str(row)) + 6_000_000_000:010d}"
    if expected == "invalid":  # the NIK's birth date disagrees with the roster's
        roster_birth = birth + dt.timedelta(days=rng.choice([-400, -35, 35, 400]))
    return Student(
        npsn=school.npsn, nisn=nisn, nik=nik, kk=f"{REGENCY}{school.district_code}{rng.randint(0, 10**10 - 1):010d}",
        name=name, birth_place=rng.choice(PLACES), birth_date=roster_birth, sex=sex,
        class_name=rng.choice(["XI", "XII"]) + f"-{rng.randint(1, 9)}",
        phone=f"+628999{row:07d}", guardian_name=f"{rng.choice(MALE + FEMALE)} {rng.choice(FAMILY)}",
        guardian_phone=f"+628998{row:07d}", marital_status="BELUM KAWIN", expected=expected,
    )


def iter_rows(programme: Programme) -> Iterator[dict[str, str]]:
    for student in programme.students:
        yield student.roster_row()
