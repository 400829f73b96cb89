"""A reduced Kabupaten Tangerang programme (5 schools, 300 students) through every service,
as processes, on the real broker and database, with the central-registry simulator and the
local SMTP server and SMS gateway: the demo's runner, checked from the outside."""

from __future__ import annotations

import datetime as dt
from collections import Counter


from programme.crosscheck import dashboard_disagreements
from programme.leaks import LeakScanner
from programme.runner import Options, Runner
from programme.stack import RegistryBehaviour, Stack, running_stack
from programme.synthetic import generate
from shared.auth import Role
from shared.testing import EventTap, get_messages


def distinct(tap: EventTap, key: str) -> list[dict]:
    """Public events of one kind, each once (delivery is at least once: dedupe by event id)."""
    seen = {}
    for m in tap.of_type(key):
        seen[m["body"]["id"]] = m["body"]
    return list(seen.values())


async def test_a_reduced_programme_end_to_end(env_for, rabbit_url, topology, tmp_path) -> None:
    programme = generate(schools=5, students=300, seed=7)
    eve = programme.start - dt.timedelta(days=1)
    # notifications on the demo's clock too: visit notices and reminders fall due as the days pass
    stack = Stack(base_env=env_for, workdir=tmp_path, today={"scheduling": eve, "enrollment": eve, "notifications": eve},
                  catch_up_threshold=3,  # a catch-up visit even for a few absentees
                  registry=RegistryBehaviour(latency_s=0.05, jitter_s=0.2, duplicate_rate=0.06, failed_rate=0.02,
                                             seed=7))
    async with running_stack(stack), EventTap(rabbit_url, topology.exchange_name("events")) as tap:
        runner = Runner(stack, programme, tap, seed=7, options=Options(absent_share=0.12, poor_capture_share=0.3))
        outcome = await runner.run()
        facts = runner.state.facts
        report = outcome.report

        # the report: every category sums, and the run did what a programme does
        assert report.ok, [s for s, holds in report.checks if not holds]
        t = report.totals
        assert t.roster_total == 300 and t.target == len(facts) > 100
        assert t.recorded > 0.8 * t.target and t.absent > 0 and t.certificates > 0
        assert any(d["catch_up_visits"] for d in outcome.days), "absentees get a catch-up visit"
        assert sum(d["retaken"] for d in outcome.days) > 0 and sum(d["exceptions"] for d in outcome.days) > 0
        assert outcome.registry["outcomes"].get("duplicate", 0) > 0
        assert report.disagreements == [], report.disagreements
        async with stack.client("dashboard", Role.OPERATOR, timeout=10) as dashboard:  # public events only
            assert await dashboard_disagreements(dashboard, report) == []

        # every eligible present student: exactly one printed card, or one certificate
        printed = Counter(e["data"]["student_id"] for e in distinct(tap, "card.printed") if not e["data"]["reprint"])
        certificates = Counter(e["data"]["student_id"] for e in distinct(tap, "certificate.issued"))
        eligible = [sid for sid, f in facts.items() if f.card_requested]
        assert eligible and all(facts[sid].present and facts[sid].answer == "print_ready" for sid in eligible)
        for sid in eligible:
            assert printed[sid] == 1 or (printed[sid] == 0 and certificates[sid] == 1), (sid, printed[sid],
                                                                                          certificates[sid])
            assert certificates[sid] <= 1
        assert set(printed) <= set(eligible) and set(certificates) <= set(eligible)
        not_eligible = [sid for sid, f in facts.items() if not f.card_requested]
        assert not any(printed[sid] or certificates[sid] for sid in not_eligible)
        assert all(c <= 1 for c in Counter(e["data"]["job_id"] for e in distinct(tap, "card.handed_over")).values())

        # every notification exactly once, as the local SMTP server and SMS gateway received them
        references = [m.headers["X-Jemput-Delivery"] for m in stack.smtp.received()]
        references += [m.body["reference"] for m in stack.gateway.messages]
        assert len(references) == len(set(references)) > 0
        async with stack.client("notifications", timeout=30) as http:
            deliveries = [(await http.get(f"/deliveries/{ref}")).json() for ref in references]
        keys = Counter((d["cause_event_id"], d["recipient_id"], d["channel"])
                       + ((d["kind"],) if d["recipient_kind"] == "school" else ()) for d in deliveries)
        assert [k for k, n in keys.items() if n > 1] == []
        to_students = Counter(d["cause_event_id"] for d in deliveries
                              if d["cause_type"] == "card.printed" and d["recipient_kind"] == "student")
        assert set(to_students) == {e["id"] for e in distinct(tap, "card.printed")}
        assert set(to_students.values()) == {1}  # one "your card is ready" per printed card
        kinds = Counter(d["kind"] for d in deliveries)
        # schools told of their visit and reminded the day before; students (and the guardians of
        # minors) reminded three days before
        assert kinds["visit_scheduled"] >= 5 and kinds["visit_reminder"] >= 5, kinds
        assert kinds["visit_student_reminder"] > t.target, kinds
        assert outcome.notifications["sent_twice"] == 0

    # nothing dead-lettered, and nothing personal in the logs, the public events or the DLQs
    dead = {topology.dlq_name(name): await get_messages(rabbit_url, topology.dlq_name(name))
            for name in topology.all_queues()}
    scanner = LeakScanner(names=[n for s in programme.students for n in (s.name, s.guardian_name)],
                          phones=[p for s in programme.students for p in (s.phone, s.guardian_phone)])
    leaks = scanner.files(tmp_path / "logs") + scanner.messages("jemput.events", [m["body"] for m in tap.received])
    for dlq, messages in dead.items():  # bodies as they arrived, and the reasons consumers wrote
        leaks += scanner.messages(dlq, [m.body for m in messages])
        leaks += scanner.messages(f"{dlq} headers", [dict(m.headers or {}) for m in messages])
    assert [str(leak) for leak in leaks] == []
    assert len(list((tmp_path / "logs").rglob("*.log"))) >= 4 and len(tap.received) > 300  # it did scan a run
    assert {dlq: len(messages) for dlq, messages in dead.items() if messages} == {}
