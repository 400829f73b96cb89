"""Notifications throughput: emails/s to a local SMTP server, SMS/s to a local gateway.

The servers (aiosmtpd and the recording HTTP gateway from
services/notifications/adapters/sinks.py) run in a separate process, as real
ones would. Each message is rendered from its Jinja2 template. Email goes over
a small pool of kept-open SMTP connections; SMS through one httpx.AsyncClient
with a connection pool; both with bounded concurrency. Every message is
checked as received at the far end.

    python bench/notify.py            # full run: 2000 emails, 5000 SMS
    python bench/notify.py --size 300 # quick

Last line: {"emails_per_s": ..., "sms_per_s": ...}. Targets: >= 200 and >= 500.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import date, time as clock
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.notifications.adapters.email_smtp import OutgoingEmail, SmtpEmailSender, SmtpSettings  # noqa: E402
from services.notifications.adapters.phone_gateway import GatewaySettings, HttpPhoneGateway, OutgoingText  # noqa: E402
from services.notifications.adapters.sinks import free_port  # noqa: E402
from services.notifications.domain.contacts import RecipientKind  # noqa: E402
from services.notifications.domain.language import Channel, Language  # noqa: E402
from services.notifications.domain.messages import MessageKind  # noqa: E402
from services.notifications.domain.views import VisitView  # noqa: E402
from services.notifications.rendering import render  # noqa: E402

VISIT = VisitView(visit_id="V-BENCH", school_id="20000001", school_name="SMAN 99 Contoh",
                  visit_date=date(2026, 12, 10), start_time=clock(8, 0), location="Aula")


def start_sinks() -> tuple[subprocess.Popen, int, int]:
    smtp_port, http_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.notifications.adapters.sinks",
         "--smtp-port", str(smtp_port), "--http-port", str(http_port)],
        cwd=Path(__file__).resolve().parents[1], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = proc.stdout.readline()
    if not line:
        raise SystemExit("sinks did not start")
    return proc, smtp_port, http_port


async def bounded(n: int, concurrency: int, job) -> None:
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await job(i)

    await asyncio.gather(*(one(i) for i in range(n)))


async def run(emails: int, sms: int, pool: int, concurrency: int) -> dict:
    proc, smtp_port, http_port = start_sinks()
    try:
        sender = SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=smtp_port, tls="none", pool_size=pool))
        gateway = HttpPhoneGateway(GatewaySettings(url=f"http://127.0.0.1:{http_port}/messages",
                                                   auth_value="Bearer bench", max_connections=concurrency))

        async def email_job(i: int) -> None:
            msg = render(MessageKind.VISIT_SCHEDULED, Channel.EMAIL, Language.ID, VISIT, RecipientKind.SCHOOL)
            await sender.send(OutgoingEmail(to=f"school{i}@example.sch.id", subject=msg.subject, body=msg.body,
                                            reference=f"bench-email-{i}"))

        async def sms_job(i: int) -> None:
            msg = render(MessageKind.VISIT_STUDENT_REMINDER, Channel.SMS, Language.ID, VISIT, RecipientKind.STUDENT)
            await gateway.send(OutgoingText(channel=Channel.SMS, to=f"+62812{i:08d}", text=msg.body,
                                            reference=f"bench-sms-{i}", segments=msg.segments.segments))

        await bounded(min(20, emails), pool, email_job)  # warm-up: connections opened
        await bounded(min(50, sms), concurrency, sms_job)
        async with httpx.AsyncClient() as control:
            await control.post(f"http://127.0.0.1:{http_port}/_sink/reset")
            base_emails = (await control.get(f"http://127.0.0.1:{http_port}/_sink/stats")).json()["emails"]

            t0 = time.perf_counter()
            await bounded(emails, pool * 4, email_job)
            email_s = time.perf_counter() - t0

            t0 = time.perf_counter()
            await bounded(sms, concurrency, sms_job)
            sms_s = time.perf_counter() - t0

            stats = (await control.get(f"http://127.0.0.1:{http_port}/_sink/stats")).json()
        await sender.close()
        await gateway.close()
    finally:
        proc.terminate()
        proc.wait(10)
    received_emails = stats["emails"] - base_emails
    if received_emails != emails or stats["received"] != sms:
        raise SystemExit(f"lost messages: emails {received_emails}/{emails}, sms {stats['received']}/{sms}")
    return {
        "emails": emails, "email_seconds": round(email_s, 3), "smtp_connections": pool,
        "sms": sms, "sms_seconds": round(sms_s, 3), "http_concurrency": concurrency,
        "emails_per_s": round(emails / email_s, 1), "sms_per_s": round(sms / sms_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="emails to send; SMS are 2.5x this (default 2000)")
    parser.add_argument("--smtp-connections", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent SMS requests (httpx pool overhead grows with more)")
    args = parser.parse_args()
    result = asyncio.run(run(args.size, int(args.size * 2.5), args.smtp_connections, args.concurrency))
    print(f"sent {result['emails']} emails over {result['smtp_connections']} kept-open SMTP connections "
          f"in {result['email_seconds']} s: {result['emails_per_s']} emails/s (target >= 200)")
    print(f"sent {result['sms']} SMS through the HTTP gateway ({result['http_concurrency']} concurrent) "
          f"in {result['sms_seconds']} s: {result['sms_per_s']} SMS/s (target >= 500)")
    print("every message checked as received by the local servers (separate process)")
    print(json.dumps({"emails_per_s": result["emails_per_s"], "sms_per_s": result["sms_per_s"]}))


if __name__ == "__main__":
    main()
