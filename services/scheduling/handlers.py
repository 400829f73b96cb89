"""Events the scheduling service consumes."""

from __future__ import annotations

from shared.bus import Consumer

consumer = Consumer("scheduling")
