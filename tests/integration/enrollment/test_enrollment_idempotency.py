"""Idempotency-Key on the desk's write requests, against the real broker, database and registry
simulator: a request whose answer was lost is sent again and gets its first answer, changing
nothing twice; the same key with another request is refused; without a key nothing changes."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from datetime import date
from types import SimpleNamespace

import httpx
from pymongo import AsyncMongoClient

from enrollment_it import (
    CONSENT,
    TEST_KEY,
    VISIT_ID,
    announce_schools_and_visit,
    capture_body,
    eventually,
    import_roster,
    ready_for_capture,
    roster_csv,
    student_id_of,
)
from enrollment_synthetic import row
from services.enrollment.desk import DeskError
from services.enrollment.desk_idempotency import DeskRequest, Replayed
from services.enrollment.desk_requests import Approval
from services.enrollment.runtime_state import state_of
from shared.testing import EventTap, api_client, running_service, service_processes

# today is 2026-07-15 in these tests
MINOR = row(n=1, birth=date(2009, 5, 12), serial=1)  # 17: a guardian's consent first
ADULT = row(n=3, birth=date(2007, 1, 9), serial=3)


def key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": f"desk-7:{name}"}


def excepted_capture() -> dict:
    """A capture with one finger missing (amputation): it waits for a supervisor's approval."""
    body = capture_body()
    body["biometrics"]["fingerprints"] = [
        f for f in body["biometrics"]["fingerprints"] if f["position"] != "left_index"]
    body["biometrics"]["exceptions"] = [{"modality": "fingerprint:left_index", "reason": "amputation"}]
    return body


@contextlib.asynccontextmanager
async def enrollment_desk(enrollment_settings, rabbit_url: str, topology, rows: list[dict]) -> AsyncIterator[tuple]:
    """The enrollment service with the schools, the visit and a roster of ``rows``; its
    restricted events are taken by a tap (printing's stand-in). Yields the service and a client."""
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")),
        api_client(service.url, timeout=30) as http,
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        await import_roster(http, roster_csv(rows))
        yield service, http


async def student_doc(db, student: str) -> dict:
    return await db["students"].find_one({"_id": student})


async def outbox_empty(db, student: str) -> bool:
    return not (await student_doc(db, student)).get("outbox")


