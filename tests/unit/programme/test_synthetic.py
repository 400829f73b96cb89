"""The synthetic Kabupaten Tangerang programme: shaped like DESIGN.md's reference case, and its
rosters, run through the enrollment service's own verification, give the intended split."""

from __future__ import annotations

import collections

import pytest

from programme.files import write_roster_csv
from programme.synthetic import OFFICE_ALREADY_RECORDED, OFFICE_READY, ROSTER_TOTAL, generate
from services.enrollment.adapters.roster_reader import RosterFile
from services.enrollment.domain.nik import parse_nik
from services.enrollment.domain.roster import Category
from services.enrollment.domain.verification import RosterVerifier, VerificationContext
from services.enrollment.importing import import_roster


@pytest.fixture(scope="module")
def programme():
    return generate()


def test_the_reference_case_shape(programme) -> None:
    assert collections.Counter(s.kind for s in programme.schools) == {"SMA": 29, "SMK": 12, "MA": 5, "SLB": 1}
    assert len(programme.students) == sum(s.students for s in programme.schools) == ROSTER_TOTAL
    counts = programme.expected_counts()
    assert counts["ready_to_record"] == OFFICE_READY
    assert sum(counts.values()) == ROSTER_TOTAL
    # the office's figures overshoot the roster; ours cannot
    assert OFFICE_ALREADY_RECORDED + OFFICE_READY > ROSTER_TOTAL
    assert counts["already_recorded"] < OFFICE_ALREADY_RECORDED


def test_niks_agree_with_birth_date_and_sex_except_where_meant_not_to(programme) -> None:
    for student in programme.students:
        nik = parse_nik(student.nik, reference=programme.start)
        assert student.nik.startswith("3603") and len(student.nik) == 16
        assert nik.sex.value[0].upper() in {"L", "P", "M", "F"}
        agrees = nik.birth_date == student.birth_date
        assert agrees == (student.expected != "invalid"), student.expected
    assert len({s.nik for s in programme.students}) == len(programme.students)


def test_generation_is_reproducible_from_the_seed() -> None:
    assert generate(schools=5, students=300, seed=7) == generate(schools=5, students=300, seed=7)
    assert generate(schools=5, students=300, seed=7).students != generate(schools=5, students=300, seed=8).students


class Registry:
    def __init__(self, known: set[str]) -> None:
        self.known = known

    async def recorded(self, niks):
        return {n for n in niks if n in self.known}


async def test_verification_reproduces_the_intended_split(programme, tmp_path) -> None:
    path = write_roster_csv(programme, tmp_path / "roster.csv")
    context = VerificationContext(today=programme.start, known_schools={s.npsn for s in programme.schools})
    with RosterFile(path) as roster:
        report = await import_roster(roster.lines(), RosterVerifier(context), source="roster.csv",
                                     registry=Registry(programme.registry_known))
    counts = {c.value: report.count(c) for c in Category}
    assert counts == programme.expected_counts()
    assert report.total == ROSTER_TOTAL and report.sums_to_total
