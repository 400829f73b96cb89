"""Bearer tokens and roles: who may call which HTTP route (docs/security.md).

Tokens are JWTs signed with HS256 by one of the keys in ``JEMPUT_AUTH_KEYS``
(``key_id:base64(>= 32 bytes),...``); the key id travels in the ``kid`` header so keys can
rotate: a new key signs (``JEMPUT_AUTH_KEY_ID``), old keys still verify until removed.
Claims: ``iss`` and ``aud`` (``JEMPUT_AUTH_ISSUER`` / ``JEMPUT_AUTH_AUDIENCE``), ``sub`` (an
account name, never a person's NIK), ``role``, ``npsn`` for a school account, ``iat``, ``nbf``,
``exp`` and a ``jti``.

Every route declares the roles that may call it with ``requires(*roles)``; the roles also appear
in the OpenAPI document as the scopes of the ``bearer`` security requirement (OpenAPI 3.1 allows
role names there). Missing, malformed, expired or wrongly signed token: 401 with
``WWW-Authenticate: Bearer``; a valid token of another role, or a school account asking for
another school's NPSN: 403.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import jwt
from fastapi import APIRouter, Depends, Form, HTTPException, Request, Security
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

if TYPE_CHECKING:
    from shared.settings import ServiceSettings

ALGORITHM = "HS256"
COOKIE = "jemput_token"
MIN_KEY_BYTES = 32
MAX_TTL = dt.timedelta(days=90)


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    AUDITOR = "auditor"
    SCHOOL = "school"


ALL_ROLES = tuple(Role)


class AuthConfigError(ValueError):
    """The signing keys or token settings are missing or wrong (names the setting)."""


class InvalidToken(Exception):
    """A token that does not authenticate anybody (reason without the token's content)."""


@dataclass(frozen=True)
class AuthConfig:
    keys: dict[str, bytes]
    signing_key_id: str
    issuer: str
    audience: str
    default_ttl: dt.timedelta

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> AuthConfig:
        keys = parse_keys(settings.auth_keys)
        key_id = settings.auth_key_id or next(iter(keys))
        if key_id not in keys:
            raise AuthConfigError(f"JEMPUT_AUTH_KEY_ID: no key {key_id!r} in JEMPUT_AUTH_KEYS")
        return cls(keys, key_id, settings.auth_issuer, settings.auth_audience,
                   dt.timedelta(seconds=settings.auth_token_ttl_s))


def parse_keys(value: str) -> dict[str, bytes]:
    """``kid:base64,kid2:base64`` -> {kid: secret}; refuses empty, short or malformed keys."""
    if not value.strip():
        raise AuthConfigError(
            "JEMPUT_AUTH_KEYS is not set: a service does not run without token signing keys "
            "(make one with `jemput token keygen`)")
    keys: dict[str, bytes] = {}
    for item in value.split(","):
        kid, sep, encoded = item.strip().partition(":")
        if not sep or not kid or not encoded:
            raise AuthConfigError("JEMPUT_AUTH_KEYS: each key is key_id:base64 (comma-separated)")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise AuthConfigError(f"JEMPUT_AUTH_KEYS: key {kid!r} is not valid base64") from None
        if len(secret) < MIN_KEY_BYTES:
            raise AuthConfigError(f"JEMPUT_AUTH_KEYS: key {kid!r} has {len(secret)} bytes, "
                                  f"at least {MIN_KEY_BYTES} are needed")
        keys[kid] = secret
    return keys


def new_key() -> str:
    """A fresh random signing key, base64 (for ``jemput token keygen``)."""
    import secrets

    return base64.b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode()


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    npsn: str | None
    token_id: str
    expires_at: dt.datetime


def issue_token(config: AuthConfig, subject: str, role: Role | str, *, npsn: str | None = None,
                ttl: dt.timedelta | None = None, now: dt.datetime | None = None,
                key_id: str | None = None) -> tuple[str, Principal]:
    """Sign a token; answers the token and what it grants (for the issuance audit record)."""
    role = Role(role)
    if not subject or len(subject) > 64:
        raise ValueError("subject: 1 to 64 characters (an account name)")
    if role is Role.SCHOOL and not (npsn and len(npsn) == 8 and npsn.isdigit()):
        raise ValueError("npsn: a school account needs its school's 8-digit NPSN")
    if role is not Role.SCHOOL and npsn is not None:
        raise ValueError("npsn: only a school account is tied to an NPSN")
    ttl = ttl if ttl is not None else config.default_ttl
    if ttl > MAX_TTL:
        raise ValueError(f"ttl: at most {MAX_TTL.days} days")
    now = now or dt.datetime.now(dt.UTC)
    expires = now + ttl
    token_id = str(uuid.uuid4())
    claims: dict[str, Any] = {"iss": config.issuer, "aud": config.audience, "sub": subject,
                              "role": role.value, "iat": now, "nbf": now, "exp": expires, "jti": token_id}
    if npsn is not None:
        claims["npsn"] = npsn
    kid = key_id or config.signing_key_id
    token = jwt.encode(claims, config.keys[kid], algorithm=ALGORITHM, headers={"kid": kid})
    return token, Principal(subject, role, npsn, token_id, expires.replace(microsecond=0))


def verify_token(config: AuthConfig, token: str) -> Principal:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        raise InvalidToken("malformed token") from None
    key = config.keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidToken("unknown signing key")
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=config.audience,
                            issuer=config.issuer, leeway=30,
                            options={"require": ["exp", "iat", "sub", "iss", "aud", "jti"]})
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token expired") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"invalid token ({type(error).__name__})") from None
    try:
        role = Role(claims.get("role"))
    except ValueError:
        raise InvalidToken("unknown role") from None
    npsn = claims.get("npsn")
    if role is Role.SCHOOL and not isinstance(npsn, str):
        raise InvalidToken("a school token without its NPSN")
    return Principal(str(claims["sub"]), role, npsn if role is Role.SCHOOL else None, str(claims["jti"]),
                     dt.datetime.fromtimestamp(claims["exp"], dt.UTC))


