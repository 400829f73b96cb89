"""Roster import over HTTP against the real broker, database and registry simulator."""

import csv
import io


import enrollment_hostile as hostile
from enrollment_it import announce_schools_and_visit, eventually, import_roster
from enrollment_synthetic import HOME_SCHOOL, OTHER_SCHOOL
from shared.testing import EventTap, api_client, running_service


def hostile_csv() -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=";").writerows(hostile.lines_in_order())
    return b"\xef\xbb\xbf" + text.getvalue().encode()


def elsewhere_csv() -> bytes:
    """A one-row roster of the other school holding the NIK the hostile roster repeats."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(hostile.HEADER)
    row = hostile._row(26, hostile.date(2008, 6, 6), serial=78, npsn=OTHER_SCHOOL,
                       nisn="0000009999")
    writer.writerow(row)
    return text.getvalue().encode()


async def test_hostile_roster_over_http_publishes_counts_and_contacts(
        enrollment_settings, simulator, rabbit_url, topology):
    simulator.state.recorded.add(hostile.RECORDED_NIK)
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("events")) as public,
        EventTap(rabbit_url, topology.exchange_name("restricted")) as restricted,
        api_client(service.url, timeout=30) as http,
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        other = await import_roster(http, elsewhere_csv(), "other.csv")
        assert other["schools"][OTHER_SCHOOL]["ready_to_record"] == 1

        report = await import_roster(http, hostile_csv(), "hostile.csv")
        school = report["schools"][HOME_SCHOOL]
        counts = hostile.expected_counts()
        assert (school["already_recorded"], school["not_yet_eligible"]) == (1, 2)
        assert school["ready_to_record"] == counts["ready_to_record"]
        assert report["total"] == len(hostile.ROWS) and report["sums_to_total"]
        reasons = {r["row"]: [(i["field"], i["reason"]) for i in r["reasons"]]
                   for s in report["schools"].values() for r in s["invalid_rows"]}
        expected = {n: [(f, r) for sev, f, r in issues if sev == "error"]
                    for n, _, c, issues in hostile.ROWS if c == "invalid"}
        assert reasons == expected

        verified_all = await public.wait_for("roster.verified", count=2)
        [verified] = [m for m in verified_all if m["body"]["data"]["npsn"] == HOME_SCHOOL]
        # the unknown school's row stays in the report, no event for a school nobody knows
        assert "99999999" in report["schools"]
        assert {m["body"]["data"]["npsn"] for m in verified_all} == {HOME_SCHOOL, OTHER_SCHOOL}
        data = verified["body"]["data"]
        assert data["roster_id"] == report["roster_id"]
        assert data["total"] == school["total"] and data["invalid"] == school["invalid"]
        assert all(hostile.RECORDED_NIK not in str(m["body"]) for m in public.received)

        stored = len([n for n, _, c, _ in hostile.ROWS if c != "invalid"]) + 1  # + other school
        contacts = await restricted.wait_for("student.contact_updated", count=stored)
        assert len({m["body"]["subject"] for m in contacts}) == stored
        assert await service.runtime.db["students"].count_documents({}) == stored

        # the same file again: nothing changes, nothing is duplicated, nothing is re-sent
        again = await import_roster(http, hostile_csv(), "hostile.csv")
        assert again["schools"][HOME_SCHOOL]["ready_to_record"] == school["ready_to_record"]
        assert await service.runtime.db["students"].count_documents({}) == stored

        # a corrected file: one phone changed -> that student updated, one contact event
        lines = hostile.lines_in_order()
        phone_col = hostile.FIELDS.index("phone")
        lines[1][phone_col] = "0813-9999-0000"
        text = io.StringIO()
        csv.writer(text).writerows(lines)
        await import_roster(http, text.getvalue().encode(), "hostile-corrected.csv")
        assert await service.runtime.db["students"].count_documents({}) == stored
        await eventually(lambda: _count(restricted, "student.contact_updated", stored + 1))
        assert len(restricted.of_type("student.contact_updated")) == stored + 1
        changed = restricted.of_type("student.contact_updated")[-1]["body"]["data"]
        assert changed["phone"] == "+6281399990000" and changed["version"] == 2

        stored_report = (await http.get(f"/rosters/{report['roster_id']}")).json()
        assert stored_report["schools"][HOME_SCHOOL]["total"] == school["total"]


async def _count(tap, key, n):
    return len(tap.of_type(key)) >= n


async def test_streamed_import_reports_progress_then_the_report(enrollment_settings, rabbit_url,
                                                                topology):
    async with (
        running_service("enrollment", enrollment_settings(JEMPUT_IMPORT_BATCH=5)) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")),  # notifications' stand-in
        api_client(service.url, timeout=30) as http,
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        response = await http.post("/rosters", params={"stream": "true"},
                                   files={"file": ("h.csv", hostile_csv(), "text/csv")})
        assert response.status_code == 200
        lines = [__import__("json").loads(line) for line in response.text.splitlines()]
        progress = [line for line in lines if "rows" in line]
        assert [p["rows"] for p in progress] == sorted(p["rows"] for p in progress)
        assert progress[-1]["rows"] == len(hostile.ROWS)
        assert lines[-1]["report"]["total"] == len(hostile.ROWS)


async def test_a_file_without_the_required_columns_is_refused_by_name(enrollment_settings):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        api_client(service.url) as http,
    ):
        response = await http.post("/rosters", files={"file": ("x.csv", b"nama;kelas\nA;B\n")})
        assert response.status_code == 422
        assert "x.csv: required columns missing: nisn, nik, birth_date, sex, npsn" in \
            response.json()["detail"]["message"]
        streamed = await http.post("/rosters", params={"stream": "true"},
                                   files={"file": ("x.csv", b"nama;kelas\nA;B\n")})
        assert "required columns missing" in streamed.json()["error"]


async def test_registry_down_during_import_is_a_clear_503(enrollment_settings, simulator,
                                                          rabbit_url, topology):
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")),  # notifications' stand-in
        api_client(service.url, timeout=30) as http,
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        simulator.state.up = False
        response = await http.post("/rosters", files={"file": ("h.csv", hostile_csv())})
        assert response.status_code == 503
        assert "central registry did not answer" in response.json()["detail"]["message"]
        simulator.state.up = True
        report = await import_roster(http, hostile_csv(), "h.csv")
        assert report["total"] == len(hostile.ROWS) and report["sums_to_total"]


async def test_a_corrected_nik_supersedes_the_old_record_instead_of_duplicating_it(
        enrollment_settings, rabbit_url, topology):
    from enrollment_it import roster_csv, student_id_of
    from enrollment_synthetic import nik, row

    first = row(n=7, birth=hostile.date(2009, 3, 3), serial=70)
    corrected = {**first, "nik": nik(hostile.date(2009, 3, 3), serial=71)}
    async with (
        running_service("enrollment", enrollment_settings()) as service,
        EventTap(rabbit_url, topology.exchange_name("restricted")),  # notifications' stand-in
        api_client(service.url, timeout=30) as http,
    ):
        await announce_schools_and_visit(rabbit_url, topology, service)
        await import_roster(http, roster_csv([first]))
        old_id = await student_id_of(http, first["nisn"])
        report = await import_roster(http, roster_csv([corrected]))
        assert report["schools"][HOME_SCHOOL]["ready_to_record"] == 1
        students = service.runtime.db["students"]
        active = await students.find({"superseded_by": {"$exists": False}}).to_list()
        assert [s["nik"] for s in active] == [corrected["nik"]]
        old = (await http.get(f"/students/{old_id}")).json()
        assert old["roster_category"] == "superseded" and old["superseded_by"] == active[0]["_id"]
        listed = (await http.get("/visits/V-it-1/students")).json()
        assert [s["student_id"] for s in listed] == [active[0]["_id"]]
        refused = await http.post(f"/students/{old_id}/check-ins",
                                  json={"visit_id": "V-it-1", "operator_id": "op-1"})
        assert refused.status_code == 409 and "superseded" in refused.json()["detail"]["message"]
        # importing the corrected file again changes nothing
        await import_roster(http, roster_csv([corrected]))
        assert await students.count_documents({}) == 2
