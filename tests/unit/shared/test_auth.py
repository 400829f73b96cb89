"""Tokens: signing, verifying, key rotation, and the refusals (shared/auth.py)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import jwt
import pytest

from shared.auth import (
    AuthConfig,
    AuthConfigError,
    InvalidToken,
    Role,
    issue_token,
    new_key,
    parse_keys,
    verify_token,
)
from shared.service import build_app
from shared.settings import ServiceSettings
from shared.testing import definition_of


def config(keys: str, key_id: str = "", **env: str) -> AuthConfig:
    return AuthConfig.from_settings(ServiceSettings(JEMPUT_AUTH_KEYS=keys, JEMPUT_AUTH_KEY_ID=key_id, **env))


OLD, NEW = f"old:{new_key()}", f"new:{new_key()}"


@pytest.mark.parametrize(("value", "reason"), [
    ("", "JEMPUT_AUTH_KEYS is not set"),
    ("   ", "JEMPUT_AUTH_KEYS is not set"),
    ("nokeyid", "each key is key_id:base64"),
    ("k1:not base64!", "not valid base64"),
    ("k1:" + base64.b64encode(b"short").decode(), "has 5 bytes, at least 32"),
])
def test_bad_keys_are_refused_naming_the_setting(value, reason):
    with pytest.raises(AuthConfigError, match=reason):
        parse_keys(value)


def test_the_signing_key_must_be_one_of_the_keys():
    with pytest.raises(AuthConfigError, match="JEMPUT_AUTH_KEY_ID: no key 'k9'"):
        config(OLD, "k9")


def test_a_token_says_who_what_role_and_until_when():
    cfg = config(OLD)
    token, granted = issue_token(cfg, "op-budi", Role.OPERATOR, ttl=dt.timedelta(hours=8))
    assert jwt.get_unverified_header(token)["kid"] == "old"
    who = verify_token(cfg, token)
    assert (who.subject, who.role, who.npsn, who.token_id) == ("op-budi", Role.OPERATOR, None, granted.token_id)
    assert dt.timedelta(hours=7, minutes=59) < who.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=8)


def test_a_school_token_carries_its_npsn_and_only_a_school_token_does():
    cfg = config(OLD)
    token, _ = issue_token(cfg, "sman99", Role.SCHOOL, npsn="20612345")
    assert verify_token(cfg, token).npsn == "20612345"
    with pytest.raises(ValueError, match="npsn: a school account needs"):
        issue_token(cfg, "sman99", Role.SCHOOL)
    with pytest.raises(ValueError, match="npsn: only a school account"):
        issue_token(cfg, "op", Role.OPERATOR, npsn="20612345")
    with pytest.raises(ValueError, match="ttl: at most 90 days"):
        issue_token(cfg, "op", Role.OPERATOR, ttl=dt.timedelta(days=91))


def test_keys_rotate_old_tokens_verify_until_their_key_is_removed():
    before = config(OLD)
    old_token, _ = issue_token(before, "op", Role.OPERATOR)
    during = config(f"{NEW},{OLD}", "new")
    new_token, _ = issue_token(during, "op", Role.OPERATOR)
    assert jwt.get_unverified_header(new_token)["kid"] == "new"
    assert verify_token(during, old_token).subject == "op"
    after = config(NEW)
    assert verify_token(after, new_token).subject == "op"
    with pytest.raises(InvalidToken, match="unknown signing key"):
        verify_token(after, old_token)


def test_expired_tampered_foreign_and_unsigned_tokens_are_refused():
    cfg = config(OLD)
    expired, _ = issue_token(cfg, "op", Role.OPERATOR, ttl=dt.timedelta(minutes=-5))
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(cfg, expired)
    token, _ = issue_token(cfg, "op", Role.OPERATOR)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), signature])
    with pytest.raises(InvalidToken, match="invalid token"):
        verify_token(cfg, forged)
    other_key = config(f"old:{new_key()}")  # same key id, another secret
    with pytest.raises(InvalidToken, match="invalid token"):
        verify_token(other_key, token)
    unsigned = jwt.encode({"sub": "op", "role": "admin"}, None, algorithm="none", headers={"kid": "old"})
    with pytest.raises(InvalidToken):
        verify_token(cfg, unsigned)
    with pytest.raises(InvalidToken, match="malformed"):
        verify_token(cfg, "not-a-token")


def test_issuer_and_audience_are_checked():
    token, _ = issue_token(config(OLD, JEMPUT_AUTH_AUDIENCE="kabupaten-lain"), "op", Role.OPERATOR)
    with pytest.raises(InvalidToken, match="InvalidAudience"):
        verify_token(config(OLD), token)
    token, _ = issue_token(config(OLD, JEMPUT_AUTH_ISSUER="someone-else"), "op", Role.OPERATOR)
    with pytest.raises(InvalidToken, match="InvalidIssuer"):
        verify_token(config(OLD), token)


def test_a_token_with_an_unknown_role_is_refused():
    cfg = config(OLD)
    now = dt.datetime.now(dt.UTC)
    token = jwt.encode({"iss": "jemput", "aud": "jemput", "sub": "x", "role": "root", "iat": now, "exp":
                        now + dt.timedelta(hours=1), "jti": "1"}, cfg.keys["old"], headers={"kid": "old"})
    with pytest.raises(InvalidToken, match="unknown role"):
        verify_token(cfg, token)


@pytest.mark.parametrize("service", ["scheduling", "enrollment", "printing", "notifications", "dashboard"])
def test_a_service_without_signing_keys_does_not_start(service):
    with pytest.raises(AuthConfigError, match="JEMPUT_AUTH_KEYS is not set"):
        build_app(definition_of(service), ServiceSettings(JEMPUT_SERVICE=service))


def test_a_service_process_without_signing_keys_exits_saying_why():
    import os
    import subprocess
    import sys

    from shared.testing import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("JEMPUT_AUTH")}
    done = subprocess.run([sys.executable, "-m", "services.printing"], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode != 0
    assert "jemput printing does not start: JEMPUT_AUTH_KEYS is not set" in done.stderr


async def test_a_browser_cookie_reads_pages_but_never_changes_anything():
    import httpx
    from fastapi import FastAPI

    from shared.auth import COOKIE, browser_login_router, install, requires

    api = FastAPI()
    api.include_router(browser_login_router())

    @api.get("/page", dependencies=[requires(Role.OPERATOR)])
    async def page() -> dict:
        return {"ok": True}

    @api.post("/change", dependencies=[requires(Role.OPERATOR)])
    async def change() -> dict:
        return {"changed": True}

    install(api, ServiceSettings(JEMPUT_AUTH_KEYS=OLD))
    token, _ = issue_token(api.state.auth, "op", Role.OPERATOR)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(api), base_url="http://dash") as browser:
        assert (await browser.get("/page")).status_code == 401
        assert "<form" in (await browser.get("/login")).text
        signed_in = await browser.post("/login", data={"token": token})
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and browser.cookies.get(COOKIE) == token
        assert (await browser.get("/page")).json() == {"ok": True}
        assert (await browser.post("/change")).status_code == 401  # a cookie is never enough to change
        bad = await browser.get("/login", params={"token": "x" * 40})
        assert bad.status_code == 401
