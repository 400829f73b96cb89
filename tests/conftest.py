"""Test harness: the real broker and database (DESIGN.md, "Real infrastructure in tests").

- ``rabbit_url``: RABBITMQ_URL, else localhost:5672, else testcontainers, else the test fails
  saying how to get a broker.
- ``mongo_url``: MONGODB_URL, else testcontainers' MongoDB, else the mongoeco stand-in started on
  a free port for the session.
- ``namespace``: each test gets its own exchanges and queues (``JEMPUT_NAMESPACE``) and its own
  databases, removed afterwards.
- ``settings_for(service, **overrides)``: the settings a service under test runs with — the
  same environment variables the containers use.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from pymongo import AsyncMongoClient

from shared import infra
from shared.bus.topology import Topology
from shared.settings import ServiceSettings
from shared.asyncapi import SERVICES
from shared.testing import TEST_AUTH_KEYS, definition_of, delete_topology


@pytest.fixture(scope="session")
def rabbit_url() -> Iterator[str]:
    try:
        with infra.rabbitmq() as url:
            yield url
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="session")
def mongo() -> Iterator[tuple[str, str]]:
    with infra.mongodb() as (url, kind):
        yield url, kind


@pytest.fixture(scope="session")
def mongo_url(mongo: tuple[str, str]) -> str:
    return mongo[0]


@pytest.fixture
async def mongo_client(mongo_url: str) -> AsyncIterator[AsyncMongoClient]:
    client: AsyncMongoClient = AsyncMongoClient(mongo_url, tz_aware=True)
    yield client
    await client.close()


@pytest.fixture
async def namespace(rabbit_url: str, mongo_url: str) -> AsyncIterator[str]:
    ns = f"t{uuid.uuid4().hex[:10]}"
    yield ns
    await delete_topology(rabbit_url, Topology(ns))
    client: AsyncMongoClient = AsyncMongoClient(mongo_url)
    try:
        for name in await client.list_database_names():
            if name.startswith(ns):
                await client.drop_database(name)
    finally:
        await client.close()


def test_env(namespace: str, rabbit_url: str, mongo_url: str, service: str, **overrides: object) -> dict[str, str]:
    """Environment variables for a service under test (subprocess or in-process)."""
    env = {
        "RABBITMQ_URL": rabbit_url,
        "MONGODB_URL": mongo_url,
        "JEMPUT_SERVICE": service,
        "JEMPUT_NAMESPACE": namespace,
        "JEMPUT_DATABASE": f"{namespace}_{service}",
        "JEMPUT_RETRY_BASE_S": "0.05",
        "JEMPUT_RETRY_MAX_S": "0.5",
        "JEMPUT_RELAY_SWEEP_S": "0.5",
        "HTTP_PORT": "0",
        "JEMPUT_AUTH_KEYS": TEST_AUTH_KEYS,  # tokens: shared.testing.api_client / token_headers
        "PRINTING_IMAGE_KEYS": TEST_IMAGE_KEYS,  # printing seals photos and signatures at rest
    }
    env.update({k.upper(): str(v) for k, v in overrides.items()})
    return env


TEST_IMAGE_KEYS = "test:amVtcHV0LXRlc3QtaW1hZ2Uta2V5LTMyLWJ5dGVzISE="


test_env.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture
def env_for(namespace: str, rabbit_url: str, mongo_url: str) -> Callable[..., dict[str, str]]:
    def make(service: str, **overrides: object) -> dict[str, str]:
        return test_env(namespace, rabbit_url, mongo_url, service, **overrides)

    return make


@pytest.fixture
def settings_for(env_for: Callable[..., dict[str, str]]) -> Callable[..., ServiceSettings]:
    def make(service: str, settings_class: type[ServiceSettings] | None = None, **overrides: object) -> ServiceSettings:
        """The service's own settings class unless told otherwise (its own variables are kept)."""
        if settings_class is None:
            settings_class = definition_of(service).settings_class if service in SERVICES else ServiceSettings
        return settings_class(**env_for(service, **overrides))

    return make


@pytest.fixture
def topology(namespace: str) -> Topology:
    return Topology(namespace)
