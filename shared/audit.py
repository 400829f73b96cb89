"""The audit log of sensitive actions: append-only, hash-chained, readable by auditors.

Each service keeps its own in its own database (collection ``audit``) for the actions done
there (docs/security.md lists them). A record says who (token subject and role), what
(action), on what (target: an id, never a personal value), when, and details that carry ids,
field names and reasons only. Records are numbered (``_id`` 1, 2, 3, ...: a unique key, so two
replicas appending at once cannot both take a number) and each holds the SHA-256 of its
content and of the record before it: changing, removing or inserting a record breaks the chain,
which ``GET /audit/verify`` reports. No route updates or deletes a record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shared.auth import InvalidToken, Principal, Role, requires, verify_token
from shared.logging import mask_text

AUDIT = "audit"
GENESIS = "0" * 64
INDEXES = {AUDIT: [IndexModel([("action", ASCENDING), ("at", DESCENDING)]),
                   IndexModel([("target", ASCENDING)])]}
READERS = (Role.AUDITOR, Role.ADMIN)

Detail = str | int | float | bool | None | list[str]


class AuditRecord(BaseModel):
    seq: int
    at: dt.datetime
    service: str
    actor: str
    role: str
    action: str
    target: str
    details: dict[str, Any]
    prev: str
    hash: str


class ChainCheck(BaseModel):
    ok: bool
    records: int
    first_broken: int | None = None
    reason: str | None = None


def _digest(doc: dict[str, Any]) -> str:
    content = {k: doc[k] for k in ("_id", "service", "actor", "role", "action", "target", "details", "prev")}
    content["at"] = _utc(doc["at"]).isoformat(timespec="milliseconds")
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _utc(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def _clean(details: dict[str, Detail]) -> dict[str, Detail]:
    """Details keep ids, field names and reasons; a NIK or phone number that slipped in is masked."""
    def one(value: Detail) -> Detail:
        if isinstance(value, str):
            return mask_text(value)[:200]
        if isinstance(value, list):
            return [mask_text(str(v))[:200] for v in value]
        return value

    return {str(k): one(v) for k, v in details.items()}


class AuditLog:
    def __init__(self, db: Any, service: str) -> None:
        self.collection = db[AUDIT]
        self.service = service

    async def record(self, who: Principal, action: str, target: str, details: dict[str, Detail] | None = None,
                     *, at: dt.datetime | None = None) -> AuditRecord:
        at = _utc(at or dt.datetime.now(dt.UTC))
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # what MongoDB keeps
        for _ in range(50):
            last = await self.collection.find_one({}, sort=[("_id", DESCENDING)], projection={"hash": 1})
            doc = {"_id": (last["_id"] + 1) if last else 1, "at": at, "service": self.service,
                   "actor": who.subject, "role": who.role.value, "action": action, "target": target,
                   "details": _clean(details or {}), "prev": last["hash"] if last else GENESIS}
            doc["hash"] = _digest(doc)
            try:
                await self.collection.insert_one(doc)
            except DuplicateKeyError:  # another replica took this number: chain after it
                continue
            return _out(doc)
        raise RuntimeError("audit log: could not append after 50 attempts")

    async def find(self, *, action: str | None = None, target: str | None = None, actor: str | None = None,
                   since: dt.datetime | None = None, limit: int = 100) -> list[AuditRecord]:
        query: dict[str, Any] = {}
        for key, value in (("action", action), ("target", target), ("actor", actor)):
            if value is not None:
                query[key] = value
        if since is not None:
            query["at"] = {"$gte": _utc(since)}
        docs = await self.collection.find(query).sort("_id", DESCENDING).to_list(limit)
        return [_out(d) for d in docs]

    async def verify(self) -> ChainCheck:
        prev, expected, count = GENESIS, 1, 0
        async for doc in self.collection.find({}).sort("_id", ASCENDING):
            count += 1
            if doc["_id"] != expected:
                return ChainCheck(ok=False, records=count, first_broken=expected, reason="a record is missing")
            if doc.get("prev") != prev:
                return ChainCheck(ok=False, records=count, first_broken=doc["_id"],
                                  reason="does not follow the record before it")
            if doc.get("hash") != _digest(doc):
                return ChainCheck(ok=False, records=count, first_broken=doc["_id"],
                                  reason="content changed after it was written")
            prev, expected = doc["hash"], expected + 1
        return ChainCheck(ok=True, records=count)


def _out(doc: dict[str, Any]) -> AuditRecord:
    return AuditRecord(seq=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def audit_router(log_of: Any) -> APIRouter:
    """``GET /audit`` and ``GET /audit/verify`` for auditors and admins; nothing that changes it."""
    router = APIRouter(prefix="/audit", tags=["audit"])

    @router.get("", response_model=list[AuditRecord], dependencies=[requires(*READERS)])
    async def read_audit(
        action: str | None = None, target: str | None = None, actor: str | None = None,
        since: dt.datetime | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[AuditRecord]:
        """Sensitive actions done through this service, newest first."""
        return await log_of().find(action=action, target=target, actor=actor, since=since, limit=limit)

    @router.get("/verify", response_model=ChainCheck, dependencies=[requires(*READERS)])
    async def verify_audit() -> ChainCheck:
        """Walk the hash chain: a changed, removed or inserted record is reported."""
        return await log_of().verify()

    return router


class TokenIssued(BaseModel):
    """What `jemput token issue` reports: the token itself, verified here and never stored."""

    token: str = Field(min_length=20, max_length=4096)
    issued_by: str = Field(min_length=1, max_length=64, description="who ran the command (an account name)")


def token_issuance_router(log_of: Any) -> APIRouter:
    """``POST /audit/token-issuances`` (admin): the record of a token issued by the CLI, which
    prints the token only once this record is written (docs/security.md)."""
    router = APIRouter(prefix="/audit", tags=["audit"])

    @router.post("/token-issuances", status_code=201, response_model=AuditRecord)
    async def token_issued(body: TokenIssued, request: Request,
                           who: Principal = requires(Role.ADMIN)) -> AuditRecord:
        try:
            granted = verify_token(request.app.state.auth, body.token)
        except InvalidToken as error:
            raise HTTPException(422, f"token: {error}") from None
        return await log_of().record(who, "token.issued", granted.subject, {
            "role": granted.role.value, "npsn": granted.npsn, "token_id": granted.token_id,
            "expires_at": granted.expires_at.isoformat(), "issued_by": body.issued_by})

    return router
