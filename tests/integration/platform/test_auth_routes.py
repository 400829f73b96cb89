"""Every route of every service's OpenAPI document, called with no token, an expired token, a
token signed with another key, each role it does not allow (401/403) and each role it allows
(authenticated: anything but 401/403, and no server error). Driven by the document itself, so a
new route that declares no roles fails here."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from shared.auth import ALL_ROLES, Role, bearer_headers, declared_roles, new_key
from shared.testing import auth_config, running_service, token_headers

SERVICES = ["scheduling", "enrollment", "printing", "notifications", "dashboard"]
NPSN = "20612345"
OPEN = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static/{name}", "/login"}  # docs/security.md


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def concrete(path: str) -> str:
    """Fill path parameters: the school account's own NPSN, a made-up id for everything else."""
    return re.sub(r"\{(\w+)\}", lambda m: NPSN if m.group(1) == "npsn" else "made-up-1", path)


async def call(http: httpx.AsyncClient, path: str, method: str, op: dict[str, Any],
               headers: dict[str, str]) -> httpx.Response:
    body = op.get("requestBody", {}).get("content", {})
    kwargs: dict[str, Any] = {}
    if "application/json" in body:
        kwargs["json"] = {}
    elif "multipart/form-data" in body:
        kwargs["files"] = {"unexpected": ("x.txt", b"x")}
    return await http.request(method, concrete(path), headers=headers, **kwargs)


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_declares_roles_and_enforces_them(service, settings_for):
    config = auth_config()
    expired = bearer_headers(config, Role.ADMIN, ttl=dt.timedelta(minutes=-5))
    foreign = bearer_headers(auth_config(f"test:{new_key()}"), Role.ADMIN)
    async with running_service(service, settings_for(service)) as svc, httpx.AsyncClient(
            base_url=svc.url, timeout=30) as http:
        spec = (await http.get("/openapi.json")).json()
        ops = operations(spec)
        assert ops, "no operations in the OpenAPI document"
        documented = {(p, m.upper()) for p, m, _ in ops}
        for route in svc.app.api.routes:  # a route hidden from the document must be a known open one
            if isinstance(route, APIRoute):
                for method in route.methods:
                    assert (route.path, method) in documented or route.path in OPEN, (route.path, method)
        for path, method, op in ops:
            roles = declared_roles(spec, path, method)
            where = f"{service} {method.upper()} {path}"
            assert roles, f"{where} declares no roles"
            assert set(roles) <= {r.value for r in ALL_ROLES}, where
            for label, headers in (("no token", {}), ("expired", expired), ("other key", foreign),
                                   ("not bearer", {"Authorization": "Basic YWRtaW46YWRtaW4="})):
                answer = await call(http, path, method, op, headers)
                assert answer.status_code == 401, (where, label, answer.status_code, answer.text)
                assert answer.headers["www-authenticate"].startswith("Bearer"), (where, label)
            for role in ALL_ROLES:
                headers = token_headers(role, npsn=NPSN if role is Role.SCHOOL else None)
                answer = await call(http, path, method, op, headers)
                if role.value in roles:
                    assert answer.status_code not in (401, 403) and answer.status_code < 500, \
                        (where, role.value, answer.status_code, answer.text[:300])
                else:
                    assert answer.status_code == 403, (where, role.value, answer.status_code, answer.text[:300])
            if Role.SCHOOL.value in roles and "{npsn}" in path:  # another school's NPSN
                other = token_headers(Role.SCHOOL, npsn="20699999")
                assert (await call(http, path, method, op, other)).status_code == 403, where
        # the health, readiness and metrics endpoints stay open for orchestrators and Prometheus
        for path in ("/healthz", "/readyz", "/metrics", "/asyncapi"):
            assert (await http.get(path)).status_code == 200, path
