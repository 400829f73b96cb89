"""Email over real SMTP (aiosmtpd) and SMS/WhatsApp over a real local HTTP gateway."""

import asyncio
import datetime as dt
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.notifications.adapters.email_smtp import OutgoingEmail, SmtpEmailSender, SmtpSettings
from services.notifications.adapters.phone_gateway import GatewaySettings, HttpPhoneGateway, OutgoingText
from services.notifications.adapters.sinks import GatewaySink, SmtpSink, free_port
from services.notifications.domain.failures import FailureKind, SendFailure
from services.notifications.domain.language import Channel

from .conftest import GATEWAY_TOKEN


def email(ref: str = "d-1", to: str = "tu@sman99.example.sch.id", subject: str = "Jadwal perekaman") -> OutgoingEmail:
    return OutgoingEmail(to=to, subject=subject, body="Yth. Kepala Sekolah,\nIsi pesan.\n", reference=ref)


def text(ref: str = "d-1", to: str = "+6281200000001", channel: Channel = Channel.SMS) -> OutgoingText:
    return OutgoingText(channel=channel, to=to, text="Perekaman KTP-el kamu Kam 10/12.", reference=ref, segments=1)


def smtp_settings(sink: SmtpSink, **kw) -> SmtpSettings:
    return SmtpSettings(host=sink.host, port=sink.port, tls="none", **kw)


async def test_email_arrives_with_subject_body_and_message_id(smtp_sink):
    sender = SmtpEmailSender(smtp_settings(smtp_sink))
    try:
        receipt = await sender.send(email(subject="Perubahan jadwal – Kamis"))  # non-ASCII subject
    finally:
        await sender.close()
    (got,) = smtp_sink.received()
    assert got.rcpt_tos == ("tu@sman99.example.sch.id",)
    assert got.subject == "Perubahan jadwal – Kamis"
    assert got.body == "Yth. Kepala Sekolah,\nIsi pesan.\n"
    assert got.message_id == receipt.provider_id == "<d-1@jemput>"
    assert got.headers["X-Jemput-Delivery"] == "d-1"


async def test_one_connection_is_kept_open_and_reused(smtp_sink):
    sender = SmtpEmailSender(smtp_settings(smtp_sink, pool_size=1))
    try:
        for i in range(5):
            await sender.send(email(ref=f"d-{i}"))
    finally:
        await sender.close()
    assert len(smtp_sink.received()) == 5
    assert sender.connections_opened == 1


async def test_concurrent_sends_are_bounded_by_the_pool(smtp_sink):
    sender = SmtpEmailSender(smtp_settings(smtp_sink, pool_size=3))
    try:
        await asyncio.gather(*(sender.send(email(ref=f"d-{i}")) for i in range(30)))
    finally:
        await sender.close()
    assert len(smtp_sink.received()) == 30
    assert sender.connections_opened <= 3


async def test_temporary_smtp_reply_is_transient_and_connection_survives(smtp_sink):
    sender = SmtpEmailSender(smtp_settings(smtp_sink, pool_size=1))
    smtp_sink.fail_next(1)
    try:
        with pytest.raises(SendFailure) as err:
            await sender.send(email())
        assert err.value.kind is FailureKind.TRANSIENT and err.value.code == 451
        await sender.send(email(ref="d-2"))
    finally:
        await sender.close()
    assert [m.message_id for m in smtp_sink.received()] == ["<d-2@jemput>"]
    assert sender.connections_opened == 1


async def test_refused_mailbox_is_permanent(smtp_sink):
    smtp_sink.refuse("nobody@example.org")
    sender = SmtpEmailSender(smtp_settings(smtp_sink))
    try:
        with pytest.raises(SendFailure) as err:
            await sender.send(email(to="nobody@example.org"))
    finally:
        await sender.close()
    assert err.value.kind is FailureKind.PERMANENT and err.value.code == 550
    assert "nobody" not in err.value.reason  # no address in the recorded reason


async def test_server_down_is_transient():
    sender = SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=free_port(), tls="none", timeout=2))
    with pytest.raises(SendFailure) as err:
        await sender.send(email())
    assert err.value.kind is FailureKind.TRANSIENT
    await sender.close()


async def test_server_restart_between_sends_reconnects(smtp_sink):
    sender = SmtpEmailSender(smtp_settings(smtp_sink, pool_size=1))
    try:
        await sender.send(email(ref="before"))
        smtp_sink.stop()
        smtp_sink.start()
        await sender.send(email(ref="after"))
    finally:
        await sender.close()
    assert [m.message_id for m in smtp_sink.received()] == ["<before@jemput>", "<after@jemput>"]
    assert sender.connections_opened == 2


