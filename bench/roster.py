"""Roster import throughput and memory: a synthetic roster streamed from a CSV file through
verification, the central registry lookup (the simulator, in its own process) and the
student repository (bulk upserts with the embedded outbox), against raw `insert_many` of
the same rows into the same database server in the same run (into a database of its own,
half the rows before the import and half after it, so neither side is favoured by the
server's state).

    python bench/roster.py                 # 5,000 rows: about 2 minutes on the stand-in
    MONGODB_URL=mongodb://... python bench/roster.py --size 100000   # the issue's full run

The issue's full run is 100,000 rows. On the mongoeco stand-in (about 10 ms per inserted
document on this 2-core machine) that takes well over half an hour for the import and the
raw baseline together, so the default here is 5,000; on a real MongoDB use --size 100000.

Peak memory is the process's peak RSS during the import; it is also sampled at 10 % and at
100 % of the rows. A last pass reads and verifies a roster of --verify-size rows (default
100,000) without a database, to show memory at the issue's size: rows are streamed, never
held; what grows is the duplicate index (NIK and NISN per row) and the report's entries for
rows that are not ready, about 0.2 KB per row.
Last line: {"rows_per_s": ..., "raw_rows_per_s": ..., "ratio_vs_raw": ..., "peak_mb": ...}.
Targets: ratio >= 0.6, peak under 300 MB and flat in the roster's size.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymongo import AsyncMongoClient  # noqa: E402

from services.enrollment.adapters.central_registry import CentralRegistryGateway  # noqa: E402
from services.enrollment.adapters.roster_reader import RosterFile  # noqa: E402
from services.enrollment.adapters.student_repository import INDEXES, StudentRepository  # noqa: E402
from services.enrollment.domain.eligibility import AgePolicy  # noqa: E402
from services.enrollment.domain.roster import Category  # noqa: E402
from services.enrollment.domain.verification import RosterVerifier, VerificationContext  # noqa: E402
from services.enrollment.importing import import_roster  # noqa: E402
from shared.infra import free_port, mongodb  # noqa: E402
from shared.store.mongo import create_indexes  # noqa: E402

TODAY = date(2026, 7, 15)
HEADER = ["NISN", "NIK", "No KK", "Nama", "Tempat Lahir", "Tanggal Lahir", "JK", "NPSN",
          "Kelas", "No HP", "Nama Wali", "HP Wali", "Status Perkawinan"]
SCHOOLS = [f"2061{n:04d}" for n in range(47)]
BATCH = 500


def synthetic_row(i: int) -> list[str]:
    """Clearly synthetic: serial numbers, not people."""
    female = i % 2 == 1
    birth = date(2008, 1, 1) + timedelta(days=i % 1100)
    day = birth.day + (40 if female else 0)
    district = 10 + i // 9999 % 80
    nik = f"3603{district:02d}{day:02d}{birth.month:02d}{birth.year % 100:02d}{i % 9999 + 1:04d}"
    return [f"{i:010d}", nik, f"3603012001{i % 1_000_000:06d}", f"Siswa Sintetis {chr(65 + i % 26)}",
            "Tangerang", birth.strftime("%d-%m-%Y"), "P" if female else "L",
            SCHOOLS[i % len(SCHOOLS)], "XII", f"0812{i % 100_000_000:08d}", "Wali Sintetis",
            f"0813{i % 100_000_000:08d}", "Belum Kawin"]


def write_roster(path: Path, size: int) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(HEADER)
        for i in range(size):
            writer.writerow(synthetic_row(i))


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_simulator() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.enrollment.adapters.registry_simulator",
         "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


async def wait_http(url: str) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(url + "/admin/stats")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise SystemExit("registry simulator did not start")


async def run(size: int, url: str, kind: str, registry_url: str) -> dict[str, float]:
    client = AsyncMongoClient(url, tz_aware=True)
    db = client[f"bench_roster_{os.getpid()}"]
    await create_indexes(db, INDEXES)
    work = Path(tempfile.mkdtemp(prefix="bench-roster-"))
    roster_path = work / "roster.csv"
    write_roster(roster_path, size)
    print(f"database: {kind}; roster: {size} rows, {roster_path.stat().st_size / 1e6:.1f} MB CSV")

    raw_db = client[f"bench_roster_raw_{os.getpid()}"]
    raw = raw_db["raw_rows"]
    raw_s = 0.0

    async def raw_inserts(first: int, last: int) -> float:
        took = 0.0
        for start in range(first, last, BATCH):
            docs = [dict(zip(HEADER, synthetic_row(i), strict=True))
                    for i in range(start, min(last, start + BATCH))]
            t0 = time.perf_counter()
            await raw.insert_many(docs, ordered=False)
            took += time.perf_counter() - t0
        return took

    # half the raw rows before the import and half after: neither side gets the server
    # cold or warm, empty or full, alone
    half = size // 2 // BATCH * BATCH
    raw_s += await raw_inserts(0, half)

    repository = StudentRepository(db, student_id_key="bench", policy=AgePolicy())
    context = VerificationContext(today=TODAY, known_schools=set(SCHOOLS))
    samples: dict[str, float] = {}

    class Sink:
        async def save(self, verdicts) -> None:  # type: ignore[no-untyped-def]
            await repository.save_verdicts(verdicts, roster_id="R-bench", today=TODAY,
                                           now=datetime.now(UTC))

    async def on_batch(done: int) -> None:
        if "at_10pct" not in samples and done >= size // 10:
            samples["at_10pct"] = rss_mb()

    async with CentralRegistryGateway(registry_url) as registry:
        started = time.perf_counter()
        with RosterFile(roster_path) as roster:
            report = await import_roster(roster.lines(), RosterVerifier(context), source="bench",
                                         registry=registry, rosters=repository, sink=Sink(),
                                         batch_size=BATCH, on_batch=on_batch)
        import_s = time.perf_counter() - started
    samples["at_100pct"] = rss_mb()
    raw_s += await raw_inserts(half, size)
    print(f"raw insert_many: {size} rows in {raw_s:.1f} s = {size / raw_s:,.0f} rows/s")
    await client.drop_database(raw_db.name)
    import_peak = peak_mb()
    stored = await db["students"].count_documents({})
    assert report.total == size and report.sums_to_total, "report does not add up"
    print(f"import: {size} rows in {import_s:.1f} s = {size / import_s:,.0f} rows/s; "
          f"{stored} students stored; ready to record {report.count(Category.READY_TO_RECORD)}, "
          f"not yet eligible {report.count(Category.NOT_YET_ELIGIBLE)}, "
          f"invalid {report.count(Category.INVALID)}")
    print(f"memory: rss {samples.get('at_10pct', 0):.0f} MB at 10 %, "
          f"{samples['at_100pct']:.0f} MB at 100 %; peak {import_peak:.0f} MB")

    await client.drop_database(db.name)
    await client.close()
    for file in work.iterdir():
        file.unlink()
    work.rmdir()
    rows_per_s = size / import_s
    raw_rows_per_s = size / raw_s
    return {"rows_per_s": round(rows_per_s, 1), "raw_rows_per_s": round(raw_rows_per_s, 1),
            "ratio_vs_raw": round(rows_per_s / raw_rows_per_s, 3), "peak_mb": round(import_peak, 1)}


class NothingRecorded:
    async def recorded(self, niks):  # type: ignore[no-untyped-def]
        return set()


async def verify_only(size: int) -> None:
    """Reading and verification alone, at full size: memory must stay flat."""
    work = Path(tempfile.mkdtemp(prefix="bench-roster-verify-"))
    path = work / "roster.csv"
    write_roster(path, size)
    samples: dict[str, float] = {}

    async def on_batch(done: int) -> None:
        if "at_10pct" not in samples and done >= size // 10:
            samples["at_10pct"] = rss_mb()

    context = VerificationContext(today=TODAY, known_schools=set(SCHOOLS))
    started = time.perf_counter()
    with RosterFile(path) as roster:
        report = await import_roster(roster.lines(), RosterVerifier(context), source="verify",
                                     registry=NothingRecorded(), batch_size=BATCH,
                                     on_batch=on_batch)
    took = time.perf_counter() - started
    path.unlink()
    work.rmdir()
    assert report.total == size and report.sums_to_total
    print(f"read + verify only ({size} rows, no database): {size / took:,.0f} rows/s; rss "
          f"{samples['at_10pct']:.0f} MB at 10 %, {rss_mb():.0f} MB at 100 %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5_000, help="rows (full run: 100000)")
    parser.add_argument("--verify-size", type=int, default=100_000,
                        help="rows for the read + verify pass without a database")
    args = parser.parse_args()
    simulator, registry_url = start_simulator()
    try:
        asyncio.run(wait_http(registry_url))
        with mongodb() as (url, kind):
            result = asyncio.run(run(args.size, url, kind, registry_url))
    finally:
        simulator.terminate()
        simulator.wait()
    if args.verify_size:
        asyncio.run(verify_only(args.verify_size))  # after the import: its peak is measured
    print(json.dumps(result))


if __name__ == "__main__":
    main()
