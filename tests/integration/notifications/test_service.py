"""The notifications service against the real broker, database, SMTP server and HTTP gateway."""

from __future__ import annotations

import datetime as dt
from collections import Counter


from shared.testing import EventTap, api_client, cli_token, running_service

from . import events as e
from .events import eventually, publish

ADULT, MINOR = "S-ADULT-1", "S-MINOR-1"
ADULT_PHONE, MINOR_PHONE, GUARDIAN_PHONE, ADULTS_GUARDIAN = "081200000001", "081200000002", "081200000092", "081200000091"


async def final_deliveries(svc, count: int, query: dict | None = None):
    coll = svc.runtime.db["deliveries"]
    base = dict(query or {})

    async def ready():
        docs = await coll.find(base).to_list(None)
        soon = e.now() + dt.timedelta(minutes=1)  # retries back off for seconds; reminders wait for days
        pending = [d for d in docs if d["status"] in ("scheduled", "sending") and d["next_attempt_at"] <= soon]
        return docs if len(docs) >= count and not pending and not any(d.get("outbox") for d in docs) else None

    return await eventually(ready)


async def directory(rabbit_url, topology, svc, *contacts):
    await publish(rabbit_url, topology, e.school_registered(), *contacts)
    await eventually(lambda: svc.runtime.db["students"].count_documents({}), timeout=15)

    async def all_in():
        return await svc.runtime.db["students"].count_documents({}) == len(contacts) and \
            await svc.runtime.db["schools"].count_documents({}) == 1

    await eventually(all_in)


def both_students():
    return (
        e.contact_updated(ADULT, ADULT_PHONE, minor=False, guardian_phone=ADULTS_GUARDIAN),
        e.contact_updated(MINOR, MINOR_PHONE, minor=True, guardian_phone=GUARDIAN_PHONE, language="en"),
    )


