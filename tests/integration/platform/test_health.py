"""Each service's HTTP port: liveness, readiness (broker and database), Prometheus metrics,
the AsyncAPI page, and the operators' OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from shared.infra import MongoStandin
from shared.auth import Role
from shared.testing import running_service, token_headers

from .helpers import eventually

SERVICES = ["scheduling", "enrollment", "printing", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
async def test_health_readiness_and_metrics(service, settings_for):
    async with running_service(service, settings_for(service)) as svc:
        async with httpx.AsyncClient(base_url=svc.url) as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            ready = await http.get("/readyz")
            assert ready.status_code == 200 and ready.json() == {"status": "ready", "broker": True, "database": True}
            metrics = await http.get("/metrics")
            assert metrics.status_code == 200
            assert f'jemput_service_info{{service="{service}"}} 1.0' in metrics.text
            assert "jemput_outbox_pending" in metrics.text
            assert (await http.get("/asyncapi")).status_code == 200


async def test_readiness_fails_when_the_database_goes_away(settings_for):
    standin = MongoStandin()
    url = standin.start()
    try:
        async with running_service("enrollment", settings_for("enrollment", MONGODB_URL=url)) as svc:
            async with httpx.AsyncClient(base_url=svc.url, timeout=10) as http:
                assert (await http.get("/readyz")).status_code == 200
                standin.stop(kill=True)

                async def not_ready() -> bool:
                    response = await http.get("/readyz")
                    return response.status_code == 503 and response.json()["database"] is False

                await eventually(not_ready, timeout=20)
                assert (await http.get("/healthz")).status_code == 200  # alive, just not ready
                # the operators' API says "retry shortly", not a bare 500
                refused = await http.get("/students/ST-0000", headers=token_headers(Role.OPERATOR))
                assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
                assert "retry" in refused.json()["detail"]
    finally:
        standin.stop()


async def test_the_operators_api_is_documented(settings_for):
    async with running_service("scheduling", settings_for("scheduling")) as svc:
        async with httpx.AsyncClient(base_url=svc.url) as http:
            spec = (await http.get("/openapi.json")).json()
    assert "/visits" in spec["paths"] and "post" in spec["paths"]["/visits"]
