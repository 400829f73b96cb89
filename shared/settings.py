"""Settings every service reads from its environment (the same names in tests and in compose)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Connection and runtime settings shared by all services.

    Environment variables: ``RABBITMQ_URL``, ``MONGODB_URL``, ``JEMPUT_SERVICE``, ``HTTP_PORT`` and
    the ``JEMPUT_*`` tuning knobs below. ``JEMPUT_NAMESPACE`` prefixes every exchange and queue
    (default ``jemput``, as DESIGN.md names them); tests give each run its own namespace.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    rabbitmq_url: str = Field("amqp://guest:guest@localhost:5672/", alias="RABBITMQ_URL", description="the broker (AMQP URL with this service's user)")
    mongodb_url: str = Field("mongodb://localhost:27017/", alias="MONGODB_URL", description="the database server (URL with this service's user)")
    service: str = Field("", alias="JEMPUT_SERVICE", description="which service this process is (set by `python -m services.<name>`)")
    http_host: str = Field("0.0.0.0", alias="HTTP_HOST", description="address the HTTP port listens on")
    http_port: int = Field(8000, alias="HTTP_PORT", description="health, metrics, AsyncAPI and the operators' API (0: a free port)")
    namespace: str = Field("jemput", alias="JEMPUT_NAMESPACE", pattern=r"^[a-z][a-z0-9_-]{0,40}$", description="prefix of every exchange and queue (tests give each run its own)")
    database: str | None = Field(
        None, alias="JEMPUT_DATABASE", description="database name; default jemput_<service>"
    )
    delivery_limit: int = Field(5, alias="JEMPUT_DELIVERY_LIMIT", ge=1, le=100, description="deliveries of one message before the broker dead-letters it (quorum queue x-delivery-limit)")
    bus_declare: Literal["all", "own"] = Field(
        "all", alias="JEMPUT_BUS_DECLARE",
        description="all: declare the whole topology (a broker user that may); own: only this service's "
                    "queues, the rest comes from `jemput broker setup` (least-privilege users, docs/security.md)",
    )
    prefetch: int = Field(32, alias="JEMPUT_PREFETCH", ge=1, le=1000, description="unacknowledged messages a consumer holds, and handles, at once")
    retry_base_s: float = Field(0.2, alias="JEMPUT_RETRY_BASE_S", ge=0, description="back-off base before a failed message is requeued: up to base × 2^attempt, full jitter")
    retry_max_s: float = Field(10.0, alias="JEMPUT_RETRY_MAX_S", ge=0, description="cap of that back-off")
    relay_sweep_s: float = Field(5.0, alias="JEMPUT_RELAY_SWEEP_S", gt=0, description="seconds between outbox sweeps (events a crash left unpublished)")
    outage_retry_s: float = Field(
        60.0, alias="JEMPUT_OUTAGE_RETRY_S", ge=0, le=3600,
        description="how long a handler retries in place while its database is unreachable, before the message is retried from its queue",
    )
    http_concurrency: int = Field(
        32, alias="JEMPUT_HTTP_CONCURRENCY", ge=1, le=10_000,
        description="API requests handled at once; more wait, unread, for a free slot",
    )
    shutdown_timeout: float = Field(
        20.0, alias="JEMPUT_SHUTDOWN_TIMEOUT", gt=0, le=600,
        description="seconds from SIGTERM to exit: in-flight requests and handlers, outbox flush",
    )
    startup_wait_s: float = Field(
        0.0, alias="JEMPUT_STARTUP_WAIT_S", ge=0,
        description="how long a service waits at start-up for its database and broker (retrying, /readyz 503 meanwhile) "
                    "before it exits with status 3; 0: for ever",
    )
    startup_retry_max_s: float = Field(
        15.0, alias="JEMPUT_STARTUP_RETRY_MAX_S", gt=0, le=600,
        description="cap of the back-off between start-up attempts (from 0.5 s, doubling, with jitter)",
    )
    log_level: str = Field("INFO", alias="LOG_LEVEL", description="DEBUG, INFO, WARNING or ERROR (JSON lines, no personal data)")
    # bearer tokens (shared/auth.py, docs/security.md): the same keys for every service
    auth_keys: str = Field("", alias="JEMPUT_AUTH_KEYS", repr=False,
                           description="key_id:base64(>= 32 bytes),...; a service refuses to start without")
    auth_key_id: str = Field("", alias="JEMPUT_AUTH_KEY_ID", description="the key that signs new tokens")
    auth_issuer: str = Field("jemput", alias="JEMPUT_AUTH_ISSUER", description="iss of the tokens issued and accepted")
    auth_audience: str = Field("jemput", alias="JEMPUT_AUTH_AUDIENCE", description="aud of the tokens issued and accepted")
    auth_token_ttl_s: int = Field(12 * 3600, alias="JEMPUT_AUTH_TOKEN_TTL_S", ge=60, le=90 * 86400, description="default lifetime of an issued token")

    def database_name(self, service: str | None = None) -> str:
        return self.database or f"jemput_{service or self.service}"