async def test_visit_scheduled_tells_school_students_and_minors_guardians(
    notify_settings, rabbit_url, topology, smtp_sink, gateway_sink
):
    visit_date = e.today() + dt.timedelta(days=2)  # the three-days-before reminder is due at once
    async with (
        running_service("notifications", notify_settings()) as svc,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        await directory(rabbit_url, topology, svc, *both_students())
        scheduled = e.visit_scheduled("V-1", visit_date)
        await publish(rabbit_url, topology, scheduled)

        await tap.wait_for("notification.sent", count=4, timeout=30)
        [mail] = await smtp_sink.wait_for(1)
        texts = await gateway_sink.wait_for(3)

        assert mail.rcpt_tos == ("tu@sman99.example.sch.id",)
        assert mail.subject.startswith("Jadwal perekaman KTP-el di SMAN 99 Contoh")
        assert sorted(t.body["to"] for t in texts) == ["+6281200000001", "+6281200000002", "+6281200000092"]
        by_to = {t.body["to"]: t.body for t in texts}
        assert by_to["+6281200000002"]["text"].startswith("Your KTP-el recording")  # English by preference
        assert by_to["+6281200000092"]["text"].startswith("Dear parent")  # the minor's guardian, same language
        assert "fotokopi KK" in by_to["+6281200000001"]["text"]
        assert all(t.body["segments"] >= 1 for t in texts)
        assert "+6281200000091" not in by_to  # an adult's guardian is not told

        docs = await final_deliveries(svc, 5, {"cause_event_id": scheduled.id})
        reminder = next(d for d in docs if d["kind"] == "visit_reminder")
        assert reminder["status"] == "scheduled"
        expected = dt.datetime.combine(visit_date - dt.timedelta(days=1), dt.time(7, 0), tzinfo=e.JAKARTA)
        assert reminder["due_at"] == expected

        sent = tap.of_type("notification.sent")
        assert {m["body"]["data"]["cause_event_id"] for m in sent} == {scheduled.id}
        assert Counter(m["body"]["data"]["recipient_kind"] for m in sent) == {"student": 2, "guardian": 1, "school": 1}
        assert all(m["body"]["causationid"] == scheduled.id for m in sent)
        assert not any("+62" in str(m["body"]) for m in sent)  # no phone numbers on the public exchange


async def test_duplicated_events_send_once(notify_settings, rabbit_url, topology, smtp_sink, gateway_sink):
    async with (
        running_service("notifications", notify_settings()) as svc,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        await directory(rabbit_url, topology, svc, *both_students())
        recorded = e.student_recorded(MINOR)
        scheduled = e.visit_scheduled("V-2", e.today() + dt.timedelta(days=1))
        await publish(rabbit_url, topology, recorded, recorded, scheduled, scheduled, recorded)
        await tap.wait_for("notification.sent", count=2 + 1 + 3, timeout=30)
        await final_deliveries(svc, 2 + 1 + 3)  # booked for tomorrow: no separate day-before email
        assert len(gateway_sink.messages) == 5  # 2 recorded (student, guardian) + 3 reminders
        assert len(smtp_sink.received()) == 1
        refs = Counter(m.body["reference"] for m in gateway_sink.messages)
        assert set(refs.values()) == {1}
        assert gateway_sink.stats()["duplicates"] == 0
        assert len(tap.of_type("notification.sent")) == 6


async def test_gateway_down_then_up_delivers_each_message_exactly_once(
    notify_settings, rabbit_url, topology, gateway_sink
):
    async with (
        running_service("notifications", notify_settings()) as svc,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        await directory(rabbit_url, topology, svc, *both_students())
        gateway_sink.set_down(True)
        await publish(rabbit_url, topology, e.card_printed(ADULT), e.card_printed(MINOR))

        async def retrying():
            docs = await svc.runtime.db["deliveries"].find({}).to_list(None)
            return len(docs) == 3 and all(d["attempts"] >= 2 and d["status"] != "sent" for d in docs)

        await eventually(retrying)
        assert gateway_sink.messages == []
        gateway_sink.set_down(False)

        await tap.wait_for("notification.sent", count=3, timeout=30)
        docs = await final_deliveries(svc, 3)
        assert {d["status"] for d in docs} == {"sent"}
        assert all(d["history"][-1]["outcome"] == "sent" and d["history"][0]["outcome"] == "transient" for d in docs)
        refs = Counter(m.body["reference"] for m in gateway_sink.messages)
        assert len(refs) == 3 and set(refs.values()) == {1}
        today_word = {"+6281200000001": "HARI INI", "+6281200000002": "TODAY", "+6281200000092": "TODAY"}
        assert all(today_word[m.body["to"]] in m.body["text"] for m in gateway_sink.messages)
        assert tap.of_type("notification.failed") == []
        assert len(tap.of_type("notification.sent")) == 3


async def test_quiet_hours_hold_sms_until_morning_but_not_email(
    notify_settings, rabbit_url, topology, smtp_sink, gateway_sink
):
    async with running_service("notifications", notify_settings(quiet_now=True)) as svc:
        await directory(rabbit_url, topology, svc, both_students()[0])
        await publish(rabbit_url, topology, e.student_recorded(ADULT), e.stock_low())
        [mail] = await smtp_sink.wait_for(1)
        assert mail.rcpt_tos == ("ops@dukcapil.example.go.id",)
        assert "sisa 3" in mail.subject

        async def held():
            doc = await svc.runtime.db["deliveries"].find_one({"kind": "student_recorded"})
            return doc if doc and doc.get("held") == "quiet_hours" else None

        doc = await held() or await eventually(held)
        end = svc.runtime.state["settings"].quiet_end
        release = doc["next_attempt_at"].astimezone(e.JAKARTA)
        assert (release.hour, release.minute) == (end.hour, end.minute) and release > e.now()
        assert doc["status"] == "scheduled" and doc["attempts"] == 0
        assert gateway_sink.messages == []


async def test_opt_out_is_honoured_when_planned_and_when_it_arrives_later(
    notify_settings, rabbit_url, topology, gateway_sink
):
    async with (
        running_service("notifications", notify_settings()) as svc,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        opted = e.contact_updated("S-OPTED", "081200000005", minor=True, guardian_phone="081200000095",
                                  opted_out=["sms"])
        await directory(rabbit_url, topology, svc, opted, both_students()[0])
        await publish(rabbit_url, topology, e.student_recorded("S-OPTED"))
        docs = await final_deliveries(svc, 2, {"recipient_id": {"$regex": "S-OPTED"}})
        assert {d["status"] for d in docs} == {"suppressed"}

        gateway_sink.set_down(True)
        await publish(rabbit_url, topology, e.student_recorded(ADULT))
        await eventually(lambda: svc.runtime.db["deliveries"].find_one(
            {"recipient_id": f"student:{ADULT}", "attempts": {"$gte": 1}}))
        later = e.contact_updated(ADULT, ADULT_PHONE, minor=False, opted_out=["sms"], version=2)
        await publish(rabbit_url, topology, later)
        await eventually(lambda: svc.runtime.db["students"].find_one({"_id": ADULT, "version": 2}))
        gateway_sink.set_down(False)
        [doc] = await final_deliveries(svc, 1, {"recipient_id": f"student:{ADULT}"})
        assert doc["status"] == "suppressed"
        assert gateway_sink.messages == []
        assert tap.of_type("notification.sent") == []


async def test_permanent_failure_is_recorded_and_published(notify_settings, rabbit_url, topology, gateway_sink):
    gateway_sink.reject("+6281200000001")
    async with (
        running_service("notifications", notify_settings()) as svc,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        await directory(rabbit_url, topology, svc, both_students()[0])
        cause = e.enrollment_rejected(ADULT)
        await publish(rabbit_url, topology, cause)
        [failed] = await tap.wait_for("notification.failed", timeout=30)
        data = failed["body"]["data"]
        assert data["reason"] == "gateway HTTP 400 invalid_number" and data["attempts"] == 1
        assert data["cause_event_id"] == cause.id and data["cause_type"] == "student.enrollment_rejected"
        assert data["recipient_ref"] == ADULT and data["channel"] == "sms"
        [doc] = await final_deliveries(svc, 1)
        assert doc["status"] == "failed" and doc["last_error"] == "gateway HTTP 400 invalid_number"


async def test_every_student_trigger_sends_its_message(notify_settings, rabbit_url, topology, gateway_sink):
    async with running_service("notifications", notify_settings(NOTIFY_OFFICE_ADDRESS="Jl. Contoh No. 1")) as svc:
        await directory(rabbit_url, topology, svc, both_students()[0])
        await publish(rabbit_url, topology, e.student_recorded(ADULT), e.card_printed(ADULT),
                      e.certificate_issued(ADULT), e.enrollment_rejected(ADULT, "duplicate"))
        texts = [m.body["text"] for m in await gateway_sink.wait_for(4)]
        await final_deliveries(svc, 4)
        assert any("berhasil" in t for t in texts)
        assert any("sudah jadi" in t and "HARI INI" in t for t in texts)
        assert any("Surat Keterangan" in t and "berlaku s.d." in t for t in texts)
        assert any("ganda" in t and "Jl. Contoh No. 1" in t for t in texts)


async def test_reschedule_withdraws_old_reminders_and_tells_everyone(
    notify_settings, rabbit_url, topology, smtp_sink, gateway_sink
):
    first, moved = e.today() + dt.timedelta(days=10), e.today() + dt.timedelta(days=12)
    async with running_service("notifications", notify_settings()) as svc:
        await directory(rabbit_url, topology, svc, *both_students())
        scheduled = e.visit_scheduled("V-3", first)
        await publish(rabbit_url, topology, scheduled)
        await final_deliveries(svc, 5, {"cause_event_id": scheduled.id})
        rescheduled = e.visit_rescheduled("V-3", moved, first)
        await publish(rabbit_url, topology, rescheduled, scheduled)  # a late duplicate of the old one too
        await gateway_sink.wait_for(3)
        await smtp_sink.wait_for(2)
        docs = await final_deliveries(svc, 5 + 4 + 4)
        old = [d for d in docs if d["cause_event_id"] == scheduled.id and d["kind"] != "visit_scheduled"]
        assert {d["status"] for d in old} == {"cancelled"} and len(old) == 4
        new = [d for d in docs if d["cause_event_id"] == rescheduled.id and d["kind"] != "visit_rescheduled"]
        assert {d["status"] for d in new} == {"scheduled"} and len(new) == 4
        assert all(d["about_version"] == 2 for d in new)
        assert all("PINDAH" in m.body["text"] or "MOVED" in m.body["text"] for m in gateway_sink.messages)
        assert smtp_sink.received()[-1].subject.startswith("Perubahan jadwal")

        cancelled = e.visit_cancelled("V-3", moved, version=3)
        await publish(rabbit_url, topology, cancelled)
        await gateway_sink.wait_for(6)
        docs = await final_deliveries(svc, 5 + 4 + 4 + 4)
        assert {d["status"] for d in docs if d["cause_event_id"] == rescheduled.id
                and d["kind"] != "visit_rescheduled"} == {"cancelled"}
        assert sum("DIBATALKAN" in m.body["text"] or "CANCELLED" in m.body["text"]
                   for m in gateway_sink.messages) == 3


async def test_late_contact_gets_the_reminder_of_an_upcoming_visit(
    notify_settings, rabbit_url, topology, gateway_sink
):
    async with running_service("notifications", notify_settings()) as svc:
        await directory(rabbit_url, topology, svc, both_students()[0])
        scheduled = e.visit_scheduled("V-4", e.today() + dt.timedelta(days=1))
        await publish(rabbit_url, topology, scheduled)
        await gateway_sink.wait_for(1)
        await publish(rabbit_url, topology, e.contact_updated("S-LATE", "081200000007", minor=False))
        texts = await gateway_sink.wait_for(2)
        assert texts[-1].body["to"] == "+6281200000007"
        doc = await svc.runtime.db["deliveries"].find_one({"recipient_id": "student:S-LATE"})
        assert doc["cause_event_id"] == scheduled.id and doc["kind"] == "visit_student_reminder"


async def test_deliveries_survive_a_restart(notify_settings, rabbit_url, topology, gateway_sink):
    settings = notify_settings(NOTIFY_LEASE_S=2)  # a claim lost in the shutdown is taken over soon
    gateway_sink.set_down(True)
    async with running_service("notifications", settings) as svc:
        await directory(rabbit_url, topology, svc, *both_students())
        scheduled = e.visit_scheduled("V-5", e.today() + dt.timedelta(days=2))
        await publish(rabbit_url, topology, scheduled)
        await eventually(lambda: svc.runtime.db["deliveries"].count_documents({"attempts": {"$gte": 1}}))
    gateway_sink.set_down(False)
    assert gateway_sink.messages == []
    async with running_service("notifications", settings) as again:
        await gateway_sink.wait_for(3)
        docs = await final_deliveries(again, 5)
        assert Counter(d["status"] for d in docs) == {"sent": 3 + 1, "scheduled": 1}
        assert Counter(m.body["reference"] for m in gateway_sink.messages).most_common(1)[0][1] == 1


async def test_operator_api(notify_settings, rabbit_url, topology, gateway_sink):
    async with running_service("notifications", notify_settings()) as svc:
        await directory(rabbit_url, topology, svc, both_students()[0])
        cause = e.card_printed(ADULT)
        await publish(rabbit_url, topology, cause)
        await gateway_sink.wait_for(1)
        await final_deliveries(svc, 1)
        async with api_client(svc.url) as http:
            by_cause = (await http.get("/deliveries", params={"cause_event_id": cause.id})).json()
            by_recipient = (await http.get("/deliveries", params={"recipient_id": f"student:{ADULT}"})).json()
            assert by_cause == by_recipient and len(by_cause) == 1
            d = by_cause[0]
            assert d["status"] == "sent" and d["address"] == "+62812****0001" and d["segments"] == 1
            assert (await http.get("/deliveries")).status_code == 422
            with_guardians = (await http.get("/deliveries", params={"student_id": ADULT})).json()
            assert [x["delivery_id"] for x in with_guardians] == [d["delivery_id"]]
            assert (await http.get(f"/deliveries/{d['delivery_id']}")).json()["kind"] == "card_printed"
            assert (await http.get("/deliveries/nope")).status_code == 404

            first = await http.post(f"/deliveries/{d['delivery_id']}/resend", headers={"Idempotency-Key": "k-1"})
            again = await http.post(f"/deliveries/{d['delivery_id']}/resend", headers={"Idempotency-Key": "k-1"})
            assert first.status_code == again.status_code == 202
            assert first.json()["delivery_id"] == again.json()["delivery_id"]
            assert first.json()["resend_of"] == d["delivery_id"]
            await gateway_sink.wait_for(2)
            assert gateway_sink.messages[1].body["text"] == gateway_sink.messages[0].body["text"]
            assert (await http.post("/deliveries/nope/resend")).status_code == 404

            body = {"kind": "visit_student_reminder", "channel": "sms", "language": "id", "recipient_kind": "guardian",
                    "view": {"visit_id": "V", "school_id": "1", "school_name": "SMAN 99 Contoh",
                             "visit_date": "2026-12-10"}}
            preview = (await http.post("/templates/preview", json=body)).json()
            assert preview["body"].startswith("Yth. Ortu/wali") and preview["segments"]["segments"] == 1
            bad = await http.post("/templates/preview", json={**body, "view": {"visit_id": "V"}})
            assert bad.status_code == 422
            assert ["view", "school_name"] in [item["loc"] for item in bad.json()["detail"]]
            wrong = await http.post("/templates/preview", json={**body, "kind": "stock_low"})
            assert wrong.status_code == 422
            assert len((await http.get("/templates")).json()) == 10
            paths = (await http.get("/openapi.json")).json()["paths"]
            assert {"/deliveries", "/deliveries/{delivery_id}/resend", "/templates/preview"} <= set(paths)
            stats = (await http.get("/deliveries/stats")).json()
            assert stats["sent"] >= 1


async def test_per_recipient_rate_limit_holds_the_excess(notify_settings, rabbit_url, topology, gateway_sink):
    async with running_service("notifications", notify_settings(NOTIFY_RATE_LIMIT=2)) as svc:
        await directory(rabbit_url, topology, svc, both_students()[0])
        await publish(rabbit_url, topology, e.student_recorded(ADULT), e.card_printed(ADULT),
                      e.certificate_issued(ADULT))
        await gateway_sink.wait_for(2)

        async def held():
            return await svc.runtime.db["deliveries"].find_one({"held": "rate_limit"})

        doc = await eventually(held)
        assert doc["status"] == "scheduled" and doc["attempts"] == 0
        wait = doc["next_attempt_at"] - e.now()
        assert dt.timedelta(minutes=55) < wait <= dt.timedelta(hours=1)  # the default window is an hour
        assert len(gateway_sink.messages) == 2


async def test_cli_lists_resends_and_previews(notify_settings, rabbit_url, topology, gateway_sink, tmp_path,
                                              monkeypatch):
    import asyncio
    import json

    from typer.testing import CliRunner

    from shared.cli import cli

    async with running_service("notifications", notify_settings()) as svc:
        await directory(rabbit_url, topology, svc, both_students()[0])
        cause = e.card_printed(ADULT)
        await publish(rabbit_url, topology, cause)
        [doc] = await final_deliveries(svc, 1)
        monkeypatch.setenv("JEMPUT_NOTIFICATIONS_URL", svc.url)
        monkeypatch.setenv("JEMPUT_TOKEN", cli_token("operator"))
        monkeypatch.setenv("COLUMNS", "200")
        runner = CliRunner()

        def run(*args):
            return asyncio.to_thread(runner.invoke, cli, list(args))

        listed = await run("notify", "deliveries", "--cause", cause.id, "--json")
        assert listed.exit_code == 0, listed.output
        assert [d["delivery_id"] for d in json.loads(listed.output)] == [doc["_id"]]
        table = await run("notify", "deliveries", "--student", ADULT)
        assert "card_printed" in table.output and "sent" in table.output

        resent = await run("notify", "resend", doc["_id"], "--key", "cli-1")
        assert resent.exit_code == 0 and "resend scheduled" in resent.output
        await gateway_sink.wait_for(2)

        view = tmp_path / "view.json"
        view.write_text(json.dumps({"student_id": "S", "school_name": "SMAN 99 Contoh", "issued_on": "2026-12-10",
                                    "valid_until": "2027-06-10"}))
        shown = await run("notify", "preview", "certificate_issued", "--view", str(view), "--language", "en")
        assert shown.exit_code == 0, shown.output
        assert "valid until 10 June 2027" in shown.output and "SMS segment(s)" in shown.output

        missing = await run("notify", "resend", "no-such-delivery")
        assert missing.exit_code == 1 and "404" in missing.output
        assert (await run("notify", "deliveries")).exit_code != 0


async def test_two_replicas_send_each_message_once(notify_settings, rabbit_url, topology, gateway_sink):
    settings = notify_settings()
    students = [e.contact_updated(f"S-R{i}", f"0812000001{i:02d}", minor=i % 2 == 0,
                                  guardian_phone=f"0812000002{i:02d}") for i in range(8)]
    async with running_service("notifications", settings) as one, running_service("notifications", settings):
        await directory(rabbit_url, topology, one, *students)
        events = [e.card_printed(f"S-R{i}") for i in range(8)]
        await publish(rabbit_url, topology, *events, *events)  # and every event twice
        expected = 8 + 4  # every student, and the guardians of the four minors
        await gateway_sink.wait_for(expected)
        await final_deliveries(one, expected)
        refs = Counter(m.body["reference"] for m in gateway_sink.messages)
        assert len(refs) == expected and set(refs.values()) == {1}
        assert gateway_sink.stats()["duplicates"] == 0


async def test_a_crashed_dispatchers_claim_is_taken_over(notify_settings, rabbit_url, topology, gateway_sink):
    async with running_service("notifications", notify_settings()) as svc:
        await directory(rabbit_url, topology, svc, both_students()[0])
        gateway_sink.set_down(True)
        await publish(rabbit_url, topology, e.student_recorded(ADULT))
        coll = svc.runtime.db["deliveries"]
        doc = await eventually(lambda: coll.find_one({"attempts": {"$gte": 1}}))
        # as a replica that died holding the claim would leave it
        await coll.update_one({"_id": doc["_id"]}, {"$set": {"status": "sending", "lease_until": e.now()},
                                                     "$inc": {"version": 1}})
        gateway_sink.set_down(False)
        [done] = await final_deliveries(svc, 1)
        assert done["status"] == "sent"
        assert [m.body["reference"] for m in gateway_sink.messages] == [doc["_id"]]


async def test_a_new_phone_number_is_used_for_a_message_still_waiting(
    notify_settings, rabbit_url, topology, gateway_sink
):
    async with running_service("notifications", notify_settings()) as svc:
        await directory(rabbit_url, topology, svc, both_students()[0])
        gateway_sink.set_down(True)
        await publish(rabbit_url, topology, e.card_printed(ADULT))
        await eventually(lambda: svc.runtime.db["deliveries"].find_one({"attempts": {"$gte": 1}}))
        await publish(rabbit_url, topology, e.contact_updated(ADULT, "081200000077", minor=False, language="en",
                                                              version=2))
        await eventually(lambda: svc.runtime.db["students"].find_one({"_id": ADULT, "version": 2}))
        gateway_sink.set_down(False)
        [got] = await gateway_sink.wait_for(1)
        assert got.body["to"] == "+6281200000077" and "TODAY" in got.body["text"]


async def test_a_school_contact_arriving_after_the_booking_still_hears_of_it(
    notify_settings, rabbit_url, topology, smtp_sink
):
    async with running_service("notifications", notify_settings()) as svc:
        scheduled = e.visit_scheduled("V-6", e.today() + dt.timedelta(days=5))
        await publish(rabbit_url, topology, scheduled)
        await eventually(lambda: svc.runtime.db["visits"].find_one({"_id": "V-6"}))
        await publish(rabbit_url, topology, e.school_registered(), e.school_registered())
        [mail] = await smtp_sink.wait_for(1)
        assert mail.subject.startswith("Jadwal perekaman KTP-el di SMAN 99 Contoh")
        docs = await final_deliveries(svc, 2)
        assert {(d["kind"], d["status"], d["cause_event_id"]) for d in docs} == {
            ("visit_scheduled", "sent", scheduled.id), ("visit_reminder", "scheduled", scheduled.id)}
        updated = e.school_registered(email="kepsek@sman99.example.sch.id", version=2)
        await publish(rabbit_url, topology, updated)
        await eventually(lambda: svc.runtime.db["schools"].find_one({"version": 2}))
        await final_deliveries(svc, 2)
        assert len(smtp_sink.received()) == 1  # a new address does not repeat the notice


async def test_a_message_that_cannot_be_rendered_fails_at_once(notify_settings, rabbit_url, topology):
    from services.notifications.adapters.repository import DeliveryRepository
    from services.notifications.domain.contacts import Recipient, RecipientKind
    from services.notifications.domain.delivery import Delivery
    from services.notifications.domain.language import Channel
    from services.notifications.domain.messages import MessageKind
    from services.notifications.domain.planning import PlannedMessage
    from services.notifications.domain.views import StockLowView

    async with (
        running_service("notifications", notify_settings()) as svc,
        EventTap(rabbit_url, topology.exchange_name("events")) as tap,
    ):
        view = StockLowView(unit_id="U1", unit_name="Unit 1", remaining=1, threshold=5, as_of=e.now())
        plan = PlannedMessage(
            cause_event_id="00000000-0000-4000-8000-000000000001", kind=MessageKind.STOCK_LOW, view=view,
            recipient=Recipient(recipient_id="operations:ops@dukcapil.example.go.id", kind=RecipientKind.OPERATIONS,
                                channel=Channel.EMAIL, address="ops@dukcapil.example.go.id"),
            due_at=e.now(), about="unit:U1")
        broken = Delivery.from_plan(plan, e.now(), cause_type="stock.low").model_copy(
            update={"view": {"unit_id": "U1"}})  # a stored view the template cannot use
        assert await DeliveryRepository(svc.runtime.db).insert_one(broken)
        svc.runtime.state["dispatcher_wakeup"].set()
        [failed] = await tap.wait_for("notification.failed", timeout=30)
        assert failed["body"]["data"]["reason"] == "cannot render: ValidationError"
        [doc] = await final_deliveries(svc, 1)
        assert doc["status"] == "failed" and doc["attempts"] == 1


async def test_deliveries_of_a_student_include_the_guardians(notify_settings, rabbit_url, topology, gateway_sink):
    async with running_service("notifications", notify_settings()) as svc:
        other = e.contact_updated(f"{MINOR}0", "081200000010", minor=False)  # an id that starts the same
        await directory(rabbit_url, topology, svc, both_students()[1], other)
        await publish(rabbit_url, topology, e.card_printed(MINOR), e.card_printed(f"{MINOR}0"))
        await final_deliveries(svc, 3)
        async with api_client(svc.url) as http:
            rows = (await http.get("/deliveries", params={"student_id": MINOR})).json()
        assert sorted(r["recipient_id"] for r in rows) == [f"guardian:{MINOR}:guardian", f"student:{MINOR}"]
