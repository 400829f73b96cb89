import pytest
from pydantic import ValidationError

from services.notifications.domain.contacts import (
    GuardianContact,
    Preferences,
    RecipientKind,
    SchoolContact,
    StudentContact,
    normalise_phone,
    operations_recipients,
    school_recipients,
    student_recipients,
)
from services.notifications.domain.language import Channel, Language


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("+6591234567", "+6591234567"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "not a phone", "+0812345678", "0812"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(ValueError, match="not a phone number"):
        normalise_phone(raw)


def test_bad_school_email_names_the_field():
    with pytest.raises(ValidationError) as err:
        SchoolContact(school_id="1", name="X", email="no-at-sign")
    assert err.value.errors()[0]["loc"] == ("email",)


def test_phone_channel_must_be_a_phone_channel():
    with pytest.raises(ValidationError, match="sms or whatsapp"):
        Preferences(phone_channel=Channel.EMAIL)


def test_minor_student_and_guardian_are_both_told(minor):
    rs = student_recipients(minor)
    assert [(r.kind, r.channel, r.language) for r in rs] == [
        (RecipientKind.STUDENT, Channel.WHATSAPP, Language.EN),
        (RecipientKind.GUARDIAN, Channel.SMS, Language.ID),
    ]
    assert rs[1].recipient_id == "guardian:S-MINOR:g"


def test_adult_student_only_the_student(adult):
    assert [r.kind for r in student_recipients(adult)] == [RecipientKind.STUDENT]


def test_student_without_phone_reaches_guardian_only():
    s = StudentContact(student_id="S", school_id="1", guardians=(GuardianContact(guardian_id="g", phone="081299999999"),))
    assert [r.kind for r in student_recipients(s)] == [RecipientKind.GUARDIAN]


def test_opt_out_is_carried_to_the_recipient():
    s = StudentContact(
        student_id="S", school_id="1", phone="081299999998",
        preferences=Preferences(opted_out=frozenset({Channel.SMS})), minor=False,
    )
    (r,) = student_recipients(s)
    assert r.opted_out


def test_school_without_email_gets_no_email(school):
    bare = school.model_copy(update={"email": None})
    assert school_recipients(bare) == []
    assert school_recipients(school)[0].address == "tu@sman99.example.sch.id"
    assert school_recipients(school, (Channel.SMS,))[0].address == "+62215550001"


def test_operations_recipients_by_email():
    (r,) = operations_recipients(["Ops@Example.org"])
    assert (r.kind, r.channel, r.recipient_id) == (RecipientKind.OPERATIONS, Channel.EMAIL, "operations:ops@example.org")
