"""A local SMTP server and SMS/WhatsApp gateway that keep what they receive.

For tests, demos and the benchmark: real servers on local ports, each in its
own thread, which record every message and fail on command (a temporary
error for the next n messages, "down" until told otherwise, or a permanent
refusal of one address). The gateway honours `Idempotency-Key`: a repeated
key gets the first answer again and is not recorded twice.

Run both as a process (the demo's "SMS gateway and mail server")::

    python -m services.notifications.adapters.sinks --smtp-port 8025 --http-port 8090

The gateway also takes commands over HTTP: GET /_sink/messages,
POST /_sink/fail {"count": n, "status": 503}, POST /_sink/down {"down": true},
POST /_sink/reject {"to": "+62..."}, POST /_sink/slow {"count": n, "seconds": 5},
POST /_sink/reset, GET /_sink/stats.
"""

import argparse
import asyncio
import contextlib
import email
from email.header import decode_header, make_header
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# --- SMTP -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    body: str
    message_id: str | None
    headers: dict[str, str]


def _decoded(value: str | None) -> str:
    return "" if value is None else str(make_header(decode_header(value)))


def parse_email(mail_from: str, rcpt_tos: tuple[str, ...], raw: bytes) -> ReceivedEmail:
    msg = email.message_from_bytes(raw)
    part = next((p for p in msg.walk() if p.get_content_type() == "text/plain"), None)
    body = ""
    if part is not None:
        payload = part.get_payload(decode=True) or b""
        body = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return ReceivedEmail(
        mail_from=mail_from,
        rcpt_tos=rcpt_tos,
        subject=_decoded(msg.get("Subject")),
        body=body,
        message_id=msg.get("Message-ID"),
        headers={k: _decoded(v) for k, v in msg.items()},
    )


class _Authenticator:
    """Accepts one user name and password (AUTH PLAIN / LOGIN)."""

    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.username, self.password)
        return AuthResult(success=ok, handled=False)


class _SmtpHandler:
    def __init__(self, sink: "SmtpSink") -> None:
        self.sink = sink

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list) -> str:
        with self.sink._lock:
            refused = self.sink._refused.get(address.lower())
        if refused is not None:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.sink._lock:
            if self.sink._down:
                return "421 4.3.2 Service not available, closing transmission channel"
            if self.sink._fail_next > 0:
                self.sink._fail_next -= 1
                return self.sink._fail_reply
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        received = parse_email(envelope.mail_from, tuple(envelope.rcpt_tos), raw)
        with self.sink._lock:
            self.sink.messages.append(received)
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on a local port, keeping every accepted message in `messages`."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, tls_context=None,
                 require_starttls: bool = False, credentials: tuple[str, str] | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.messages: list[ReceivedEmail] = []
        self._lock = threading.Lock()
        self._fail_next = 0
        self._fail_reply = "451 4.3.0 Temporary failure, try again later"
        self._down = False
        self._refused: dict[str, str] = {}
        self._kwargs: dict[str, Any] = {}
        if tls_context is not None:
            self._kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
        if credentials is not None:
            self._kwargs.update(authenticator=_Authenticator(*credentials), auth_required=True,
                                auth_require_tls=tls_context is not None)
        self._controller: Controller | None = None

    def start(self) -> "SmtpSink":
        """Listen (again) on the same port; what was received is kept."""
        if self._controller is None:
            self._controller = Controller(_SmtpHandler(self), hostname=self.host, port=self.port, **self._kwargs)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, count: int, reply: str = "451 4.3.0 Temporary failure, try again later") -> None:
        with self._lock:
            self._fail_next, self._fail_reply = count, reply

    def set_down(self, down: bool) -> None:
        with self._lock:
            self._down = down

    def refuse(self, address: str, reply: str = "550 5.1.1 Mailbox unavailable") -> None:
        with self._lock:
            self._refused[address.lower()] = reply

    def received(self) -> list[ReceivedEmail]:
        with self._lock:
            return list(self.messages)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedEmail]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"SMTP sink has {len(self.messages)} of {count} messages")
            await asyncio.sleep(0.02)
        return self.received()


