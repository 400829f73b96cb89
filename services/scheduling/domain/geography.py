"""Small geographic helpers: distances and a locality-preserving order (Hilbert curve)."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between (lat, lon) points."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def hilbert_key(lat: float, lon: float, order: int = 16) -> int:
    """Position of a point on a Hilbert curve over the globe: nearby points get nearby keys."""
    n = 1 << order
    x = min(n - 1, int((lon + 180.0) / 360.0 * n))
    y = min(n - 1, int((lat + 90.0) / 180.0 * n))
    d = 0
    s = n >> 1
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x = n - 1 - x
                y = n - 1 - y
            x, y = y, x
        s >>= 1
    return d
