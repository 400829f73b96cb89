"""FIFO print queue of one mobile unit and visit."""

from collections.abc import Iterable
from datetime import datetime

from .print_job import JobStatus, PrintJob


def in_queue_order(jobs: Iterable[PrintJob]) -> list[PrintJob]:
    return sorted(jobs, key=lambda job: job.queue_key)


def ready_jobs(jobs: Iterable[PrintJob], now: datetime) -> list[PrintJob]:
    """Jobs the printer may take now, first come first served."""
    return [job for job in in_queue_order(jobs) if job.is_ready(now)]


def next_ready(jobs: Iterable[PrintJob], now: datetime) -> PrintJob | None:
    ready = ready_jobs(jobs, now)
    return ready[0] if ready else None


def waiting_for_stock(jobs: Iterable[PrintJob]) -> list[PrintJob]:
    return [job for job in in_queue_order(jobs) if job.waiting_for_stock and job.status is JobStatus.QUEUED]
