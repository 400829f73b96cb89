"""Every template, for every message kind, channel, language and recipient kind."""

from datetime import date, datetime, time
from pathlib import Path

import pytest

from services.notifications.domain.contacts import RecipientKind
from services.notifications.domain.language import Channel, Language
from services.notifications.domain.messages import CHANNELS_OF, VIEW_OF, MessageKind, parse_view
from services.notifications.domain.segments import Encoding
from services.notifications.domain.timing import JAKARTA
from services.notifications.domain.views import (
    CardPrintedView,
    CertificateIssuedView,
    EnrollmentRejectedView,
    RejectionCategory,
    StockLowView,
    StudentRecordedView,
    VisitCancelledView,
    VisitRescheduledView,
    VisitView,
)
from services.notifications.rendering import TemplateMissing, format_date, format_time, render

VISIT = VisitView(visit_id="V-1", school_id="20000001", school_name="SMAN 99 Contoh",
                  visit_date=date(2026, 12, 10), start_time=time(8, 0), location="Aula")

VIEWS = {
    MessageKind.VISIT_SCHEDULED: VISIT,
    MessageKind.VISIT_REMINDER: VISIT,
    MessageKind.VISIT_STUDENT_REMINDER: VISIT,
    MessageKind.VISIT_RESCHEDULED: VisitRescheduledView(visit=VISIT, previous_date=date(2026, 12, 3), reason="Ujian"),
    MessageKind.VISIT_CANCELLED: VisitCancelledView(visit=VISIT, reason="Banjir"),
    MessageKind.STUDENT_RECORDED: StudentRecordedView(student_id="S1", school_name="SMAN 99 Contoh",
                                                      recorded_on=date(2026, 12, 10)),
    MessageKind.CARD_PRINTED: CardPrintedView(student_id="S1", school_name="SMAN 99 Contoh",
                                              printed_on=date(2026, 12, 10), collect_point="Ruang TU",
                                              collect_until=time(15, 0)),
    MessageKind.CERTIFICATE_ISSUED: CertificateIssuedView(student_id="S1", school_name="SMAN 99 Contoh",
                                                          issued_on=date(2026, 12, 10), valid_until=date(2027, 6, 10)),
    MessageKind.ENROLLMENT_REJECTED: EnrollmentRejectedView(student_id="S1", school_name="SMAN 99 Contoh",
                                                            category=RejectionCategory.DUPLICATE),
    MessageKind.STOCK_LOW: StockLowView(unit_id="U1", unit_name="Unit Keliling 1", remaining=12, threshold=50,
                                        as_of=datetime(2026, 12, 10, 7, 30, tzinfo=JAKARTA), next_visit=VISIT),
}

CASES = [
    (kind, channel, language, rk)
    for kind in MessageKind
    for channel in CHANNELS_OF[kind]
    for language in Language
    for rk in ((RecipientKind.SCHOOL,) if channel is Channel.EMAIL else (RecipientKind.STUDENT, RecipientKind.GUARDIAN))
]


def test_every_kind_has_a_sample_view_of_its_type():
    assert set(VIEWS) == set(MessageKind)
    for kind, view in VIEWS.items():
        assert isinstance(view, VIEW_OF[kind])


@pytest.mark.parametrize(("kind", "channel", "language", "rk"), CASES, ids=lambda v: getattr(v, "value", v))
def test_every_template_renders(kind, channel, language, rk):
    msg = render(kind, channel, language, VIEWS[kind], rk)
    assert msg.body.strip()
    assert "{{" not in msg.body and "{%" not in msg.body
    if channel is Channel.EMAIL:
        assert msg.subject and "\n" not in msg.subject
        assert msg.segments is None
    else:
        assert msg.segments is not None and msg.segments.segments >= 1
        # our own words stay within GSM-7 so that a message costs 160 per SMS, not 70
        assert msg.segments.encoding is Encoding.GSM7, msg.body
    if channel is Channel.SMS:
        assert "\n" not in msg.body and "  " not in msg.body
    assert "Disdukcapil" in msg.body or "Jemput" in msg.body


def test_sms_reminder_says_what_to_bring_and_fits_in_one_segment():
    msg = render(MessageKind.VISIT_STUDENT_REMINDER, Channel.SMS, Language.ID, VISIT)
    assert "KK" in msg.body and "kartu pelajar" in msg.body and "Kam 10/12" in msg.body
    assert msg.segments.segments == 1
    assert msg.body.startswith("Perekaman KTP-el kamu di SMAN 99 Contoh")


def test_guardian_is_addressed_as_parent():
    msg = render(MessageKind.VISIT_STUDENT_REMINDER, Channel.SMS, Language.ID, VISIT, RecipientKind.GUARDIAN)
    assert "Ortu/wali" in msg.body and "anak Anda" in msg.body
    en = render(MessageKind.CARD_PRINTED, Channel.SMS, Language.EN, VIEWS[MessageKind.CARD_PRINTED], RecipientKind.GUARDIAN)
    assert en.body.startswith("Your child's KTP-el is ready!")


def test_card_printed_says_collect_today():
    id_ = render(MessageKind.CARD_PRINTED, Channel.SMS, Language.ID, VIEWS[MessageKind.CARD_PRINTED])
    assert "HARI INI" in id_.body and "Ruang TU" in id_.body and "15.00 WIB" in id_.body
    en = render(MessageKind.CARD_PRINTED, Channel.SMS, Language.EN, VIEWS[MessageKind.CARD_PRINTED])
    assert "TODAY" in en.body and "15:00 WIB" in en.body


