import pytest
from pydantic import ValidationError

from services.scheduling.domain.school import School

from .factories import school, unit


def test_npsn_must_have_eight_digits():
    assert school(1, 10).npsn == "69000001"
    for bad in ("1234567", "123456789", "1234567a", ""):
        with pytest.raises(ValidationError, match="NPSN"):
            School(npsn=bad, name="SMA", kind="SMA", ownership="negeri", kecamatan="Cikupa", address="Jl. A")


def test_kind_and_ownership_are_closed_lists():
    with pytest.raises(ValidationError):
        School(npsn="12345678", name="SD", kind="SD", ownership="negeri", kecamatan="Cikupa", address="Jl")
    with pytest.raises(ValidationError):
        School(npsn="12345678", name="SMA", kind="SMA", ownership="private", kecamatan="Cikupa", address="Jl")


def test_names_are_trimmed_and_blank_is_refused():
    s = School(npsn="12345678", name="  SMAN   1 ", kind="SMA", ownership="swasta", kecamatan=" Cikupa ",
               address="Jl. A")
    assert s.name == "SMAN 1" and s.kecamatan == "Cikupa"
    with pytest.raises(ValidationError):
        School(npsn="12345678", name="   ", kind="SMA", ownership="swasta", kecamatan="Cikupa", address="Jl")


def test_unit_working_days_and_unavailability():
    from datetime import date

    from services.scheduling.domain.unit import Unavailability

    u = unit(1, unavailable=(Unavailability(start=date(2026, 5, 11), end=date(2026, 5, 12)),))
    assert u.works_on(date(2026, 5, 13))
    assert not u.works_on(date(2026, 5, 11))
    assert not u.works_on(date(2026, 5, 9))  # Saturday
    with pytest.raises(ValidationError):
        unit(2, working_days=frozenset())
    with pytest.raises(ValidationError):
        unit(3, capacity=0)
