"""Reading the event tap: delivery is at least once (the relay's sweep may publish an event
a second time), so tests count events by their id."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.testing import EventTap


def distinct_now(tap: EventTap, key: str) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for m in tap.of_type(key):
        seen.setdefault(m["body"]["id"], m)
    return list(seen.values())


async def distinct(tap: EventTap, key: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
    """Wait for ``count`` different events of ``key``; return each once."""
    async with asyncio.timeout(timeout):
        while len(found := distinct_now(tap, key)) < count:
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # a duplicate or a straggler of the same batch
    return distinct_now(tap, key)