# --- HTTP gateway -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedText:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    provider_id: str


@dataclass
class _GatewayState:
    messages: list[ReceivedText] = field(default_factory=list)
    answers: dict[str, tuple[int, dict]] = field(default_factory=dict)
    fail_next: int = 0
    fail_status: int = 503
    slow_next: int = 0
    slow_seconds: float = 0.0
    down: bool = False
    rejected: set[str] = field(default_factory=set)
    requests: int = 0
    duplicates: int = 0
    failures: int = 0


_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            405: "Method Not Allowed", 411: "Length Required", 413: "Payload Too Large", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
MAX_BODY = 64 * 1024


class GatewaySink:
    """A JSON-over-HTTP SMS/WhatsApp gateway on a local port that keeps what it receives.

    Accepts POST to any path outside /_sink/ with {"to", "text", "channel", ...};
    answers 202 {"id": "..."}; checks `auth_header: auth_value` when given.
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None,
                 auth_header: str | None = None, auth_value: str | None = None,
                 extra_stats=None) -> None:
        self.host = host
        self._extra_stats = extra_stats
        self.port = port or free_port(host)
        self.auth = (auth_header.lower(), auth_value) if auth_header and auth_value else None
        self._state = _GatewayState()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/messages"

    # commands -----------------------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedText]:
        with self._lock:
            return list(self._state.messages)

    def stats(self) -> dict[str, int]:
        with self._lock:
            s = self._state
            stats = {"received": len(s.messages), "requests": s.requests, "duplicates": s.duplicates,
                     "failures": s.failures}
        if self._extra_stats is not None:
            stats.update(self._extra_stats())
        return stats

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._lock:
            self._state.fail_next, self._state.fail_status = count, status

    def set_down(self, down: bool) -> None:
        with self._lock:
            self._state.down = down

    def slow_next(self, count: int, seconds: float) -> None:
        """Accept (and keep) the next `count` messages but answer only after `seconds`:
        a client that gives up first has to retry a message that was in fact taken."""
        with self._lock:
            self._state.slow_next, self._state.slow_seconds = count, seconds

    def reject(self, to: str) -> None:
        with self._lock:
            self._state.rejected.add(to)

    def reset(self) -> None:
        with self._lock:
            self._state = _GatewayState()

    async def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedText]:
        deadline = time.monotonic() + timeout
        while len(self._state.messages) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"gateway sink has {len(self._state.messages)} of {count} messages")
            await asyncio.sleep(0.02)
        return self.messages

    # the gateway --------------------------------------------------------------------------

    def _accept(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        if self.auth is not None and headers.get(self.auth[0]) != self.auth[1]:
            return 401, {"error": "unauthorized"}
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"error": "invalid_json"}
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) and body[k] for k in ("to", "text", "channel")):
            return 400, {"error": "invalid_request"}
        key = headers.get("idempotency-key") or None
        with self._lock:
            s = self._state
            s.requests += 1
            if key is not None and key in s.answers:
                s.duplicates += 1
                return s.answers[key]
            if s.down:
                s.failures += 1
                return 503, {"error": "unavailable"}
            if s.fail_next > 0:
                s.fail_next -= 1
                s.failures += 1
                return s.fail_status, {"error": "temporary_failure"}
            if body["to"] in s.rejected:
                s.failures += 1
                answer = (400, {"error": "invalid_number"})
            else:
                provider_id = f"gw-{next(self._ids)}"
                s.messages.append(ReceivedText(path=path, headers=headers, body=body, provider_id=provider_id))
                answer = (202, {"id": provider_id, "status": "accepted"})
            if key is not None:
                s.answers[key] = answer
            return answer

    def _take_delay(self) -> float:
        with self._lock:
            if self._state.slow_next > 0:
                self._state.slow_next -= 1
                return self._state.slow_seconds
        return 0.0

    def _control(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return 400, {"error": "invalid_json"}
        if method == "GET" and path == "/_sink/messages":
            return 200, [{"path": m.path, "body": m.body, "id": m.provider_id} for m in self.messages]
        if method == "GET" and path == "/_sink/stats":
            return 200, self.stats()
        if method == "POST" and path == "/_sink/fail":
            self.fail_next(int(body.get("count", 1)), int(body.get("status", 503)))
        elif method == "POST" and path == "/_sink/slow":
            self.slow_next(int(body.get("count", 1)), float(body.get("seconds", 5)))
        elif method == "POST" and path == "/_sink/down":
            self.set_down(bool(body.get("down", True)))
        elif method == "POST" and path == "/_sink/reject":
            self.reject(str(body["to"]))
        elif method == "POST" and path == "/_sink/reset":
            self.reset()
        else:
            return 404, {"error": "not_found"}
        return 200, {"ok": True}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                try:
                    method, target, version = line.decode("latin-1").split()
                except ValueError:
                    await self._respond(writer, 400, {"error": "bad_request_line"}, close=True)
                    return
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = headers.get("content-length")
                if method == "POST" and length is None:
                    await self._respond(writer, 411, {"error": "length_required"}, close=True)
                    return
                n = int(length or 0)
                if n > MAX_BODY:
                    await self._respond(writer, 413, {"error": "too_large"}, close=True)
                    return
                raw = await reader.readexactly(n) if n else b""
                path = target.split("?", 1)[0]
                if path.startswith("/_sink/"):
                    status, payload = self._control(method, path, raw)
                elif method != "POST":
                    status, payload = 405, {"error": "method_not_allowed"}
                else:
                    status, payload = self._accept(path, headers, raw)
                    delay = self._take_delay()
                    if delay:
                        await asyncio.sleep(delay)
                close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
                await self._respond(writer, status, payload, close=close)
                if close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    @staticmethod
    async def _respond(writer: asyncio.StreamWriter, status: int, payload: Any, close: bool = False) -> None:
        data = json.dumps(payload).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
        ).encode()
        writer.write(head + data)
        await writer.drain()

    async def serve(self) -> None:
        """Serve in the current event loop until cancelled."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=1024)
        self._ready.set()
        try:
            async with self._server:
                await self._server.serve_forever()
        finally:
            self._server.close_clients()

    def start(self) -> "GatewaySink":
        """Serve in a background thread with its own event loop."""
        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._task = self._loop.create_task(self.serve())
            with contextlib.suppress(asyncio.CancelledError):
                self._loop.run_until_complete(self._task)
            rest = asyncio.all_tasks(self._loop)
            for task in rest:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
            self._loop.close()

        self._thread = threading.Thread(target=run, name="gateway-sink", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("gateway sink did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> "GatewaySink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local SMTP server and SMS/WhatsApp gateway that keep what they receive")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--http-port", type=int, default=8090)
    parser.add_argument("--auth-header", default=None, help="gateway: header to require, e.g. Authorization")
    parser.add_argument("--auth-value", default=None, help="gateway: its value, e.g. 'Bearer demo'")
    parser.add_argument("--smtp-user", default=None, help="SMTP: require this login (with --smtp-password)")
    parser.add_argument("--smtp-password", default=None)
    args = parser.parse_args(argv)
    credentials = (args.smtp_user, args.smtp_password) if args.smtp_user and args.smtp_password else None
    smtp = SmtpSink(args.host, args.smtp_port, credentials=credentials).start()
    gateway = GatewaySink(args.host, args.http_port, args.auth_header, args.auth_value,
                          extra_stats=lambda: {"emails": len(smtp.messages)})
    print(json.dumps({"smtp": f"{args.host}:{smtp.port}", "gateway": gateway.url}), flush=True)
    try:
        asyncio.run(gateway.serve())
    except KeyboardInterrupt:
        pass
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
