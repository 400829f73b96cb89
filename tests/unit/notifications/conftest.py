"""Synthetic contacts and views for the notifications unit tests (no real people)."""

from datetime import date, datetime, time

import pytest

from services.notifications.domain.contacts import GuardianContact, Preferences, SchoolContact, StudentContact
from services.notifications.domain.language import Channel, Language
from services.notifications.domain.timing import JAKARTA
from services.notifications.domain.views import VisitView


@pytest.fixture
def visit() -> VisitView:
    return VisitView(
        visit_id="V-0001",
        school_id="20000001",
        school_name="SMAN 99 Contoh",
        visit_date=date(2026, 12, 10),
        start_time=time(8, 0),
        end_time=time(14, 0),
        location="Aula",
        unit_name="Unit Keliling 1",
    )


@pytest.fixture
def school() -> SchoolContact:
    return SchoolContact(school_id="20000001", name="SMAN 99 Contoh", email="tu@sman99.example.sch.id", phone="021-5550001")


@pytest.fixture
def adult() -> StudentContact:
    return StudentContact(student_id="S-ADULT", school_id="20000001", phone="081200000001", minor=False,
                          guardians=(GuardianContact(guardian_id="g", phone="081200000091"),))


@pytest.fixture
def minor() -> StudentContact:
    return StudentContact(
        student_id="S-MINOR",
        school_id="20000001",
        phone="081200000002",
        minor=True,
        preferences=Preferences(language=Language.EN, phone_channel=Channel.WHATSAPP),
        guardians=(GuardianContact(guardian_id="g", phone="+6281200000092"),),
    )


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 12, 1, 10, 0, tzinfo=JAKARTA)