def test_certificate_states_validity():
    msg = render(MessageKind.CERTIFICATE_ISSUED, Channel.SMS, Language.ID, VIEWS[MessageKind.CERTIFICATE_ISSUED])
    assert "berlaku s.d. 10 Juni 2027" in msg.body and "Surat Keterangan" in msg.body


def test_school_email_has_date_time_and_place_in_indonesian():
    msg = render(MessageKind.VISIT_SCHEDULED, Channel.EMAIL, Language.ID, VISIT, RecipientKind.SCHOOL)
    assert msg.subject == "Jadwal perekaman KTP-el di SMAN 99 Contoh: Kamis, 10 Desember 2026"
    assert "08.00 WIB" in msg.body and "Aula" in msg.body


def test_rescheduled_email_names_old_and_new_dates():
    msg = render(MessageKind.VISIT_RESCHEDULED, Channel.EMAIL, Language.EN, VIEWS[MessageKind.VISIT_RESCHEDULED])
    assert "Thursday, 3 December 2026" in msg.body and "Thursday, 10 December 2026" in msg.body
    assert "Reason: Ujian" in msg.body


def test_stock_low_email_for_empty_stock_mentions_certificate():
    empty = VIEWS[MessageKind.STOCK_LOW].model_copy(update={"remaining": 0})
    msg = render(MessageKind.STOCK_LOW, Channel.EMAIL, Language.ID, empty, RecipientKind.OPERATIONS)
    assert "HABIS" in msg.body and "Surat Keterangan" in msg.body
    assert msg.subject.startswith("[Stok blangko] Unit Keliling 1: sisa 0")


@pytest.mark.parametrize("category", list(RejectionCategory))
@pytest.mark.parametrize("language", list(Language))
def test_each_rejection_category_says_where_to_go_next(category, language):
    view = EnrollmentRejectedView(student_id="S1", school_name="SMAN 99 Contoh", category=category,
                                  eligible_from=date(2027, 3, 1), office_address="Jl. Contoh No. 1",
                                  office_hours="Senin-Jumat 08.00-15.00")
    msg = render(MessageKind.ENROLLMENT_REJECTED, Channel.SMS, language, view)
    assert "Jl. Contoh No. 1" in msg.body and "08.00-15.00" in msg.body
    assert msg.body.endswith(". -Disdukcapil")
    others = {
        render(MessageKind.ENROLLMENT_REJECTED, Channel.SMS, language, view.model_copy(update={"category": c})).body
        for c in RejectionCategory
    }
    assert len(others) == len(RejectionCategory)  # every category has its own advice


def test_underage_rejection_names_the_date():
    view = EnrollmentRejectedView(student_id="S1", school_name="SMAN 99 Contoh", category="underage",
                                  eligible_from=date(2027, 3, 1))
    assert "1 Maret 2027" in render(MessageKind.ENROLLMENT_REJECTED, Channel.SMS, Language.ID, view).body


def test_whatsapp_falls_back_to_sms_template_but_keeps_lines():
    view = VIEWS[MessageKind.CARD_PRINTED]
    wa = render(MessageKind.CARD_PRINTED, Channel.WHATSAPP, Language.ID, view)
    sms = render(MessageKind.CARD_PRINTED, Channel.SMS, Language.ID, view)
    assert wa.body.replace("\n", " ") == sms.body


def test_kind_not_sent_on_a_channel_has_no_template():
    with pytest.raises(TemplateMissing, match="stock_low is not sent by sms"):
        render(MessageKind.STOCK_LOW, Channel.SMS, Language.ID, VIEWS[MessageKind.STOCK_LOW])


def test_every_template_file_is_used():
    root = Path(__file__).resolve().parents[3] / "services/notifications/templates"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*.j2")}
    used = {f"{lang.value}/{kind.value}.{ch.value}.j2" for kind, ch, lang, _ in CASES}
    assert files <= used
    assert {f for f in used if not f.endswith(".whatsapp.j2")} <= files


def test_sender_can_be_set():
    msg = render(MessageKind.CARD_PRINTED, Channel.SMS, Language.ID, VIEWS[MessageKind.CARD_PRINTED],
                 extra={"sender": "Disdukcapil Kab. Tangerang"})
    assert msg.body.endswith("-Disdukcapil Kab. Tangerang")


def test_parse_view_from_stored_data():
    data = VIEWS[MessageKind.VISIT_RESCHEDULED].model_dump(mode="json")
    assert parse_view(MessageKind.VISIT_RESCHEDULED, data) == VIEWS[MessageKind.VISIT_RESCHEDULED]


def test_date_and_time_formats():
    assert format_date(date(2026, 8, 17), Language.ID) == "Senin, 17 Agustus 2026"
    assert format_date(date(2026, 8, 17), Language.EN, weekday=False) == "17 August 2026"
    assert format_time(time(7, 5), Language.ID) == "07.05 WIB"
    assert format_time(datetime(2026, 1, 1, 0, 30, tzinfo=JAKARTA).astimezone(JAKARTA), Language.EN) == "00:30 WIB"