# --- the answer lost when enrollment is killed ---------------------------------------------------
@contextlib.asynccontextmanager
async def answer_lost(upstream: str, when_answered: Callable[[], None]) -> AsyncIterator[str]:
    """A TCP proxy in front of the service: it passes each request on and, once the service has
    acted and its answer starts to come back, calls ``when_answered`` (kills the service) and
    closes the desk's connection without the answer."""
    host, port = upstream.removeprefix("http://").split(":")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))

        async def forward() -> None:
            while data := await reader.read(1 << 16):
                up_writer.write(data)
                await up_writer.drain()

        pump = asyncio.create_task(forward())
        await up_reader.read(1)  # the answer begins: the request has been acted on
        when_answered()
        pump.cancel()
        for w in (up_writer, writer):
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_a_capture_whose_answer_died_with_the_service_is_answered_again_after_a_restart(
        env_for, simulator, mongo_url, rabbit_url, topology):
    env = env_for("enrollment", JEMPUT_REGISTRY_URL=simulator.url, JEMPUT_BIOMETRIC_KEYS=TEST_KEY,
                  JEMPUT_TODAY="2026-07-15", JEMPUT_SUPERVISORS="sup-1", JEMPUT_SUBMIT_SWEEP_S="0.2")
    client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    db = client[env["JEMPUT_DATABASE"]]
    body = capture_body()
    try:
        async with service_processes({"enrollment": env}) as procs:  # declares the exchanges
            pass
        async with EventTap(rabbit_url, topology.exchange_name("events")) as public:
            async with service_processes({"enrollment": env}) as procs:
                process = procs["enrollment"].process
                async with api_client(procs["enrollment"].url, timeout=30) as http:
                    await _visit_and_schools(rabbit_url, topology, db)
                    await import_roster(http, roster_csv([MINOR]))
                    student = await ready_for_capture(http, MINOR["nisn"])
                async with (answer_lost(procs["enrollment"].url, lambda: process.send_signal(signal.SIGKILL))
                            as proxy, api_client(proxy, timeout=30) as desk):
                    try:
                        await desk.post(f"/students/{student}/capture", json=body, headers=key("capture-1"))
                        raise AssertionError("the answer was not lost")
                    except httpx.TransportError:
                        pass  # the desk never got the answer
                await asyncio.to_thread(process.wait, 30)
                assert process.returncode == -signal.SIGKILL
            written = await student_doc(db, student)
            assert written["recording"]["number"] == 1
            version = written["version"]

            async with service_processes({"enrollment": env}) as procs, \
                    api_client(procs["enrollment"].url, timeout=30) as desk:
                again = await desk.post(f"/students/{student}/capture", json=body, headers=key("capture-1"))
                assert again.status_code == 200, again.text
                assert again.headers["Idempotency-Replayed"] == "true"
                answer = again.json()
                assert (answer["student_id"], answer["recording_status"], answer["version"]) == (
                    student, "captured", version)
                await public.wait_for("student.print_ready")  # the record goes on its way meanwhile
                once_more = await desk.post(f"/students/{student}/capture", json=body, headers=key("capture-1"))
                assert (once_more.status_code, once_more.json()) == (200, answer)  # the first answer, still

                other = await desk.post(f"/students/{student}/capture", json={**body, "operator_id": "op-2"},
                                        headers=key("capture-1"))
                assert other.status_code == 422
                assert "Idempotency-Key 'desk-7:capture-1' was already used for a different request" in \
                    other.json()["detail"]["message"]
                unkeyed = await desk.post(f"/students/{student}/capture", json=body)
                assert unkeyed.status_code == 409  # without a key: a new capture, refused as before
                await eventually(lambda: outbox_empty(db, student))
            doc = await student_doc(db, student)
            assert doc["recording"]["number"] == 1 and doc["recording"]["status"] == "print_ready"
            assert len(public.of_type("student.recorded")) == 1  # recorded once, published once
    finally:
        await client.close()


async def _visit_and_schools(rabbit_url, topology, db) -> None:
    """What scheduling would publish; the service runs as a process here, so its arrival is
    seen in the service's database directly."""
    await announce_schools_and_visit(rabbit_url, topology, SimpleNamespace(runtime=SimpleNamespace(db=db)))


