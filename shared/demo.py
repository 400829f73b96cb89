"""``jemput demo``: bring the whole stack up on this machine and run the Kabupaten Tangerang
programme through it (``programme.demo``; docs/demo.md).

Uses the real infrastructure it finds (``RABBITMQ_URL`` / localhost:5672, ``MONGODB_URL`` or the
mongoeco stand-in), starts every service as its own process exactly as compose does, and drives
the programme through the services' HTTP APIs while watching the public events as an outside
subscriber would. Demo data lives in its own namespace (``jemput-demo``) and databases.
"""

from __future__ import annotations

from programme.demo import DEFAULT_SCHOOLS, DEFAULT_STUDENTS, FULL_SCHOOLS, FULL_STUDENTS, DemoOptions
from programme.demo import run as _run

__all__ = ["DEFAULT_SCHOOLS", "DEFAULT_STUDENTS", "FULL_SCHOOLS", "FULL_STUDENTS", "DemoOptions", "run"]


def run(options: DemoOptions | None = None, **kwargs: object) -> int:
    return _run(options or DemoOptions(**kwargs))  # type: ignore[arg-type]