def _self_signed(tmp_path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


async def test_starttls_with_certificate_validation(tmp_path):
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    with SmtpSink(host="localhost", tls_context=server_ctx, require_starttls=True) as sink:
        good = SmtpEmailSender(SmtpSettings(host="localhost", port=sink.port, tls="starttls", ca_file=cert))
        try:
            await good.send(email())
        finally:
            await good.close()
        assert len(sink.received()) == 1

        untrusting = SmtpEmailSender(SmtpSettings(host="localhost", port=sink.port, tls="starttls", timeout=5))
        with pytest.raises(SendFailure) as err:
            await untrusting.send(email(ref="d-2"))
        await untrusting.close()
        assert err.value.kind is FailureKind.TRANSIENT

        plain = SmtpEmailSender(SmtpSettings(host="localhost", port=sink.port, tls="none"))
        with pytest.raises(SendFailure) as err:
            await plain.send(email(ref="d-3"))  # the server insists on STARTTLS first
        await plain.close()
        assert err.value.kind is FailureKind.PERMANENT
        assert len(sink.received()) == 1


def gateway(sink: GatewaySink, token: str | None = GATEWAY_TOKEN, **kw) -> HttpPhoneGateway:
    return HttpPhoneGateway(GatewaySettings(url=sink.url, auth_value=token, **kw))


async def test_sms_is_posted_as_json_with_auth_and_idempotency_key(gateway_sink):
    gw = gateway(gateway_sink, sender_id="DUKCAPIL")
    try:
        receipt = await gw.send(text())
    finally:
        await gw.close()
    (got,) = gateway_sink.messages
    assert got.path == "/messages"
    assert got.headers["authorization"] == GATEWAY_TOKEN
    assert got.headers["idempotency-key"] == "d-1"
    assert got.body == {"channel": "sms", "from": "DUKCAPIL", "to": "+6281200000001",
                        "text": "Perekaman KTP-el kamu Kam 10/12.", "reference": "d-1", "segments": 1}
    assert receipt.provider_id == got.provider_id


async def test_custom_auth_header(gateway_sink):
    with GatewaySink(auth_header="X-Api-Key", auth_value="k-123") as sink:
        gw = HttpPhoneGateway(GatewaySettings(url=sink.url, auth_header="X-Api-Key", auth_value="k-123"))
        try:
            await gw.send(text(channel=Channel.WHATSAPP))
        finally:
            await gw.close()
        assert sink.messages[0].body["channel"] == "whatsapp"


async def test_wrong_credentials_are_permanent(gateway_sink):
    gw = gateway(gateway_sink, token="Bearer wrong")
    try:
        with pytest.raises(SendFailure) as err:
            await gw.send(text())
    finally:
        await gw.close()
    assert (err.value.kind, err.value.code) == (FailureKind.PERMANENT, 401)
    assert gateway_sink.messages == []


async def test_gateway_errors_are_classified(gateway_sink):
    gw = gateway(gateway_sink)
    try:
        for status, kind in ((503, FailureKind.TRANSIENT), (429, FailureKind.TRANSIENT), (500, FailureKind.TRANSIENT)):
            gateway_sink.fail_next(1, status)
            with pytest.raises(SendFailure) as err:
                await gw.send(text(ref=f"r-{status}"))
            assert (err.value.kind, err.value.code) == (kind, status)
            assert err.value.reason == f"gateway HTTP {status} temporary_failure"
        gateway_sink.reject("+6281299999999")
        with pytest.raises(SendFailure) as err:
            await gw.send(text(ref="bad", to="+6281299999999"))
        assert (err.value.kind, err.value.reason) == (FailureKind.PERMANENT, "gateway HTTP 400 invalid_number")
        assert "+62" not in err.value.reason
    finally:
        await gw.close()
    assert gateway_sink.messages == []


async def test_gateway_unreachable_is_transient():
    gw = HttpPhoneGateway(GatewaySettings(url=f"http://127.0.0.1:{free_port()}/messages", timeout=2))
    try:
        with pytest.raises(SendFailure) as err:
            await gw.send(text())
    finally:
        await gw.close()
    assert err.value.kind is FailureKind.TRANSIENT and "unreachable" in err.value.reason


async def test_repeated_reference_is_recorded_once(gateway_sink):
    gw = gateway(gateway_sink)
    try:
        first = await gw.send(text(ref="same"))
        second = await gw.send(text(ref="same"))
    finally:
        await gw.close()
    assert first == second
    assert len(gateway_sink.messages) == 1
    assert gateway_sink.stats()["duplicates"] == 1


async def test_gateway_down_then_up_over_http_commands(gateway_sink):
    async with httpx.AsyncClient(base_url=f"http://{gateway_sink.host}:{gateway_sink.port}") as control:
        assert (await control.post("/_sink/down", json={"down": True})).status_code == 200
        gw = gateway(gateway_sink)
        try:
            with pytest.raises(SendFailure):
                await gw.send(text())
            await control.post("/_sink/down", json={"down": False})
            await gw.send(text())
        finally:
            await gw.close()
        listed = (await control.get("/_sink/messages")).json()
        assert [m["body"]["reference"] for m in listed] == ["d-1"]
        assert (await control.get("/_sink/nothing")).status_code == 404


async def test_gateway_refuses_malformed_requests(gateway_sink):
    async with httpx.AsyncClient() as client:
        r = await client.post(gateway_sink.url, content=b"{not json", headers={"Authorization": GATEWAY_TOKEN})
        assert (r.status_code, r.json()) == (400, {"error": "invalid_json"})
        r = await client.post(gateway_sink.url, json={"to": "+62812"}, headers={"Authorization": GATEWAY_TOKEN})
        assert (r.status_code, r.json()) == (400, {"error": "invalid_request"})
        r = await client.get(gateway_sink.url)
        assert r.status_code == 405
    assert gateway_sink.messages == []


def test_email_channel_is_refused_by_the_phone_gateway(gateway_sink):
    gw = gateway(gateway_sink)
    with pytest.raises(ValueError, match="sms and whatsapp"):
        gw.body(text(channel=Channel.EMAIL))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_login_and_refused_credentials():
    with SmtpSink(credentials=("jemput", "rahasia")) as sink:
        good = SmtpEmailSender(SmtpSettings(host=sink.host, port=sink.port, tls="none", username="jemput",
                                            password="rahasia"))
        try:
            await good.send(email())
        finally:
            await good.close()
        bad = SmtpEmailSender(SmtpSettings(host=sink.host, port=sink.port, tls="none", username="jemput",
                                           password="salah"))
        with pytest.raises(SendFailure) as err:
            await bad.send(email(ref="d-2"))
        await bad.close()
        assert err.value.kind is FailureKind.PERMANENT and err.value.code == 535
        anonymous = SmtpEmailSender(SmtpSettings(host=sink.host, port=sink.port, tls="none"))
        with pytest.raises(SendFailure) as err:
            await anonymous.send(email(ref="d-3"))
        await anonymous.close()
        assert err.value.kind is FailureKind.PERMANENT
        assert [m.message_id for m in sink.received()] == ["<d-1@jemput>"]


async def test_lost_answer_then_retry_is_sent_once(gateway_sink):
    gw = gateway(gateway_sink, timeout=0.3)
    gateway_sink.slow_next(1, 2.0)
    try:
        with pytest.raises(SendFailure) as err:
            await gw.send(text(ref="slow-1"))
        assert err.value.kind is FailureKind.TRANSIENT and "timeout" in err.value.reason
        again = await gw.send(text(ref="slow-1"))  # the retry a dispatcher makes after back-off
    finally:
        await gw.close()
    assert len(gateway_sink.messages) == 1
    assert again.provider_id == gateway_sink.messages[0].provider_id
    assert gateway_sink.stats()["duplicates"] == 1


async def test_sinks_run_as_a_process_for_the_demo():
    import json
    import subprocess
    import sys

    smtp_port, http_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.notifications.adapters.sinks", "--smtp-port", str(smtp_port),
         "--http-port", str(http_port), "--auth-header", "Authorization", "--auth-value", "Bearer demo"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        started = json.loads(await asyncio.to_thread(proc.stdout.readline))
        assert started == {"smtp": f"127.0.0.1:{smtp_port}", "gateway": f"http://127.0.0.1:{http_port}/messages"}
        sender = SmtpEmailSender(SmtpSettings(host="127.0.0.1", port=smtp_port, tls="none"))
        gw = HttpPhoneGateway(GatewaySettings(url=started["gateway"], auth_value="Bearer demo"))
        try:
            await sender.send(email())
            await gw.send(text())
        finally:
            await sender.close()
            await gw.close()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as control:
            stats = (await control.get("/_sink/stats")).json()
        assert (stats["emails"], stats["received"]) == (1, 1)
    finally:
        proc.terminate()
        proc.wait(10)
