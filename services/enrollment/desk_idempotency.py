"""``Idempotency-Key`` on the desk's write requests: a request sent again gets its first answer.

A mobile desk whose answer was lost (the service killed after the write, a dropped connection,
a 503 while the database stalled) sends the same request again. Without a key, a capture sent
again is refused (409: already captured) and a consent sent again is kept twice. With a key, the
desk's write keeps the key, a fingerprint of the request and the answer it gave *in the same
single-document write* as the change (DESIGN.md: no multi-document transactions), in the
student's ``desk_requests`` (the last ``KEPT``). So either the change and its key are both
written or neither is:

- the same key with the same request: the stored answer (same status, same body), nothing
  written again, nothing published or audited again;
- the same key with another request (another body, another operation): 422 naming the header;
- a request refused (404, 409, 422, 403) or one that changed nothing (a second check-in at the
  same visit, a correction to the value already held) keeps nothing: sent again, it is answered
  afresh and changes nothing either;
- no key: as before.

The answer is rendered from the student as it will be written (``applied``: the write's
``$set`` and ``$push`` on the document read, with BSON's millisecond datetimes), so that it can
be stored with the change; the first request gets that stored answer too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

HEADER = "Idempotency-Key"
FIELD = "desk_requests"
KEPT = 20  # the last keyed requests kept per student (a student meets a desk a few times)
KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"  # visible ASCII, e.g. a UUID

Render = Callable[[dict[str, Any]], Any]  # the answer's JSON body, from the student as written


class Replayed(Exception):
    """The request was answered before: ``status`` and ``body`` are that answer."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"replayed answer {status}")
        self.status = status
        self.body = body


class KeyReused(Exception):
    """The key was used before for another request (the API answers 422)."""


@dataclass
class DeskRequest:
    """One keyed write request of the desk: what identifies it and how its answer is made."""

    key: str
    fingerprint: str
    render: Render
    status: int = 200
    answer: Any = None  # the body stored with the write, once written

    @classmethod
    def of(cls, key: str | None, operation: str, target: str, body: BaseModel, render: Render,
           status: int = 200) -> DeskRequest | None:
        """None without a key: the request runs as it always did."""
        if key is None:
            return None
        return cls(key, fingerprint(operation, target, body), render, status)

    def check(self, doc: dict[str, Any]) -> None:
        """Raise ``Replayed`` if the student holds this request's answer, ``KeyReused`` if it
        holds another request under the same key; return if the key is new."""
        for kept in doc.get(FIELD) or ():
            if kept.get("key") != self.key:
                continue
            if kept.get("fingerprint") != self.fingerprint:
                raise KeyReused(f"{HEADER} {self.key!r} was already used for a different request on this "
                                f"student; send a new key with a new request")
            raise Replayed(kept["status"], kept["body"])

    def kept(self, written: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
        """What the write keeps: the key, the fingerprint and the answer ``written`` gives."""
        self.answer = self.render(written)
        return {"key": self.key, "fingerprint": self.fingerprint, "status": self.status,
                "body": self.answer, "at": at}


def fingerprint(operation: str, target: str, body: BaseModel) -> str:
    """The same operation on the same target with the same body (as validated, so the order of
    the JSON keys and the spelling of numbers do not matter) gives the same fingerprint."""
    text = json.dumps({"operation": operation, "target": target, "body": body.model_dump(mode="json")},
                      sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def applied(doc: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as ``update`` will leave it (the ``$set`` and ``$push`` the desk writes), its
    datetimes at BSON's millisecond precision, so that it renders as a later read would."""
    out = _copy(doc)
    for operator, fields in update.items():
        for path, value in fields.items():
            *parents, leaf = path.split(".")
            target = out
            for part in parents:
                target = target.setdefault(part, {})
            if operator == "$set":
                target[leaf] = _bson(value)
            elif operator == "$push":
                values = value["$each"] if isinstance(value, dict) and "$each" in value else [value]
                target[leaf] = [*target.get(leaf, []), *(_bson(v) for v in values)]
            else:
                raise ValueError(f"applied(): {operator} is not a desk write")
    return out


def _copy(value: Any) -> Any:
    """A deep copy of the document's dicts and lists (other values are not changed in place)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _bson(value: Any) -> Any:
    """``value`` as it comes back from the database: datetimes in UTC to the millisecond."""
    if isinstance(value, dt.datetime):
        at = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        at = at.astimezone(dt.UTC)
        return at.replace(microsecond=at.microsecond // 1000 * 1000)
    if isinstance(value, dict):
        return {k: _bson(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bson(v) for v in value]
    return value