# --- FastAPI --------------------------------------------------------------------------------

bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="a Jemput token (`jemput token issue`); the scopes listed are the roles allowed")


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, f"not authenticated: {reason}",
                         headers={"WWW-Authenticate": 'Bearer realm="jemput"'})


async def _principal(scopes: SecurityScopes, request: Request,
                     credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    config: AuthConfig = request.app.state.auth
    token = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else None
    if token is None and request.headers.get("authorization") is None and request.method in ("GET", "HEAD"):
        token = request.cookies.get(COOKIE)  # a browser signed in at /login reads pages; never changes anything
    if not token:
        raise _unauthorized("a bearer token is needed")
    try:
        principal = verify_token(config, token)
    except InvalidToken as error:
        raise _unauthorized(str(error)) from None
    if principal.role.value not in scopes.scopes:
        raise HTTPException(403, f"role {principal.role.value} may not do this "
                                 f"(allowed: {', '.join(scopes.scopes)})")
    npsn = request.path_params.get("npsn")
    if principal.role is Role.SCHOOL and npsn is not None and npsn != principal.npsn:
        raise HTTPException(403, "a school account sees only its own school")
    request.state.principal = principal
    return principal


def requires(*roles: Role) -> Any:
    """The dependency a route declares: ``dependencies=[requires(Role.OPERATOR, Role.ADMIN)]`` or
    a parameter ``who: Principal = requires(...)``. A school account may only read routes
    whose ``npsn`` path parameter is its own; routes without one filter by ``who.npsn``."""
    if not roles:
        raise ValueError("a route must allow at least one role")
    return Security(_principal, scopes=[Role(r).value for r in roles])


def own_school(who: Principal, npsn: str | None) -> str | None:
    """The NPSN a query may cover: a school account's own, whatever it asked for."""
    if who.role is Role.SCHOOL:
        if npsn is not None and npsn != who.npsn:
            raise HTTPException(403, "a school account sees only its own school")
        return who.npsn
    return npsn


def declared_roles(openapi: dict[str, Any], path: str, method: str) -> list[str] | None:
    """The roles an OpenAPI operation declares (``security: [{bearer: [roles]}]``), or None."""
    for requirement in openapi["paths"][path][method].get("security", []):
        if "bearer" in requirement:
            return list(requirement["bearer"])
    return None


def install(api: Any, settings: ServiceSettings) -> None:
    """Give a service's FastAPI app its verifying keys; refuses to run without them."""
    api.state.auth = AuthConfig.from_settings(settings)


def bearer_headers(config: AuthConfig, role: Role | str = Role.ADMIN, subject: str | None = None,
                   npsn: str | None = None, ttl: dt.timedelta | None = None) -> dict[str, str]:
    token, _ = issue_token(config, subject or f"{Role(role).value}-account", role, npsn=npsn, ttl=ttl)
    return {"Authorization": f"Bearer {token}"}


# role groups the services' routes use (docs/security.md has the matrix)
OFFICE = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)      # desks, queues, day-to-day work
SUPERVISION = (Role.SUPERVISOR, Role.ADMIN)                # approvals, reprints, planning
READERS = (*OFFICE, Role.AUDITOR)                          # figures and reports without personal data


def cli_headers() -> dict[str, str]:
    """The operator's token for the `jemput` commands that call a service: ``JEMPUT_TOKEN``
    (from `jemput token issue`). Without it the service answers 401, which the command shows."""
    import os

    token = os.environ.get("JEMPUT_TOKEN", "").strip()
    return {"Authorization": f"Bearer {token}"} if token else {}


LOGIN_FORM = """<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Jemput: masuk</title></head>
<body><form method="post" action="login"><label>Token <input name="token" type="password" required></label>
<button>Masuk / sign in</button></form></body></html>"""


def browser_login_router() -> APIRouter:
    """``/login`` for a browser (the dashboard's page): the token, given once in a form or a link,
    becomes an HttpOnly, SameSite=Strict cookie that authorizes GET requests only."""
    router = APIRouter(include_in_schema=False)

    def signed_in(request: Request, token: str) -> RedirectResponse:
        try:
            who = verify_token(request.app.state.auth, token)
        except InvalidToken as error:
            raise _unauthorized(str(error)) from None
        response = RedirectResponse("./", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                            max_age=max(1, int((who.expires_at - dt.datetime.now(dt.UTC)).total_seconds())))
        return response

    @router.get("/login", response_model=None)
    async def login_page(request: Request, token: str | None = None) -> HTMLResponse | RedirectResponse:
        return signed_in(request, token) if token else HTMLResponse(LOGIN_FORM)

    @router.post("/login")
    async def login(request: Request, token: str = Form(min_length=20, max_length=4096)) -> RedirectResponse:
        return signed_in(request, token)

    return router
