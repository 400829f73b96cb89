"""Mapping the platform's event models onto this service's views, contacts and events."""

import datetime as dt
import uuid

from shared.events import models as ev

from services.notifications import translate
from services.notifications.adapters.repository import from_document, student_contact, to_document
from services.notifications.api import mask_address
from services.notifications.domain.contacts import Recipient, RecipientKind
from services.notifications.domain.delivery import Delivery
from services.notifications.domain.failures import FailureKind, SendFailure
from services.notifications.domain.language import Channel, Language
from services.notifications.domain.messages import MessageKind
from services.notifications.domain.planning import PlannedMessage
from services.notifications.domain.retry import Backoff
from services.notifications.domain.views import RejectionCategory

NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)


def test_recipient_ref_is_pseudonymous():
    assert translate.recipient_ref("student:S-1") == "S-1"
    assert translate.recipient_ref("guardian:S-1:guardian") == "S-1"
    assert translate.recipient_ref("school:20612345") == "20612345"
    assert translate.recipient_ref("operations:ops@example.org") == "operations"


def test_contact_event_keeps_no_name_and_normalises_phones():
    data = ev.StudentContactUpdated(student_id="S-1", npsn="20612345", name="SISWA CONTOH", phone="081200000001",
                                    language="en", is_minor=True,
                                    guardian=ev.Guardian(name="WALI CONTOH", phone="6281200000091"),
                                    opted_out=["whatsapp"], version=3)
    fields = translate.student_fields(data)
    assert set(fields) == {"npsn", "phone", "language", "is_minor", "guardians", "opted_out"}  # no names
    assert "SISWA" not in str(fields) and "WALI" not in str(fields)
    assert fields["phone"] == "+6281200000001"
    assert fields["guardians"] == [{"guardian_id": "guardian", "phone": "+6281200000091"}]
    contact = student_contact({"_id": "S-1", **fields, "version": 3})
    assert contact.minor and contact.preferences.language is Language.EN
    assert contact.preferences.opted_out == frozenset({Channel.WHATSAPP})


def test_contact_with_unusable_phone_keeps_the_rest():
    data = ev.StudentContactUpdated(student_id="S-1", npsn="20612345", name="X", phone="123456", is_minor=False,
                                    version=1)
    assert translate.student_fields(data)["phone"] is None


def test_visit_copy_to_view_uses_session_times():
    copy = {"_id": "V-1", "npsn": "20612345", "school_name": "SMAN 99 Contoh", "date": "2026-12-10",
            "session_start": "09:30", "session_end": "12:00", "unit_id": "unit-1"}
    view = translate.visit_view(copy)
    assert (view.visit_date, view.start_time, view.end_time) == (dt.date(2026, 12, 10), dt.time(9, 30), dt.time(12, 0))


def test_cancelled_visit_without_a_name_falls_back_to_the_directory():
    view = translate.visit_view({"_id": "V-1", "npsn": "20612345", "date": "2026-12-10"}, "SMAN 98 Contoh")
    assert view.school_name == "SMAN 98 Contoh" and view.start_time == dt.time(8, 0)


def test_rejection_categories_of_the_event_map_onto_the_views():
    for category in ("duplicate", "failed", "data_mismatch", "other"):
        data = ev.StudentEnrollmentRejected(student_id="S", npsn="20612345", nik_masked="3603********0001",
                                            reason_category=category, reason="x", rejected_at=NOW, version=1)
        assert translate.rejected_view(data, "SMAN 99", None, None).category is RejectionCategory(category)


def test_dates_are_local_to_jakarta():
    late_evening_utc = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.UTC)  # 01:00 WIB on the 2nd
    assert translate.local_date(late_evening_utc) == dt.date(2026, 12, 2)


def _delivery(view) -> Delivery:
    r = Recipient(recipient_id="guardian:S-1:guardian", kind=RecipientKind.GUARDIAN, channel=Channel.SMS,
                  address="+6281200000091")
    plan = PlannedMessage(cause_event_id=str(uuid.uuid4()), kind=MessageKind.VISIT_STUDENT_REMINDER, recipient=r,
                          due_at=NOW, view=view, about="visit:V-1")
    return Delivery.from_plan(plan, NOW, cause_type="visit.scheduled", about_version=1)


def test_outgoing_events_carry_no_address(visit):
    d = _delivery(visit).claim(NOW, dt.timedelta(minutes=1))
    done, sent = d.succeeded(NOW, "gw-1", 1)
    event = translate.outgoing_event(done, sent, 3)
    assert event.type == "jemput.notification.sent.v1" and event.subject == d.delivery_id
    assert event.data["recipient_ref"] == "S-1" and event.data["recipient_kind"] == "guardian"
    assert event.causationid == d.cause_event_id and event.data["version"] == 3
    assert "+62" not in event.model_dump_json()

    failed, outcome = d.failed(NOW, SendFailure(FailureKind.PERMANENT, "x" * 300), Backoff())
    event = translate.outgoing_event(failed, outcome, 4)
    assert event.type == "jemput.notification.failed.v1" and len(event.data["reason"]) == 200


def test_resend_cause_is_not_a_causation_id(visit):
    again = _delivery(visit).resend("req-1", NOW).claim(NOW, dt.timedelta(minutes=1))
    done, sent = again.succeeded(NOW, None, 1)
    assert translate.outgoing_event(done, sent, 2).causationid is None


def test_delivery_round_trips_through_its_document(visit):
    d = _delivery(visit).claim(NOW, dt.timedelta(minutes=1))
    d, _ = d.failed(NOW, SendFailure(FailureKind.TRANSIENT, "gateway HTTP 503"), Backoff())
    doc = to_document(d, 4)
    assert doc["_id"] == d.delivery_id and doc["version"] == 4 and doc["history"][0]["outcome"] == "transient"
    assert from_document({**doc, "outbox": []}) == d


def test_addresses_are_masked_for_operators():
    assert mask_address("+6281200000001") == "+62812****0001"
    assert mask_address("tu@sman99.example.sch.id") == "t***@sman99.example.sch.id"
    assert mask_address("12345") == "****"