# --- every desk write, kept and answered again ---------------------------------------------------
async def test_each_desk_write_sent_again_gets_its_first_answer_and_changes_nothing_twice(
        enrollment_settings, rabbit_url, topology):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("events")) as public,
        EventTap(rabbit_url, topology.exchange_name("restricted")),  # notifications' stand-in
        api_client(service.url, timeout=30) as http,
    ):
        db = service.runtime.db
        await announce_schools_and_visit(rabbit_url, topology, service)
        await import_roster(http, roster_csv([MINOR, ADULT]))
        minor, adult = [await student_id_of(http, r["nisn"]) for r in (MINOR, ADULT)]

        async def twice(path: str, body: dict, name: str, status: int = 200) -> dict:
            first = await http.post(path, json=body, headers=key(name))
            assert first.status_code == status, first.text
            assert "Idempotency-Replayed" not in first.headers
            before = await student_doc(db, path.split("/")[2])
            again = await http.post(path, json=body, headers=key(name))
            assert (again.status_code, again.json()) == (status, first.json())
            assert again.headers["Idempotency-Replayed"] == "true"
            after = await student_doc(db, path.split("/")[2])
            # nothing written the second time (the registry worker may write meanwhile, the desk not)
            assert after["desk_requests"] == before["desk_requests"]
            assert [k["key"] for k in after["desk_requests"]].count(key(name)["Idempotency-Key"]) == 1
            return first.json()

        checked_in = await twice(f"/students/{minor}/check-ins", {"visit_id": VISIT_ID, "operator_id": "op-1"},
                                 "check-in")
        assert checked_in["checked_in_at"] == [VISIT_ID]
        assert checked_in == (await http.get(f"/students/{minor}")).json()  # the answer a read gives

        consent = await twice(f"/students/{minor}/consents", CONSENT, "consent", status=201)
        withdrawn = await twice(f"/students/{minor}/consents/{consent['consent_id']}/withdrawal",
                                {"operator_id": "op-1", "reason": "guardian asked"}, "withdrawal")
        assert withdrawn["consent_id"] == consent["consent_id"] and withdrawn["withdrawn_at"]
        again = await twice(f"/students/{minor}/consents", CONSENT, "consent-2", status=201)
        assert again["consent_id"] != consent["consent_id"]  # a new key: a new consent
        assert len((await student_doc(db, minor))["consents"]) == 2

        corrected = await twice(f"/students/{minor}/corrections", {
            "field": "phone", "value": "0857 1111 2222", "operator_id": "op-1", "reason": "a new number"},
            "correction")
        assert [c["new"] for c in corrected["corrections"]] == ["+6285711112222"]
        assert corrected == (await http.get(f"/students/{minor}")).json()  # datetimes as a read shows them

        captured = await twice(f"/students/{minor}/capture", capture_body(), "capture")
        assert captured["recording_status"] == "captured"

        await ready_for_capture(http, ADULT["nisn"], consent=False)
        await twice(f"/students/{adult}/capture", excepted_capture(), "capture-excepted")
        approved = await twice(f"/students/{adult}/exceptions/approval", {"supervisor_id": "sup-1"}, "approval")
        assert approved["exceptions_approved_by"] == "sup-1"
        await public.wait_for("student.print_ready", count=2)
        later = await http.post(f"/students/{adult}/exceptions/approval", json={"supervisor_id": "sup-1"},
                                headers=key("approval"))
        assert later.json() == approved  # the first answer, though the record has moved on
        assert (await http.get(f"/students/{adult}")).json()["recording_status"] == "print_ready"

        await eventually(lambda: outbox_empty(db, minor))
        await eventually(lambda: outbox_empty(db, adult))
        assert sorted(m["body"]["data"]["student_id"] for m in public.of_type("student.recorded")) == sorted(
            [minor, adult])  # one each
        actions = [r["action"] async for r in db["audit"].find({}, sort=[("_id", 1)])]
        assert actions == ["consent.recorded", "consent.withdrawn", "consent.recorded", "biodata.corrected",
                           "exceptions.approved"]  # each audited once


async def test_a_key_belongs_to_one_request_and_a_refusal_keeps_no_key(enrollment_settings, rabbit_url,
                                                                        topology):
    async with enrollment_desk(enrollment_settings, rabbit_url, topology, [MINOR]) as (service, http):
        student = await student_id_of(http, MINOR["nisn"])
        capture = f"/students/{student}/capture"

        # refused (not checked in, then no consent): nothing kept, the same request later succeeds
        refused = await http.post(capture, json=capture_body(), headers=key("k-1"))
        assert refused.status_code == 409 and "has not checked in" in refused.json()["detail"]["message"]
        await http.post(f"/students/{student}/check-ins", json={"visit_id": VISIT_ID, "operator_id": "op-1"})
        refused = await http.post(capture, json=capture_body(), headers=key("k-1"))
        assert refused.status_code == 409 and "consent" in refused.json()["detail"]["message"]
        assert not (await student_doc(service.runtime.db, student)).get("desk_requests")
        assert (await http.post(f"/students/{student}/consents", json=CONSENT,
                                headers=key("k-0"))).status_code == 201
        taken = await http.post(capture, json=capture_body(), headers=key("k-1"))
        assert taken.status_code == 200 and "Idempotency-Replayed" not in taken.headers

        # the same key on another operation, another body, another consent to withdraw
        for path, body in ((f"/students/{student}/consents", CONSENT),
                           (capture, {**capture_body(), "operator_id": "op-2"}),
                           (f"/students/{student}/exceptions/approval", {"supervisor_id": "sup-1"})):
            reused = await http.post(path, json=body, headers=key("k-1"))
            assert reused.status_code == 422, reused.text
            assert "Idempotency-Key" in reused.json()["detail"]["message"]
        assert len((await student_doc(service.runtime.db, student))["consents"]) == 1

        # a key that is not a key: refused by name, before anything is read
        for bad in ("", "with space", "x" * 129):
            answer = await http.post(f"/students/{student}/consents", json=CONSENT,
                                     headers={"Idempotency-Key": bad})
            assert answer.status_code == 422
            assert answer.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
        assert (await http.post("/students/ST-nobody/capture", json=capture_body(),
                                headers=key("k-9"))).status_code == 404


