"""Settings of the notifications service (environment variables, as in compose)."""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import AwareDatetime, Field, SecretStr

from shared.settings import ServiceSettings

from .adapters.email_smtp import SmtpSettings
from .adapters.phone_gateway import GatewaySettings
from .domain.retry import Backoff, RateLimit
from .domain.timing import QuietHours, ReminderPolicy


class NotificationsSettings(ServiceSettings):
    smtp_host: str = Field("localhost", alias="SMTP_HOST")
    smtp_port: int = Field(25, alias="SMTP_PORT")
    smtp_username: str | None = Field(None, alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, alias="SMTP_PASSWORD")
    smtp_tls: str = Field("starttls", alias="SMTP_TLS", pattern="^(none|starttls|implicit)$")
    smtp_validate_certs: bool = Field(True, alias="SMTP_VALIDATE_CERTS")
    smtp_ca_file: str | None = Field(None, alias="SMTP_CA_FILE")
    smtp_sender: str = Field("Disdukcapil <noreply@jemput.invalid>", alias="SMTP_SENDER")
    smtp_pool_size: int = Field(4, alias="SMTP_POOL_SIZE", ge=1, le=64)
    smtp_timeout_s: float = Field(30.0, alias="SMTP_TIMEOUT_S", gt=0)

    gateway_url: str = Field("http://localhost:8090/messages", alias="SMS_GATEWAY_URL")
    gateway_auth_header: str = Field("Authorization", alias="SMS_GATEWAY_AUTH_HEADER")
    gateway_auth_value: SecretStr | None = Field(None, alias="SMS_GATEWAY_AUTH_VALUE")
    gateway_sender_id: str = Field("DUKCAPIL", alias="SMS_SENDER_ID")
    gateway_timeout_s: float = Field(10.0, alias="SMS_GATEWAY_TIMEOUT_S", gt=0)

    operations_emails: str = Field("", alias="NOTIFY_OPERATIONS_EMAILS",
                                   description="comma-separated addresses for stock alerts")
    sender_name: str = Field("Disdukcapil", alias="NOTIFY_SENDER_NAME")
    office_address: str | None = Field(None, alias="NOTIFY_OFFICE_ADDRESS")
    office_hours: str | None = Field(None, alias="NOTIFY_OFFICE_HOURS")

    quiet_start: time = Field(time(21, 0), alias="NOTIFY_QUIET_START")
    quiet_end: time = Field(time(6, 0), alias="NOTIFY_QUIET_END")
    rate_limit: int = Field(5, alias="NOTIFY_RATE_LIMIT", ge=1)
    rate_window_s: float = Field(3600, alias="NOTIFY_RATE_WINDOW_S", gt=0)
    delivery_retry_base_s: float = Field(30.0, alias="NOTIFY_RETRY_BASE_S", gt=0)
    delivery_retry_cap_s: float = Field(1800.0, alias="NOTIFY_RETRY_CAP_S", gt=0)
    max_attempts: int = Field(8, alias="NOTIFY_MAX_ATTEMPTS", ge=1)
    dispatch_interval_s: float = Field(1.0, alias="NOTIFY_DISPATCH_INTERVAL_S", gt=0)
    lease_s: float = Field(120.0, alias="NOTIFY_LEASE_S", gt=0)
    concurrency: int = Field(16, alias="NOTIFY_CONCURRENCY", ge=1, le=256)
    gather_s: float = Field(
        0.05, alias="NOTIFY_GATHER_S", ge=0, le=5,
        description="a woken dispatcher waits this long before claiming, so that messages planned together go in one pass",
    )
    clock_start: AwareDatetime | None = Field(
        None, alias="JEMPUT_CLOCK_START",
        description="demos and tests only, unset in use: the service's clock starts at this instant "
                    "(ISO 8601 with its offset) and runs on at wall-clock speed")

    def smtp(self) -> SmtpSettings:
        return SmtpSettings(
            host=self.smtp_host, port=self.smtp_port, username=self.smtp_username, password=self.smtp_password,
            tls=self.smtp_tls, validate_certs=self.smtp_validate_certs, ca_file=self.smtp_ca_file,
            sender=self.smtp_sender, pool_size=self.smtp_pool_size, timeout=self.smtp_timeout_s,
        )

    def gateway(self) -> GatewaySettings:
        return GatewaySettings(
            url=self.gateway_url, auth_header=self.gateway_auth_header, auth_value=self.gateway_auth_value,
            sender_id=self.gateway_sender_id, timeout=self.gateway_timeout_s,
            max_connections=max(4, self.concurrency),
        )

    def quiet_hours(self) -> QuietHours:
        return QuietHours(start=self.quiet_start, end=self.quiet_end)

    def rate(self) -> RateLimit:
        return RateLimit(limit=self.rate_limit, window=timedelta(seconds=self.rate_window_s))

    def backoff(self) -> Backoff:
        return Backoff(base=timedelta(seconds=self.delivery_retry_base_s), cap=timedelta(seconds=self.delivery_retry_cap_s),
                       max_attempts=self.max_attempts)

    def reminders(self) -> ReminderPolicy:
        return ReminderPolicy()

    def operations(self) -> list[str]:
        return [e.strip() for e in self.operations_emails.split(",") if e.strip()]