async def test_the_same_request_sent_twice_at_once_is_written_once(enrollment_settings, rabbit_url, topology):
    async with enrollment_desk(enrollment_settings, rabbit_url, topology, [MINOR, ADULT]) as (service, http):
        db = service.runtime.db
        student = await ready_for_capture(http, MINOR["nisn"], consent=False)
        both = await asyncio.gather(*(http.post(f"/students/{student}/consents", json=CONSENT,
                                                headers=key("consent")) for _ in range(2)))
        assert [r.status_code for r in both] == [201, 201] and both[0].json() == both[1].json()
        assert len((await student_doc(db, student))["consents"]) == 1

        # the race itself, step by step: the twin has written while this one held the old student
        adult = await ready_for_capture(http, ADULT["nisn"], consent=False)
        assert (await http.post(f"/students/{adult}/capture", json=excepted_capture())).status_code == 200
        desk = state_of(service.runtime).desk
        held = await desk._student(adult)  # noqa: SLF001 - the student as both requests read it
        body = Approval(supervisor_id="sup-1")
        approved = await http.post(f"/students/{adult}/exceptions/approval", json=body.model_dump(),
                                   headers=key("approval"))
        update = {"$set": {"recording.submittable": True}}

        def request(key_name: str, who: str = "sup-1") -> DeskRequest | None:
            return DeskRequest.of(key_name, "exceptions-approval", adult, Approval(supervisor_id=who),
                                  lambda doc: {"never": "kept"})

        try:
            await desk._write(held, update, request=request(key("approval")["Idempotency-Key"]))  # noqa: SLF001
            raise AssertionError("a stale write went through")
        except Replayed as replayed:
            assert (replayed.status, replayed.body) == (200, approved.json())
        for stale in (request(key("approval")["Idempotency-Key"], "sup-2"), None, request("desk-7:new")):
            try:
                await desk._write(held, update, request=stale)  # noqa: SLF001
                raise AssertionError("a stale write went through")
            except DeskError as error:
                assert (error.status, "Idempotency-Key" in str(error)) == (
                    (422, True) if stale and stale.key == key("approval")["Idempotency-Key"] else (409, False))
        kept = [k["key"] for k in (await student_doc(db, adult))["desk_requests"]]
        assert kept == [key("approval")["Idempotency-Key"]]  # the one approval, written once


async def test_a_student_keeps_only_its_last_keys(enrollment_settings, rabbit_url, topology):
    from services.enrollment.desk_idempotency import KEPT

    async with enrollment_desk(enrollment_settings, rabbit_url, topology, [MINOR]) as (service, http):
        student = await student_id_of(http, MINOR["nisn"])
        for i in range(KEPT + 2):
            answer = await http.post(f"/students/{student}/corrections", json={
                "field": "class_name", "value": f"XII IPA {i}", "operator_id": "op-1", "reason": "kelas"},
                headers=key(f"c-{i}"))
            assert answer.status_code == 200
        kept = (await student_doc(service.runtime.db, student))["desk_requests"]
        assert [k["key"] for k in kept] == [f"desk-7:c-{i}" for i in range(2, KEPT + 2)]

